#pragma once
// The unit of evaluation: one exam question with its choices and gold answer(s), as every
// benchmark loader produces it. Prompt formats and scoring rules live elsewhere (scoring reads
// `meta` for what is benchmark-specific).

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace medllm::eval {

struct Choice {
  std::string label;  // "A".."E" (English sets), "a".."e" (IgakuQA), "yes"/"no"/"maybe" (PubMedQA)
  std::string text;   // the option text, without its label
};

struct Item {
  std::string id;                    // stable and unique within the benchmark (e.g. "112A1", "medqa-0042")
  std::string question;              // the stem as given (PubMedQA: the question; its abstract is in meta["context"])
  std::vector<Choice> choices;       // empty for numeric-answer questions
  std::vector<std::string> answers;  // gold labels (several for multi-answer), or the number as text
  std::string subject;               // MMLU/JMMLU subject, IgakuQA specialty, MedMCQA subject if known
  std::string language;              // "en" or "ja"
  nlohmann::json meta = nlohmann::json::object();  // benchmark-specific fields (documented per loader)
};

struct Benchmark {
  std::string name;         // as passed to --bench
  std::string description;  // one line: what it is, which split, how many items
  std::string source;       // the file or folder it was read from
  std::vector<Item> items;
  // Few-shot examples as the reference harness draws them (empty: the data has no split to draw
  // from, and --shots is refused), and where they come from.
  std::vector<Item> shots;
  std::string shot_source;
};

}  // namespace medllm::eval
