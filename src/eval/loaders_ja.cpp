// Japanese benchmarks: JMMLU (medical subjects) and the tasks of JMED-LLM.
// Formats and counts: ../shared/data/SOURCES.md.

#include <array>

#include "eval/benchmarks.hpp"
#include "eval/csv.hpp"
#include "eval/python_literal.hpp"

namespace medllm::eval {

using namespace loader;

namespace {

// The JMMLU subjects that are medical (JMedBench's jmmlu_medical), in the order loaded.
constexpr std::array<const char*, 8> kJmmluMedicalSubjects = {
    "anatomy",          "clinical_knowledge", "college_biology",       "college_medicine",
    "medical_genetics", "nutrition",          "professional_medicine", "virology",
};

// JMED-LLM's multiple-choice tasks, and its named-entity tasks (answers: Python lists of strings).
constexpr std::array<const char*, 4> kJmedLlmChoiceTasks = {"jmmlu_med", "crade", "rrtnm", "smdis"};
constexpr std::array<const char*, 2> kJmedLlmEntityTasks = {"mrner_disease", "mrner_medicine"};

// The gold entities of an entity task's row: a Python list literal of at least one string.
std::vector<std::string> entity_answers(const std::string& text, const Where& where, const std::string& field) {
  const auto values = parse_python_list(text);
  if (!values) fail_field(where, field, "is not a Python list literal: {}", text.substr(0, 80));
  if (values->empty()) fail_field(where, field, "lists no entity");
  std::vector<std::string> answers;
  for (const PythonValue& value : *values) {
    if (value.kind != PythonValue::Kind::String)
      fail_field(where, field, "an entity is not a string: {}", text.substr(0, 80));
    if (is_blank(value.text)) fail_field(where, field, "an entity is empty");
    answers.push_back(value.text);
  }
  return answers;
}

// The fields every JMED-LLM row starts with: its id, its tag (also the subject) and its question.
Item jmed_llm_row(std::vector<std::string>& fields, const std::vector<std::string>& header, const std::string& task,
                  int line, const Where& where) {
  if (fields.size() != header.size()) {
    fail("{}: expected {} columns ({}), found {}", where.str(), header.size(), fmt::join(header, ","), fields.size());
  }
  Item item;
  item.id = fmt::format("jmed_llm_{}-{}", task, line);
  item.language = "ja";
  item.subject = fields[0];
  if (is_blank(item.subject)) fail_field(where, column_field("tag", 0), "empty");
  item.meta["tag"] = item.subject;
  item.question = std::move(fields[1]);
  return item;
}

Benchmark load_jmed_llm_entities(const std::string& data_root, const std::string& task) {
  Benchmark benchmark;
  benchmark.source = path_in(data_root, fmt::format("jmed-llm/datasets/{}.csv", task));
  auto records = read_csv_file(benchmark.source);
  if (records.empty()) fail("{}: empty file (expected a header tag,question,answer)", benchmark.source);
  const auto& header = records.front().fields;
  if (header != std::vector<std::string>{"tag", "question", "answer"}) {
    fail("{}: header \"{}\" is not tag,question,answer (a named-entity task)",
         Where{benchmark.source, records.front().line, {}}.str(), fmt::join(header, ","));
  }
  IdRegistry ids;
  for (size_t r = 1; r < records.size(); ++r) {
    auto& record = records[r];
    const Where where{benchmark.source, record.line, {}};
    Item item = jmed_llm_row(record.fields, header, task, record.line, where);
    item.answers = entity_answers(record.fields[2], where, column_field("answer", 2));
    validate_item(item, where);
    ids.add(item.id, where);
    benchmark.items.push_back(std::move(item));
  }
  return benchmark;
}

}  // namespace

// jmmlu/<subject>.csv: no header, UTF-8 with BOM, columns question,A,B,C,D,answer(A-D).
// Leading/trailing spaces of the options (many rows have "A, B" style spacing) are kept as in
// the file, as pandas/Hugging Face datasets read them for lm-evaluation-harness and JMED-LLM.
Benchmark load_jmmlu_medical(const std::string& data_root) {
  Benchmark benchmark;
  benchmark.source = path_in(data_root, "jmmlu");
  for (const char* subject : kJmmluMedicalSubjects) {  // ids are unique: subject and line
    const std::string path = path_in(data_root, fmt::format("jmmlu/{}.csv", subject));
    for (Item& item : read_abcd_csv(path, subject, "ja", fmt::format("jmmlu_medical-{}", subject))) {
      benchmark.items.push_back(std::move(item));
    }
  }
  return benchmark;
}

// jmed-llm/datasets/<task>.csv: header tag,question,optionA,...,optionX,answer; one row per
// question. Empty trailing options are absent (RRTNM: N has 4 options, M has 2), as JMED-LLM's
// evaluator drops them (pandas dropna).
Benchmark load_jmed_llm(const std::string& data_root, const std::string& task) {
  for (const char* name : kJmedLlmEntityTasks) {
    if (task == name) return load_jmed_llm_entities(data_root, task);
  }
  bool known = false;
  for (const char* name : kJmedLlmChoiceTasks) known = known || task == name;
  if (!known) {
    fail("unknown JMED-LLM task \"{}\" (known: {}, {})", task, fmt::join(kJmedLlmChoiceTasks, ", "),
         fmt::join(kJmedLlmEntityTasks, ", "));
  }
  Benchmark benchmark;
  benchmark.source = path_in(data_root, fmt::format("jmed-llm/datasets/{}.csv", task));
  auto records = read_csv_file(benchmark.source);
  if (records.empty()) fail("{}: empty file (expected a header tag,question,optionA,...,answer)", benchmark.source);

  const auto& header = records.front().fields;
  const Where header_where{benchmark.source, records.front().line, {}};
  size_t option_count = header.size() >= 3 ? header.size() - 3 : 0;
  bool header_ok = header.size() >= 5 && header[0] == "tag" && header[1] == "question" && header.back() == "answer";
  for (size_t i = 0; header_ok && i < option_count; ++i) header_ok = header[2 + i] == "option" + choice_label(i);
  if (!header_ok) {
    fail("{}: header \"{}\" is not tag,question,optionA,optionB[,...],answer (a multiple-choice task)",
         header_where.str(), fmt::join(header, ","));
  }

  IdRegistry ids;
  for (size_t r = 1; r < records.size(); ++r) {
    auto& record = records[r];
    const Where where{benchmark.source, record.line, {}};
    Item item = jmed_llm_row(record.fields, header, task, record.line, where);
    if (is_blank(item.question)) fail_field(where, column_field("question", 1), "empty question");
    size_t present = 0;
    for (size_t i = 0; i < option_count; ++i) {
      std::string& text = record.fields[2 + i];
      if (is_blank(text)) continue;
      if (present != i) {
        fail_field(where, column_field(header[2 + i], 2 + i), "option follows an empty {}", header[2 + present]);
      }
      item.choices.push_back({choice_label(i), std::move(text)});
      ++present;
    }
    if (present < 2) fail_field(where, "options", "only {} non-empty option(s); at least 2 needed", present);
    const std::string& answer = record.fields.back();
    bool answer_ok = false;
    for (const auto& choice : item.choices) answer_ok = answer_ok || choice.label == answer;
    if (!answer_ok) {
      fail_field(where, column_field("answer", header.size() - 1), "\"{}\" is not among the options (A-{})", answer,
                 item.choices.back().label);
    }
    item.answers = {answer};
    validate_item(item, where);
    ids.add(item.id, where);
    benchmark.items.push_back(std::move(item));
  }
  return benchmark;
}

}  // namespace medllm::eval
