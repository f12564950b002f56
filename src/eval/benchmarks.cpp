#include "eval/benchmarks.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/utf8.hpp"
#include "eval/csv.hpp"
#include "eval/igakuqa_loader.hpp"
#include "eval/igakuqa_paper.hpp"

namespace medllm::eval {

namespace {

std::function<Benchmark(const std::string&)> hard(const std::string& subset) {
  return [subset](const std::string& data_root) { return load_medagents_hard(data_root, subset); };
}

std::function<Benchmark(const std::string&)> jmed_llm(const std::string& task) {
  return [task](const std::string& data_root) { return load_jmed_llm(data_root, task); };
}

}  // namespace

const std::vector<BenchmarkEntry>& benchmark_registry() {
  static const std::vector<BenchmarkEntry> registry = {
      {"medqa", "MedQA (USMLE) 4-option test set, 1,273 questions (A-D)", load_medqa},
      {"medqa_5options", "MedQA (USMLE) 5-option test set, 1,273 questions (A-E)", load_medqa_5options},
      {"medmcqa", "MedMCQA full dev set (Indian AIIMS/NEET PG), 4,183 questions (A-D)", load_medmcqa},
      {"pubmedqa", "PubMedQA official PQA-L test split, 500 questions (yes/no/maybe) with abstracts", load_pubmedqa},
      {"pubmedqa_labeled", "PubMedQA all expert-labelled PQA-L, 1,000 questions (yes/no/maybe) with abstracts",
       load_pubmedqa_labeled},
      {"mmlu_medical", "MMLU medical subset (6 subjects) test split, 1,089 questions (A-D)", load_mmlu_medical},
      {"mmlu_pro_health", "MMLU-Pro health category, 818 questions (3-10 options)", load_mmlu_pro_health},
      {"jmmlu_medical", "JMMLU (Japanese MMLU) 8 medical subjects, 1,123 questions (A-D)", load_jmmlu_medical},
      // IgakuQA's loaders (igakuqa_loader.hpp) take the shared data root too; their descriptions,
      // computed from what was loaded, replace these.
      {"igakuqa", "IgakuQA: Japanese National Medical Licensing Examination 2018-2022 (exams 112-116), 2,000 questions",
       [](const std::string& data_root) { return load_igakuqa(data_root, {}); }},
      {"igakuqa_paper",
       "IgakuQA 2018-2022 under the IgakuQA paper's generation prompt and its 3 examples, scored by its rule",
       [](const std::string& data_root) { return igakuqa_paper::load(data_root); }},
      {"igakuqa119", "IgakuQA119: Japanese National Medical Licensing Examination 2025 (exam 119), 400 questions",
       load_igakuqa119},
      // JMED-LLM's own protocol (eval/jmed_llm.hpp): zero-shot generation with the chat template.
      {"jmed_llm_jmmlu_med", "JMED-LLM JMMLU-Med (Japanese medical MMLU), 100 questions (A-D); kappa and accuracy",
       jmed_llm("jmmlu_med")},
      {"jmed_llm_crade",
       "JMED-LLM CRADE (adverse drug event likelihood in case reports), 100 questions (A-D); linear-weighted kappa "
       "and accuracy",
       jmed_llm("crade")},
      {"jmed_llm_rrtnm",
       "JMED-LLM RRTNM (lung cancer TNM staging from radiology reports), 100 questions (2-5 options); kappa and "
       "accuracy",
       jmed_llm("rrtnm")},
      {"jmed_llm_smdis",
       "JMED-LLM SMDIS (disease mention in social-media posts), 100 questions (A-B); kappa and accuracy",
       jmed_llm("smdis")},
      {"jmed_llm_mrner_disease",
       "JMED-LLM MRNER-disease (positive findings named in case and radiology reports), 100 texts; partial and exact "
       "F1",
       jmed_llm("mrner_disease")},
      {"jmed_llm_mrner_medicine",
       "JMED-LLM MRNER-medicine (medicines named in case reports), 100 texts; partial and exact F1",
       jmed_llm("mrner_medicine")},
      {"medqa_hard", "MedAgentsBench hard subset of MedQA 4-option, 100 questions", hard("medqa")},
      {"medqa_5options_hard", "MedAgentsBench hard subset of MedQA 5-option, 357 questions", hard("medqa_5options")},
      {"medmcqa_hard", "MedAgentsBench hard subset of MedMCQA dev, 100 questions", hard("medmcqa")},
      {"mmlu_hard", "MedAgentsBench hard subset of MMLU medical, 73 questions", hard("mmlu")},
      {"mmlu_pro_hard", "MedAgentsBench hard subset of MMLU-Pro health, 100 questions", hard("mmlu-pro")},
      {"pubmedqa_hard",
       "MedAgentsBench hard subset of the PubMedQA test split, 100 questions (abstract inside the question, "
       "options A-C = yes/no/maybe)",
       hard("pubmedqa")},
  };
  return registry;
}

const std::vector<BenchmarkGroup>& benchmark_groups() {
  static const std::vector<BenchmarkGroup> groups = {
      // lm-eval's tasks/benchmarks/multimedqa/multimedqa.yaml: pubmedqa, medmcqa, medqa_4options and
      // six MMLU subjects, acc weighted by size.
      {"multimedqa",
       "MultiMedQA as lm-eval groups it: PubMedQA, MedMCQA, MedQA 4-option, MMLU's 6 medical subjects",
       {"pubmedqa", "medmcqa", "medqa", "mmlu_medical"}},
      {"igakuqa_all", "IgakuQA exams 112-116 (2018-2022) and 119 (2025), 2,400 questions", {"igakuqa", "igakuqa119"}},
  };
  return groups;
}

const BenchmarkGroup* find_group(const std::string& name) {
  for (const BenchmarkGroup& group : benchmark_groups()) {
    if (group.name == name) return &group;
  }
  return nullptr;
}

std::vector<std::string> expand_groups(const std::vector<std::string>& names, std::vector<std::string>* groups) {
  std::vector<std::string> out;
  const auto add = [&](const std::string& name) {
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  };
  for (const std::string& name : names) {
    const BenchmarkGroup* group = find_group(name);
    if (group == nullptr) {
      add(name);
      continue;
    }
    for (const std::string& member : group->members) add(member);
    if (groups != nullptr && std::find(groups->begin(), groups->end(), name) == groups->end()) groups->push_back(name);
  }
  return out;
}

std::vector<std::string> benchmark_names() {
  std::vector<std::string> names;
  for (const auto& entry : benchmark_registry()) names.push_back(entry.name);
  return names;
}

Benchmark load_benchmark(const std::string& name, const std::string& data_root) {
  for (const auto& entry : benchmark_registry()) {
    if (entry.name != name) continue;
    std::error_code ec;
    if (!std::filesystem::is_directory(data_root, ec)) {
      fail("benchmark data root {} is not a directory (pass --data DIR laid out like ../shared/data)", data_root);
    }
    Benchmark benchmark = entry.load(data_root);
    benchmark.name = entry.name;
    if (benchmark.description.empty()) benchmark.description = entry.description;
    return benchmark;
  }
  std::vector<std::string> groups;
  for (const BenchmarkGroup& group : benchmark_groups()) groups.push_back(group.name);
  fail("unknown benchmark \"{}\"; known benchmarks: {}; groups: {}", name, fmt::join(benchmark_names(), ", "),
       fmt::join(groups, ", "));
}

namespace loader {

std::string Where::str() const {
  std::string out = file;
  if (line > 0) out += fmt::format(":{}", line);
  if (!record.empty()) out += ": " + record;
  return out;
}

std::string path_in(const std::string& data_root, const std::string& relative) {
  return (std::filesystem::path(data_root) / relative).string();
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open (is --data the folder that holds the benchmark directories?)", path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) fail("{}: read error", path);
  return buffer.str();
}

bool is_blank(std::string_view text) {
  return utf8::trim_ascii(text).empty();
}

std::string column_field(const std::string& name, size_t column) {
  return fmt::format("{} (column {})", name, column + 1);
}

std::vector<Item> read_abcd_csv(const std::string& path, const std::string& subject, const std::string& language,
                                const std::string& id_prefix) {
  static const std::array<std::string, 6> kColumns = {"question", "A", "B", "C", "D", "answer"};
  std::vector<Item> items;
  for (auto& record : read_csv_file(path)) {
    const Where where{path, record.line, {}};
    if (record.fields.size() != kColumns.size()) {
      fail("{}: expected {} columns ({}), found {}", where.str(), kColumns.size(), fmt::join(kColumns, ","),
           record.fields.size());
    }
    Item item;
    item.id = fmt::format("{}-{}", id_prefix, record.line);
    item.subject = subject;
    item.language = language;
    item.question = std::move(record.fields[0]);
    if (is_blank(item.question)) fail_field(where, column_field("question", 0), "empty question");
    for (size_t i = 1; i <= 4; ++i) {
      if (is_blank(record.fields[i])) fail_field(where, column_field(kColumns[i], i), "empty option");
      item.choices.push_back({kColumns[i], std::move(record.fields[i])});
    }
    const std::string& answer = record.fields[5];
    if (answer != "A" && answer != "B" && answer != "C" && answer != "D") {
      fail_field(where, column_field("answer", 5), "\"{}\" is not one of A, B, C, D", answer);
    }
    item.answers = {answer};
    validate_item(item, where);
    items.push_back(std::move(item));
  }
  return items;
}

std::string choice_label(size_t index) {
  if (index >= 26) fail("choice index {} has no letter label", index);
  return std::string(1, static_cast<char>('A' + index));
}

const nlohmann::json& require_field(const nlohmann::json& object, const char* field, const Where& where) {
  return required_field(object, field, where.str());
}

const std::string& require_string(const nlohmann::json& object, const char* field, const Where& where) {
  return required_string(object, field, where.str());
}

const std::string& require_text(const nlohmann::json& object, const char* field, const Where& where) {
  return required_text(object, field, where.str());
}

int64_t require_integer(const nlohmann::json& object, const char* field, const Where& where) {
  return required_integer(object, field, where.str());
}

std::string require_id(const nlohmann::json& object, const char* field, const Where& where) {
  const auto& value = require_field(object, field, where);
  if (value.is_number_integer()) return value.dump();
  if (!value.is_string()) fail_value(field_name(where.str(), field), "a string or an integer", value);
  return require_text(object, field, where);
}

void for_each_jsonl(const std::string& path,
                    const std::function<void(const nlohmann::json& record, const Where& where)>& fn) {
  const std::string bytes = read_text_file(path);
  const std::string_view text = check_utf8_text(bytes, path);
  size_t start = 0;
  int line = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view content = text.substr(start, end - start);
    start = end + 1;
    ++line;
    if (!content.empty() && content.back() == '\r') content.remove_suffix(1);
    if (is_blank(content)) continue;
    const Where where{path, line, {}};
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(content);
    } catch (const nlohmann::json::exception& e) {
      fail("{}: invalid JSON (a truncated or broken line?): {}", where.str(), e.what());
    }
    if (!record.is_object()) fail("{}: expected a JSON object, got {}", where.str(), json_for_message(record));
    fn(record, where);
  }
}

void validate_item(const Item& item, const Where& where) {
  if (is_blank(item.id)) fail("{}: item has an empty id", where.str());
  if (is_blank(item.question)) fail_field(where, "question", "empty question");
  if (item.answers.empty()) fail_field(where, "answer", "no gold answer");
  if (item.choices.empty()) return;  // numeric-answer question
  if (item.choices.size() < 2)
    fail("{}: only {} choice; a question needs at least 2", where.str(), item.choices.size());
  std::set<std::string> labels;
  for (const auto& choice : item.choices) {
    if (is_blank(choice.label)) fail("{}: a choice has an empty label", where.str());
    if (!labels.insert(choice.label).second) fail("{}: choice label \"{}\" appears twice", where.str(), choice.label);
    if (is_blank(choice.text)) fail_field(where, choice.label, "empty option text");
  }
  for (const auto& answer : item.answers) {
    if (!labels.count(answer)) {
      fail_field(where, "answer", "\"{}\" is not among the choices ({})", answer, fmt::join(labels, ", "));
    }
  }
}

void IdRegistry::add(const std::string& id, const Where& where) {
  auto [it, inserted] = seen_.emplace(id, where.str());
  if (!inserted) fail("{}: duplicate id \"{}\" (first seen at {})", where.str(), id, it->second);
}

}  // namespace loader
}  // namespace medllm::eval
