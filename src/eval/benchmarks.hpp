#pragma once
// Benchmark loaders: load_benchmark("medqa", data_root) reads the real files under a data root
// laid out like ../shared/data (see its SOURCES.md) and returns validated Items.
//
// Conventions shared by every loader:
// - Every record is validated; a missing or ill-typed field, an empty question or option, an
//   answer that is not among the choices, a wrong CSV column count, invalid UTF-8 or a
//   duplicate id is an Error "<file>:<line>: field '<name>' ..." (core/json_fields.hpp's style).
// - Item.id is the dataset's own id where it has one (MedQA/MMLU/MMLU-Pro `realidx`, PubMedQA
//   PMID, MedMCQA-hard UUID), else "<benchmark>-<line>" (JMMLU: "<benchmark>-<subject>-<line>"),
//   where <line> is the 1-based line of the record in its file.
// - Text is kept byte for byte as the file has it (no trimming: pandas, Hugging Face datasets
//   and lm-evaluation-harness keep JMMLU's leading spaces too). The only rewrite is dropping
//   MedMCQA's "A. " label prefixes, which repeat the label.
// - Choice labels are "A", "B", ... in file order; PubMedQA uses "yes"/"no"/"maybe" as labels
//   and texts (lm-evaluation-harness's doc_to_choice).
//
// Item.meta per benchmark (absent keys are absent in the source):
//   medqa: meta_info ("step1" / "step2&3"), realidx      medqa_5options: meta_info
//   pubmedqa, pubmedqa_labeled: context (the abstract's CONTEXTS joined with "\n", as
//     lm-evaluation-harness's pubmedqa doc_to_text does), long_answer, year (string or null)
//   mmlu_medical: realidx      mmlu_pro_health: realidx, src, category
//   *_hard: the fields above that the MedAgentsBench file has; pubmedqa_hard: answer_rationale
//   jmed_llm_*: tag (also Item.subject); the entity tasks' answers are the gold entity strings

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/json_fields.hpp"
#include "eval/item.hpp"

namespace medllm::eval {

// Loads a benchmark by name (see benchmark_names()); an unknown name is an Error that lists
// the known ones. Benchmark.name comes from the registry, and so does the description unless
// the loader wrote one.
Benchmark load_benchmark(const std::string& name, const std::string& data_root);

// The registered names, in registry order.
std::vector<std::string> benchmark_names();

struct BenchmarkEntry {
  std::string name;                                             // as passed to --bench
  std::string description;                                      // one line: what it is, which split, how many items
  std::function<Benchmark(const std::string& data_root)> load;  // sets source and items (description optional)
};

// The registry (benchmarks.cpp): one entry per benchmark.
const std::vector<BenchmarkEntry>& benchmark_registry();

// A named set of benchmarks reported together, as lm-evaluation-harness groups are: the
// size-weighted mean of the members' acc over their items (lm-eval's aggregate_metric_list with
// weight_by_size), counting MMLU's subjects as lm-eval's separate mmlu_<subject> tasks.
struct BenchmarkGroup {
  std::string name;  // as passed to --bench / --tasks
  std::string description;
  std::vector<std::string> members;  // benchmark names, in run order
};
const std::vector<BenchmarkGroup>& benchmark_groups();
const BenchmarkGroup* find_group(const std::string& name);  // nullptr: not a group

// Names given to --bench with each group replaced by its members (a benchmark named twice runs
// once, where it first appears); `groups` receives the groups named.
std::vector<std::string> expand_groups(const std::vector<std::string>& names, std::vector<std::string>* groups);

// ---- The loaders behind the registry (data_root: the folder holding medqa/, jmmlu/, ...).

// loaders_en.cpp
Benchmark load_medqa(const std::string& data_root);             // medqa/test.jsonl
Benchmark load_medqa_5options(const std::string& data_root);    // medagentsbench/medqa_5options/test.jsonl
Benchmark load_medmcqa(const std::string& data_root);           // medmcqa/validation.jsonl
Benchmark load_pubmedqa(const std::string& data_root);          // test_ground_truth.json + ori_pqal.json
Benchmark load_pubmedqa_labeled(const std::string& data_root);  // ori_pqal.json
Benchmark load_mmlu_medical(const std::string& data_root);      // medagentsbench/mmlu/test.jsonl
Benchmark load_mmlu_pro_health(const std::string& data_root);   // medagentsbench/mmlu-pro/test.jsonl
// medagentsbench/<subset>/test_hard.jsonl; subset: medqa, medqa_5options, medmcqa, mmlu,
// mmlu-pro, pubmedqa.
Benchmark load_medagents_hard(const std::string& data_root, const std::string& subset);

// loaders_ja.cpp
Benchmark load_jmmlu_medical(const std::string& data_root);  // jmmlu/<8 medical subjects>.csv
// jmed-llm/datasets/<task>.csv; task: jmmlu_med, crade, rrtnm, smdis (multiple choice), or
// mrner_disease, mrner_medicine (named entities: no choices, the gold entities as answers).
Benchmark load_jmed_llm(const std::string& data_root, const std::string& task);

// ---- Helpers shared by the loaders.
namespace loader {

// Where a record is: "<file>:<line>" (line 0: unknown), optionally with a record key.
struct Where {
  std::string file;
  int line = 0;
  std::string record;  // e.g. "PMID 21645374"
  std::string str() const;
};

// "<where>: field '<field>': <what>", for what the field accessors below cannot check.
template <typename... Args>
[[noreturn]] void fail_field(const Where& where, std::string_view field, fmt::format_string<Args...> format,
                             Args&&... args) {
  fail("{}: {}", field_name(where.str(), field), fmt::format(format, std::forward<Args>(args)...));
}

std::string path_in(const std::string& data_root, const std::string& relative);
std::string read_text_file(const std::string& path);               // Error naming the path if it cannot be read
bool is_blank(std::string_view text);                              // empty or only ASCII whitespace
std::string choice_label(size_t index);                            // 0 -> "A", 1 -> "B", ...
std::string column_field(const std::string& name, size_t column);  // "answer (column 6)"

// core/json_fields.hpp's accessors with the record's place as `where`: a missing field or one of
// another type is an Error naming the file, line and field.
const nlohmann::json& require_field(const nlohmann::json& object, const char* field, const Where& where);
const std::string& require_string(const nlohmann::json& object, const char* field, const Where& where);
const std::string& require_text(const nlohmann::json& object, const char* field, const Where& where);  // non-blank
int64_t require_integer(const nlohmann::json& object, const char* field, const Where& where);
std::string require_id(const nlohmann::json& object, const char* field, const Where& where);  // string or integer

// Calls fn(record, where) for every non-blank line of a JSON Lines file; each line must be a
// JSON object in valid UTF-8 (a leading BOM is skipped).
void for_each_jsonl(const std::string& path,
                    const std::function<void(const nlohmann::json& record, const Where& where)>& fn);

// The items of an MMLU-layout CSV file (no header; question,A,B,C,D,answer with answer A-D; JMMLU
// and hendrycks' MMLU), ids "<id_prefix>-<line>", every field kept as written.
std::vector<Item> read_abcd_csv(const std::string& path, const std::string& subject, const std::string& language,
                                const std::string& id_prefix);

// Checks the invariants every Item must satisfy (non-blank id and question, at least two
// choices with unique labels and non-blank texts, every answer among the labels).
void validate_item(const Item& item, const Where& where);

// Ids seen so far in one benchmark; a repeated id is an Error naming both places.
class IdRegistry {
 public:
  void add(const std::string& id, const Where& where);

 private:
  std::map<std::string, std::string> seen_;  // id -> where it was first seen
};

}  // namespace loader
}  // namespace medllm::eval
