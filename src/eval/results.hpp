#pragma once
// results.json of `medllm eval`, as one typed definition: the runner fills an EvalResults and
// writes it with to_json; the reports (src/report) and the pipeline read the same struct, from
// the run or from a file through results_from_json, so writer and readers cannot drift apart.
//
// Reading is lenient by design: a results.json may come from an older medllm or be written by
// hand, and a report should still show everything it can. Only "benchmarks" (an object: name ->
// result) is required; any other field that is absent, null where a value is expected, of another
// type, or a non-finite number reads as absent (std::nullopt) and is shown as "n/a". A few older
// shapes are read too: a metric given as a bare number, "num_choices" instead of "chance",
// 禁忌肢 chosen as a list, baselines as a list of {system, label, years}.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace medllm::eval {

struct Proportion;
struct ExamSummary;

// A setting whose null means "none" (no item limit, no chat template), told apart from a setting
// the file does not record at all.
template <class T>
struct Nullable {
  bool present = false;         // false: absent from the file
  std::optional<T> value = {};  // with present: nullopt is null ("none")
  static Nullable none() { return {true, std::nullopt}; }
  static Nullable of(T v) { return {true, std::move(v)}; }
  bool operator==(const Nullable&) const = default;
};

struct AdapterIdentity {
  std::string path = {};
  double scale = 1.0;
  bool operator==(const AdapterIdentity&) const = default;
};

// What was evaluated. `visit` lists the fields in file order, for writing, reading and showing.
struct ModelIdentity {
  std::optional<std::string> path = {}, format = {}, model_type = {}, architecture = {};
  std::optional<int64_t> parameters = {};
  std::optional<std::string> dtype = {}, checkpoint = {};
  std::vector<AdapterIdentity> lora = {};  // adapters applied at load, in load order
  std::optional<std::string> sha256 = {};  // of config and weight files (and updates); absent when not hashed

  // v(key, field) for every field of `self` (const or not), in file order.
  template <class Self, class Visitor>
  static void visit(Self& self, Visitor&& v) {
    v("path", self.path), v("format", self.format), v("model_type", self.model_type);
    v("architecture", self.architecture), v("parameters", self.parameters), v("dtype", self.dtype);
    v("checkpoint", self.checkpoint), v("lora", self.lora), v("sha256", self.sha256);
  }
  bool operator==(const ModelIdentity&) const = default;
};

// How the run was made. File order is part of the per-item cache fingerprint: append new fields.
struct EvalConfig {
  std::optional<std::string> method = {};
  std::optional<int64_t> shots = {};
  Nullable<int64_t> limit = {};  // none: every item
  std::optional<int64_t> batch_size = {}, threads = {};
  std::optional<bool> add_bos = {};
  std::optional<std::string> data_root = {};
  std::optional<uint64_t> seed = {};
  std::optional<double> temperature = {};
  std::optional<int64_t> max_tokens = {};  // 0: each protocol's own
  std::optional<bool> chain_of_thought = {};
  std::optional<int64_t> self_consistency = {}, scoring_version = {};
  Nullable<std::string> chat_template = {};    // none: prompts are not put through a chat template
  std::optional<bool> system_role = {};        // JMED-LLM's use_system_role
  std::optional<std::string> bos = {};         // auto, on or off (add_bos: what it came to)
  Nullable<std::string> lm_eval_version = {};  // the release --bos auto follows; none: bos on or off

  // v(key, field) for every field of `self` (const or not), in file order.
  template <class Self, class Visitor>
  static void visit(Self& self, Visitor&& v) {
    v("method", self.method), v("shots", self.shots), v("limit", self.limit), v("batch_size", self.batch_size);
    v("threads", self.threads), v("add_bos", self.add_bos), v("data_root", self.data_root), v("seed", self.seed);
    v("temperature", self.temperature), v("max_tokens", self.max_tokens);
    v("chain_of_thought", self.chain_of_thought), v("self_consistency", self.self_consistency);
    v("scoring_version", self.scoring_version), v("chat_template", self.chat_template);
    v("system_role", self.system_role), v("bos", self.bos), v("lm_eval_version", self.lm_eval_version);
  }
  bool operator==(const EvalConfig&) const = default;
};

// A proportion with its 95% Wilson interval ({"value", "ci95": [low, high], "correct", "n"}).
struct Estimate {
  std::optional<double> value = {}, low = {}, high = {};
  std::optional<int64_t> correct = {}, n = {};
  static Estimate of(const Proportion& proportion);
  bool operator==(const Estimate&) const = default;
};

struct SubjectResult {
  std::string name = {};
  std::optional<int64_t> n = {};
  std::optional<double> accuracy = {};
  bool operator==(const SubjectResult&) const = default;
};

// Questions, accuracy and points of an exam year, booklet or part of one.
struct ExamTally {
  std::optional<double> accuracy = {};
  std::optional<int64_t> points = {}, possible = {}, questions = {};
  bool operator==(const ExamTally&) const = default;
};

struct ExamYear {
  std::string year = {};  // "2018"
  ExamTally total = {};
  std::optional<int64_t> required_points = {}, required_possible = {};  // the 必修 section
  std::optional<double> required_rate = {};
  Nullable<bool> required_pass = {};         // none: no required question was evaluated
  std::optional<int64_t> kinki_chosen = {};  // questions where a contraindicated choice was chosen
  std::optional<bool> partial = {};          // not every question of the exam was scored
  std::optional<ExamTally> text_only = {}, with_images = {};
  std::vector<std::pair<std::string, ExamTally>> booklets = {};  // "A" -> tally
  bool operator==(const ExamYear&) const = default;
};

// A published system's answers scored the same way, for comparison.
struct ExamBaseline {
  std::string system = {};                // "gpt4", "student-majority"
  std::optional<std::string> label = {};  // "GPT-4"
  std::vector<std::pair<std::string, ExamTally>> years = {};
  bool operator==(const ExamBaseline&) const = default;
};

struct ExamResult {
  std::vector<ExamYear> years = {};
  std::vector<ExamBaseline> baselines = {};
  nlohmann::json detail = {};  // the exam scorer's full record (ExamSummary::to_json), for tools
  bool operator==(const ExamResult&) const = default;
};

struct BenchmarkResult {
  std::string name = {};
  std::optional<int64_t> n = {};
  std::optional<int64_t> items_total = {};  // the set's items; n is fewer under --limit
  std::optional<std::string> language = {}, description = {}, source = {};
  std::optional<std::string> method = {};                      // "loglik" or "generate"
  std::vector<std::pair<std::string, Estimate>> metrics = {};  // in file order
  std::optional<std::string> primary_metric = {};
  std::vector<SubjectResult> per_subject = {};
  std::optional<int64_t> skipped = {};
  std::optional<double> chance = {};  // metrics.hpp chance_level: the mean guessing chance per item
  std::optional<std::string> prompt_format = {}, scoring = {}, example_prompt = {};
  std::optional<double> duration_s = {};
  std::optional<int64_t> resumed_items = {};  // items taken from the cache of an earlier run
  std::optional<ExamResult> exam = {};        // IgakuQA: scored as the exam is

  const Estimate* metric(std::string_view metric_name) const;  // nullptr when absent
  bool operator==(const BenchmarkResult&) const = default;
};

struct EvalResults {
  std::optional<std::string> medllm_version = {}, created = {};
  ModelIdentity model = {};
  EvalConfig config = {};
  std::vector<BenchmarkResult> benchmarks = {};  // in the order they were run
  std::vector<std::string> groups = {};          // benchmark groups named (eval/benchmarks.hpp), reported too
  std::optional<double> duration_s = {};
  bool operator==(const EvalResults&) const = default;
};

// The exam view of a scored exam: per year (and booklet), the required section, 禁忌肢 chosen,
// the text-only / with-images split and each baseline's points.
ExamResult exam_result(const ExamSummary& summary);

nlohmann::ordered_json to_json(const ModelIdentity& model);
nlohmann::ordered_json to_json(const EvalConfig& config);
// results.json: medllm's fields, then the keys lm-evaluation-harness writes (eval/lm_eval_view.hpp).
nlohmann::ordered_json to_json(const EvalResults& results);

// Errors (naming the field) only for a document that is not an object or has no "benchmarks"
// object; everything else is read leniently (see above). Benchmarks keep the document's order:
// pass an ordered_json (e.g. ordered_json::parse of results.json) to keep the run order.
EvalResults results_from_json(const nlohmann::ordered_json& document);
EvalResults results_from_json(const nlohmann::json& document);

// results.json read back; errors name the file.
EvalResults read_results_file(const std::string& path);

}  // namespace medllm::eval
