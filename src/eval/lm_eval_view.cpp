#include "eval/lm_eval_view.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "eval/benchmarks.hpp"

namespace medllm::eval {

namespace {

using Json = nlohmann::ordered_json;

// One lm-eval task as it appears in the results: a benchmark, or one MMLU subject of one.
struct Leaf {
  std::string name;
  std::string alias;
  std::vector<std::pair<std::string, Estimate>> metrics;  // Estimate: value and n
  std::optional<int64_t> n, original;
  const BenchmarkResult* bench = nullptr;
  std::string filter = "none";  // lm-eval's filter name in "<metric>,<filter>"
};

// lm-eval's mean_stderr of n scores of 0 and 1 with mean p: the sample standard deviation,
// sqrt(n p (1 - p) / (n - 1)), over sqrt(n).
Json proportion_stderr(const Estimate& estimate) {
  if (!estimate.value || !estimate.n || *estimate.n < 2) return "N/A";
  const double p = *estimate.value;
  return std::sqrt(p * (1.0 - p) / static_cast<double>(*estimate.n - 1));
}

bool is_proportion(const std::string& metric) {
  return metric.rfind("acc", 0) == 0;
}

// The task names of lm-eval's MMLU subjects: mmlu_<subject>.
bool splits_into_subjects(const BenchmarkResult& bench) {
  return bench.name == "mmlu_medical" && !bench.per_subject.empty();
}

std::vector<Leaf> leaves_of(const BenchmarkResult& bench) {
  if (!splits_into_subjects(bench)) {
    const std::string name = lm_eval_task_name(bench.name);
    if (bench.name == "mmlu_pro_health" && bench.method == "generate") {
      // lm-eval's mmlu_pro reports exact_match after its custom-extract filter.
      std::vector<std::pair<std::string, Estimate>> metrics;
      for (const auto& [metric, estimate] : bench.metrics)
        metrics.emplace_back(metric == "acc" ? "exact_match" : metric, estimate);
      return {{name, name, metrics, bench.n, bench.items_total, &bench, "custom-extract"}};
    }
    return {{name, name, bench.metrics, bench.n, bench.items_total, &bench}};
  }
  std::vector<Leaf> out;
  const bool limited = bench.n != bench.items_total;
  for (const SubjectResult& subject : bench.per_subject) {
    const Estimate acc{.value = subject.accuracy, .n = subject.n};
    out.push_back(
        {"mmlu_" + subject.name, subject.name, {{"acc", acc}}, subject.n, limited ? std::nullopt : subject.n, &bench});
  }
  return out;
}

Json metric_entry(const Leaf& leaf) {
  Json entry = {{"alias", leaf.alias}};
  for (const auto& [metric, estimate] : leaf.metrics) {
    const bool proportion = is_proportion(metric) || metric == "exact_match";
    // An undefined value (kappa with one label throughout; lm-eval would write NaN) is null.
    entry[metric + "," + leaf.filter] = estimate.value ? Json(*estimate.value) : Json(nullptr);
    entry[metric + "_stderr," + leaf.filter] = proportion ? proportion_stderr(estimate) : Json("N/A");
  }
  return entry;
}

// lm-eval's group metrics: acc weighted by each task's size, stderr pooled
// (api/metrics.py aggregate_subtask_metrics and pooled_sample_stderr).
std::optional<Json> group_entry(const std::string& name, const std::vector<Leaf>& leaves) {
  double weighted = 0.0, pooled = 0.0, total = 0.0;
  bool stderr_known = true;
  for (const Leaf& leaf : leaves) {
    const Estimate* acc = nullptr;
    for (const auto& [metric, estimate] : leaf.metrics) {
      if (metric == "acc") acc = &estimate;
    }
    if (acc == nullptr || !acc->value || !leaf.n || *leaf.n < 1) return std::nullopt;
    const auto size = static_cast<double>(*leaf.n);
    weighted += *acc->value * size;
    total += size;
    const Json stderr = proportion_stderr({.value = acc->value, .n = leaf.n});
    if (stderr.is_number()) {
      pooled += (size - 1) * stderr.get<double>() * stderr.get<double>() * size;
    } else {
      stderr_known = false;
    }
  }
  if (leaves.empty()) return std::nullopt;
  const double degrees = total - static_cast<double>(leaves.size());
  Json entry = {{"alias", name}, {"acc,none", weighted / total}};
  entry["acc_stderr,none"] = stderr_known && degrees > 0 ? Json(std::sqrt(pooled / degrees / total)) : Json("N/A");
  return entry;
}

// lm-eval's task versions (metadata.version of each task's YAML; none for medqa_4options and
// medmcqa), null for medllm's own tasks.
Json version_of(const Leaf& leaf) {
  const std::string& source = leaf.bench->name;
  if (source == "mmlu_pro_health") return leaf.filter == "custom-extract" ? Json(3.1) : Json(nullptr);
  if (source == "pubmedqa" || source == "mmlu_medical") return 1.0;
  return nullptr;
}

// The examples before each question: the run's --shots, or the protocol's own (the IgakuQA
// paper's three).
int64_t shots_of(const Leaf& leaf, const EvalResults& run) {
  if (leaf.bench->name == "igakuqa_paper") return 3;
  return run.config.shots.value_or(0);
}

Json task_config(const Leaf& leaf, const EvalResults& results) {
  const bool generated = leaf.bench->method.value_or("loglik") == "generate";
  Json metric_list = Json::array();
  for (const auto& [metric, estimate] : leaf.metrics)
    metric_list.push_back({{"metric", metric}, {"aggregation", "mean"}, {"higher_is_better", true}});
  Json metadata = {{"version", version_of(leaf)}};
  if (leaf.bench->prompt_format) metadata["medllm_prompt_format"] = *leaf.bench->prompt_format;
  if (leaf.bench->scoring) metadata["medllm_scoring"] = *leaf.bench->scoring;
  return {{"task", leaf.name},
          {"output_type", generated ? "generate_until" : "multiple_choice"},
          {"num_fewshot", shots_of(leaf, results)},
          {"metric_list", metric_list},
          {"metadata", metadata}};
}

struct View {
  Json results = Json::object(), groups = Json::object(), group_subtasks = Json::object();
  Json configs = Json::object(), versions = Json::object(), n_shot = Json::object();
  Json higher_is_better = Json::object(), n_samples = Json::object();

  void add_leaf(const Leaf& leaf, const EvalResults& run) {
    results[leaf.name] = metric_entry(leaf);
    configs[leaf.name] = task_config(leaf, run);
    versions[leaf.name] = version_of(leaf);
    n_shot[leaf.name] = shots_of(leaf, run);
    Json better = Json::object();
    for (const auto& [metric, estimate] : leaf.metrics) better[metric] = true;
    higher_is_better[leaf.name] = better;
    Json samples = Json::object();
    if (leaf.original) samples["original"] = *leaf.original;
    if (leaf.n) samples["effective"] = *leaf.n;
    n_samples[leaf.name] = samples;
  }

  void add_group(const std::string& name, const std::vector<Leaf>& leaves, bool show) {
    const std::optional<Json> entry = group_entry(name, leaves);
    if (!entry) return;
    results[name] = *entry;
    if (show) groups[name] = *entry;
    Json names = Json::array();
    for (const Leaf& leaf : leaves) names.push_back(leaf.name);
    group_subtasks[name] = names;
    versions[name] = nullptr;
    higher_is_better[name] = {{"acc", true}};
  }
};

}  // namespace

std::string lm_eval_task_name(const std::string& benchmark) {
  if (benchmark == "medqa") return "medqa_4options";
  return benchmark;
}

nlohmann::ordered_json lm_eval_view(const EvalResults& results) {
  View view;
  for (const BenchmarkResult& bench : results.benchmarks) {
    const std::vector<Leaf> leaves = leaves_of(bench);
    for (const Leaf& leaf : leaves) {
      view.add_leaf(leaf, results);
      if (!splits_into_subjects(bench)) view.group_subtasks[leaf.name] = Json::array();
    }
    // Under multimedqa lm-eval lists the subjects directly, not in a group of their own.
    const bool in_multimedqa =
        std::find(results.groups.begin(), results.groups.end(), "multimedqa") != results.groups.end();
    if (splits_into_subjects(bench) && !in_multimedqa) view.add_group(bench.name, leaves, false);
  }
  for (const std::string& name : results.groups) {
    const BenchmarkGroup* group = find_group(name);
    if (group == nullptr) continue;
    std::vector<Leaf> leaves;
    for (const std::string& member : group->members) {
      for (const BenchmarkResult& bench : results.benchmarks) {
        if (bench.name != member) continue;
        for (Leaf& leaf : leaves_of(bench)) leaves.push_back(std::move(leaf));
      }
    }
    view.add_group(name, leaves, true);
  }
  Json out = {{"results", view.results}};
  if (!view.groups.empty()) out["groups"] = view.groups;
  out["group_subtasks"] = view.group_subtasks;
  out["configs"] = view.configs;
  out["versions"] = view.versions;
  out["n-shot"] = view.n_shot;
  out["higher_is_better"] = view.higher_is_better;
  out["n-samples"] = view.n_samples;
  return out;
}

}  // namespace medllm::eval
