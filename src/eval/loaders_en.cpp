// English benchmarks: MedQA (4 and 5 options), MedMCQA, PubMedQA, MMLU medical, MMLU-Pro health
// and the MedAgentsBench hard subsets. Formats and counts: ../shared/data/SOURCES.md.

#include <algorithm>
#include <array>
#include <string_view>

#include "core/error.hpp"
#include "core/json_fields.hpp"
#include "core/json_file.hpp"
#include "eval/benchmarks.hpp"
#include "eval/csv.hpp"

namespace medllm::eval {

using namespace loader;
using nlohmann::json;

namespace {

// ---- The MedQA / MedAgentsBench record format:
// {"question", "options": {"A": text, ...}, "answer_idx": "C", "answer": <text of option C>, ...}

enum class SubjectFrom { None, SubjectField, MmluProSrc };

struct OptionsFormat {
  std::string bench;          // benchmark name, for "<bench>-<line>" ids
  std::string relative_path;  // under the data root
  size_t min_options = 4;
  size_t max_options = 4;
  const char* id_field = nullptr;        // "realidx" (required, copied to meta); nullptr: "<bench>-<line>"
  std::vector<const char*> string_meta;  // required string fields copied to meta
  SubjectFrom subject = SubjectFrom::None;
};

// "ori_mmlu-professional_medicine" -> "professional_medicine"
std::string subject_from_src(const std::string& src) {
  constexpr std::string_view prefix = "ori_mmlu-";
  if (src.size() > prefix.size() && std::string_view(src).substr(0, prefix.size()) == prefix) {
    return src.substr(prefix.size());
  }
  return src;
}

Item options_item(const OptionsFormat& format, const json& record, const Where& where) {
  Item item;
  item.language = "en";
  item.question = require_text(record, "question", where);

  const auto& options = require_field(record, "options", where);
  if (!options.is_object()) fail_value(field_name(where.str(), "options"), R"(an object {"A": text, ...})", options);
  size_t index = 0;
  for (const auto& [key, value] : options.items()) {  // keys come sorted: A, B, C, ...
    const std::string label = index < 26 ? choice_label(index) : std::string("?");
    if (key != label) {
      fail_field(where, "options", "keys must be consecutive letters from A; found \"{}\" where \"{}\" belongs", key,
                 label);
    }
    item.choices.push_back({key, text_value(value, field_name(where.str(), "options." + key))});
    ++index;
  }
  if (item.choices.size() < format.min_options || item.choices.size() > format.max_options) {
    if (format.min_options == format.max_options) {
      fail_field(where, "options", "expected {} options, found {}", format.min_options, item.choices.size());
    }
    fail_field(where, "options", "expected {} to {} options, found {}", format.min_options, format.max_options,
               item.choices.size());
  }

  const std::string& answer_idx = require_string(record, "answer_idx", where);
  if (!options.contains(answer_idx)) {
    fail_field(where, "answer_idx", "\"{}\" is not among the options (A-{})", answer_idx, item.choices.back().label);
  }
  const std::string& answer_text = require_string(record, "answer", where);
  if (answer_text != options.at(answer_idx).get_ref<const std::string&>()) {
    fail_field(where, "answer", "\"{}\" is not the text of option {} (answer_idx)", answer_text, answer_idx);
  }
  item.answers = {answer_idx};

  if (format.id_field) {
    item.id = require_id(record, format.id_field, where);
    item.meta[format.id_field] = record.at(format.id_field);
  } else {
    item.id = fmt::format("{}-{}", format.bench, where.line);
  }
  for (const char* field : format.string_meta) item.meta[field] = require_text(record, field, where);
  if (format.subject == SubjectFrom::SubjectField) {
    item.subject = require_text(record, "subject", where);
  } else if (format.subject == SubjectFrom::MmluProSrc) {
    item.subject = subject_from_src(require_text(record, "src", where));
  }
  return item;
}

Benchmark load_options_jsonl(const std::string& data_root, const OptionsFormat& format) {
  Benchmark benchmark;
  benchmark.source = path_in(data_root, format.relative_path);
  IdRegistry ids;
  for_each_jsonl(benchmark.source, [&](const json& record, const Where& where) {
    Item item = options_item(format, record, where);
    validate_item(item, where);
    ids.add(item.id, where);
    benchmark.items.push_back(std::move(item));
  });
  return benchmark;
}

// ---- PubMedQA: ori_pqal.json is one JSON object PMID -> record; test_ground_truth.json maps
// the 500 test PMIDs to their labels. Both are read in file order.

constexpr std::array<const char*, 3> kPubMedQaLabels = {"yes", "no", "maybe"};

struct JsonDocument {
  std::string path;
  std::string text;
  nlohmann::ordered_json value;  // keeps the file's key order

  // Where the member `"key":` of the top-level object is (line 0 if it cannot be found).
  Where where_of(const std::string& key, const std::string& record) const {
    const std::string quoted = "\"" + key + "\"";
    int line = 0;
    for (size_t at = text.find(quoted); at != std::string::npos; at = text.find(quoted, at + 1)) {
      const size_t after = text.find_first_not_of(" \t\r\n", at + quoted.size());
      if (after != std::string::npos && text[after] == ':') {
        line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
        break;
      }
    }
    return {path, line, record};
  }
};

JsonDocument read_json_object_file(const std::string& path) {
  JsonDocument document{path, read_text_file(path), {}};
  check_utf8_text(document.text, path);
  try {
    document.value = nlohmann::ordered_json::parse(document.text);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: invalid JSON: {}", path, e.what());
  }
  if (!document.value.is_object()) {
    fail("{}: expected a JSON object keyed by PMID, found {}", path, document.value.type_name());
  }
  return document;
}

bool is_pubmedqa_label(const std::string& label) {
  for (const char* known : kPubMedQaLabels) {
    if (label == known) return true;
  }
  return false;
}

Item pubmedqa_item(const std::string& pmid, const json& record, const Where& where) {
  Item item;
  item.id = pmid;
  item.language = "en";
  item.question = require_text(record, "QUESTION", where);

  // lm-evaluation-harness: "\n".join(doc["context"]["contexts"])
  std::string context = fmt::format("{}", fmt::join(required_string_array(record, "CONTEXTS", where.str()), "\n"));
  if (is_blank(context)) fail_field(where, "CONTEXTS", "empty abstract");

  const std::string& decision = require_string(record, "final_decision", where);
  if (!is_pubmedqa_label(decision)) fail_field(where, "final_decision", "\"{}\" is not yes/no/maybe", decision);
  for (const char* label : kPubMedQaLabels) item.choices.push_back({label, label});
  item.answers = {decision};

  item.meta["context"] = std::move(context);
  item.meta["long_answer"] = require_string(record, "LONG_ANSWER", where);
  if (auto year = record.find("YEAR"); year != record.end()) {
    if (!year->is_string() && !year->is_null()) fail_value(field_name(where.str(), "YEAR"), "a string or null", *year);
    item.meta["year"] = *year;
  }
  return item;
}

// The validated item of ori_pqal.json's member `pmid`. Finding a member's line means searching
// the text, so it is done only when the record is bad: the record is then checked again with
// its line known, which fails with the same message plus the line.
Item pubmedqa_item_in(const JsonDocument& pqal, const std::string& pmid, const nlohmann::ordered_json& record) {
  const json converted(record);
  try {
    const Where where{pqal.path, 0, "PMID " + pmid};
    Item item = pubmedqa_item(pmid, converted, where);
    validate_item(item, where);
    return item;
  } catch (const Error&) {
    const Where where = pqal.where_of(pmid, "PMID " + pmid);
    Item item = pubmedqa_item(pmid, converted, where);
    validate_item(item, where);
    throw;  // not reached: the same checks fail again
  }
}

constexpr const char* kPqalPath = "pubmedqa/ori_pqal.json";
constexpr const char* kTestPath = "pubmedqa/test_ground_truth.json";

}  // namespace

Benchmark load_medqa(const std::string& data_root) {
  return load_options_jsonl(data_root, {"medqa", "medqa/test.jsonl", 4, 4, "realidx", {"meta_info"}});
}

Benchmark load_medqa_5options(const std::string& data_root) {
  return load_options_jsonl(
      data_root, {"medqa_5options", "medagentsbench/medqa_5options/test.jsonl", 5, 5, nullptr, {"meta_info"}});
}

namespace {

// lm-eval's mmlu tasks take their few-shot examples from the dev split, the first k of the
// question's subject (fewshot_split: dev, sampler: first_n): hendrycks' dev CSVs, 5 per subject.
void add_mmlu_dev_shots(const std::string& data_root, Benchmark& benchmark) {
  static constexpr std::array<const char*, 6> kSubjects = {"anatomy",          "clinical_knowledge",
                                                           "college_biology",  "college_medicine",
                                                           "medical_genetics", "professional_medicine"};
  for (const char* subject : kSubjects) {
    const std::string path = path_in(data_root, fmt::format("mmlu-medical/dev/{}_dev.csv", subject));
    for (Item& item : read_abcd_csv(path, subject, "en", fmt::format("mmlu_dev-{}", subject))) {
      benchmark.shots.push_back(std::move(item));
    }
  }
  benchmark.shot_source =
      "MMLU dev split (mmlu-medical/dev/<subject>_dev.csv), the first k of the question's subject, as lm-eval's "
      "mmlu (fewshot_split: dev, first_n)";
}

}  // namespace

Benchmark load_mmlu_medical(const std::string& data_root) {
  Benchmark benchmark = load_options_jsonl(
      data_root, {"mmlu_medical", "medagentsbench/mmlu/test.jsonl", 4, 4, "realidx", {}, SubjectFrom::SubjectField});
  add_mmlu_dev_shots(data_root, benchmark);
  return benchmark;
}

Benchmark load_mmlu_pro_health(const std::string& data_root) {
  return load_options_jsonl(data_root, {"mmlu_pro_health",
                                        "medagentsbench/mmlu-pro/test.jsonl",
                                        3,
                                        10,
                                        "realidx",
                                        {"src", "category"},
                                        SubjectFrom::MmluProSrc});
}

Benchmark load_medagents_hard(const std::string& data_root, const std::string& subset) {
  const std::string path = "medagentsbench/" + subset + "/test_hard.jsonl";
  if (subset == "medqa") return load_options_jsonl(data_root, {"medqa_hard", path, 4, 4, "realidx", {"meta_info"}});
  if (subset == "medqa_5options") {
    return load_options_jsonl(data_root, {"medqa_5options_hard", path, 5, 5, nullptr, {"meta_info"}});
  }
  if (subset == "medmcqa") return load_options_jsonl(data_root, {"medmcqa_hard", path, 4, 4, "realidx", {}});
  if (subset == "mmlu") {
    Benchmark benchmark =
        load_options_jsonl(data_root, {"mmlu_hard", path, 4, 4, "realidx", {}, SubjectFrom::SubjectField});
    add_mmlu_dev_shots(data_root, benchmark);
    return benchmark;
  }
  if (subset == "mmlu-pro") {
    return load_options_jsonl(data_root,
                              {"mmlu_pro_hard", path, 3, 10, "realidx", {"src", "category"}, SubjectFrom::MmluProSrc});
  }
  if (subset == "pubmedqa") {
    return load_options_jsonl(data_root, {"pubmedqa_hard", path, 3, 3, "realidx", {"answer_rationale"}});
  }
  fail("unknown MedAgentsBench hard subset \"{}\" (known: medqa, medqa_5options, medmcqa, mmlu, mmlu-pro, pubmedqa)",
       subset);
}

// medmcqa/validation.jsonl: {"question", "choices": ["A. ...", "B. ...", "C. ...", "D. ..."], "answer": 0-3}
Benchmark load_medmcqa(const std::string& data_root) {
  Benchmark benchmark;
  benchmark.source = path_in(data_root, "medmcqa/validation.jsonl");
  IdRegistry ids;
  for_each_jsonl(benchmark.source, [&](const json& record, const Where& where) {
    Item item;
    item.id = fmt::format("medmcqa-{}", where.line);
    item.language = "en";
    item.question = require_text(record, "question", where);
    const std::vector<std::string> choices = required_string_array(record, "choices", where.str());
    if (choices.size() != 4) fail_field(where, "choices", "expected 4 options, found an array of {}", choices.size());
    for (size_t i = 0; i < choices.size(); ++i) {
      const std::string field = fmt::format("choices[{}]", i);
      const std::string& text = choices[i];
      const std::string label = choice_label(i);
      const std::string prefix = label + ". ";
      if (text.compare(0, prefix.size(), prefix) != 0) {
        fail_field(where, field, "expected the prefix \"{}\", found \"{}\"", prefix, text.substr(0, prefix.size()));
      }
      if (is_blank(std::string_view(text).substr(prefix.size()))) fail_field(where, field, "empty option text");
      item.choices.push_back({label, text.substr(prefix.size())});
    }
    const int64_t answer = require_integer(record, "answer", where);
    if (answer < 0 || answer >= static_cast<int64_t>(item.choices.size())) {
      fail_field(where, "answer", "{} is out of range (0-{})", answer, item.choices.size() - 1);
    }
    item.answers = {item.choices[static_cast<size_t>(answer)].label};
    validate_item(item, where);
    ids.add(item.id, where);
    benchmark.items.push_back(std::move(item));
  });
  return benchmark;
}

Benchmark load_pubmedqa(const std::string& data_root) {
  const JsonDocument pqal = read_json_object_file(path_in(data_root, kPqalPath));
  const JsonDocument test = read_json_object_file(path_in(data_root, kTestPath));
  Benchmark benchmark;
  benchmark.source = test.path + " + " + pqal.path;
  for (const auto& [pmid, label] : test.value.items()) {
    auto test_where = [&, &pmid = pmid] { return test.where_of(pmid, "PMID " + pmid).str(); };
    if (!label.is_string() || !is_pubmedqa_label(label.get_ref<const std::string&>())) {
      fail("{}: expected the label \"yes\", \"no\" or \"maybe\", found {}", test_where(), json_for_message(label));
    }
    auto record = pqal.value.find(pmid);
    if (record == pqal.value.end()) fail("{}: PMID {} is not in {}", test_where(), pmid, pqal.path);
    Item item = pubmedqa_item_in(pqal, pmid, *record);
    if (item.answers.front() != label.get_ref<const std::string&>()) {
      fail("{}: label \"{}\" disagrees with final_decision \"{}\" at {}", test_where(),
           label.get_ref<const std::string&>(), item.answers.front(), pqal.where_of(pmid, "PMID " + pmid).str());
    }
    benchmark.items.push_back(std::move(item));  // ids: object keys, unique by construction
  }
  return benchmark;
}

Benchmark load_pubmedqa_labeled(const std::string& data_root) {
  const JsonDocument pqal = read_json_object_file(path_in(data_root, kPqalPath));
  Benchmark benchmark;
  benchmark.source = pqal.path;
  for (const auto& [pmid, record] : pqal.value.items()) benchmark.items.push_back(pubmedqa_item_in(pqal, pmid, record));
  return benchmark;
}

}  // namespace medllm::eval
