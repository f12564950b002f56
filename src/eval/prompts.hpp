#pragma once
// How a benchmark item becomes model input. Log-likelihood prompts follow lm-evaluation-harness
// (MedQA, MedMCQA, PubMedQA, MMLU) so numbers compare with published lm-eval results; Japanese sets
// score the option text itself (JMedBench's convention). Generation prompts are chat messages
// with an instruction, and the answer is extracted from the reply by a recorded rule.

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "eval/item.hpp"

namespace medllm::eval {

struct LoglikTask {
  std::string context;                     // few-shot examples + the question, up to the answer
  std::vector<std::string> choices;        // each choice as scored, without the delimiter (acc_norm lengths)
  std::vector<std::string> continuations;  // delimiter + choice: the scored strings
  std::vector<size_t> gold;                // indices of the correct choices
  size_t pick = 1;                         // how many choices the question asks for
};

struct PromptFormat {
  std::string name;     // e.g. "lm-eval medqa_4options"
  std::string scoring;  // what is scored, in words
};

PromptFormat loglik_format(const std::string& benchmark, const Item& item);

// The task for one item; shots are solved examples prepended (lm-eval's few-shot format).
// Items without choices (numeric questions) give a task with no choices.
LoglikTask build_loglik_task(const std::string& benchmark, const Item& item, std::span<const Item> shots);

// The predicted labels under lm-eval's three multiple-choice metrics, from each choice's summed
// log-likelihood: acc takes the highest; acc_norm divides by the choice's length in characters
// (Unicode code points, as Python's len); acc_bytes by its UTF-8 bytes. A question asking for
// k answers takes the k best. Ties go to the earlier choice; labels are sorted and comma-joined.
struct ChoicePredictions {
  std::string by_loglik;
  std::string by_characters;
  std::string by_bytes;
};
ChoicePredictions predict_choices(const Item& item, const LoglikTask& task, const std::vector<double>& loglik);

// The k few-shot examples of an item as the reference harness draws them: the first k of the
// benchmark's shot pool with the item's subject (lm-eval's mmlu: dev split, first_n). An Error
// when the benchmark has no pool (its reference draws from a split the data does not hold) or
// the subject has fewer than k.
std::vector<Item> pick_shots(const Benchmark& benchmark, const Item& item, int k);

// Chat messages for the generate method: an instruction in the item's language, the question
// and its labelled choices; chain_of_thought asks for reasoning before the final answer.
nlohmann::ordered_json generation_messages(const Item& item, std::span<const Item> shots, bool chain_of_thought);

struct Extraction {
  std::string answer;  // normalized: labels sorted and comma-joined ("b,e"), or the number, or ""
  std::string rule;    // which rule produced it (recorded per sample)
};

// The answer in a model's reply: after the last "Answer:"/"答え:"/"解答:" marker if present, the
// choice labels found (as many as the question asks for), or the first number for numeric items.
Extraction extract_answer(const Item& item, const std::string& reply);

// The gold answer normalized like extract_answer's output.
std::string gold_answer(const Item& item);

// How many choices a prediction marks: the item's meta n_answers where the loader sets it (1 for
// IgakuQA's "a or d" questions, whose answers are alternatives), else its number of answers; at
// most the number of choices.
size_t answers_to_pick(const Item& item);

}  // namespace medllm::eval
