#pragma once
// The keys lm-evaluation-harness writes into its results JSON (v0.4: evaluator.py's results
// dictionary), derived from medllm's results so that lm-eval's tooling and the scripts built on it
// read a medllm results.json:
//   "results":          task -> {"alias", "<metric>,none", "<metric>_stderr,none", ...}, groups too
//   "groups":           group -> the same, for the groups named (multimedqa, igakuqa_all)
//   "group_subtasks":   group -> its tasks; a task run on its own -> []
//   "configs", "versions", "n-shot", "higher_is_better", "n-samples"
// Task names are lm-eval's where medllm runs its task (medqa -> medqa_4options; mmlu_medical ->
// one mmlu_<subject> per subject, grouped under mmlu_medical), else medllm's. A proportion's
// stderr is lm-eval's mean_stderr of the 0/1 scores, sqrt(p(1 - p) / (n - 1)); a group's value is
// the size-weighted mean of its tasks' acc and its stderr lm-eval's pooled_sample_stderr. Metrics
// lm-eval would bootstrap (kappa) or whose items' spread is not kept (F1 means) get "N/A"; an
// undefined value (kappa with one label throughout) is null. Versions are lm-eval's for its own
// tasks (pubmedqa and mmlu_* 1.0, generated mmlu_pro_health 3.1, none for medqa_4options and
// medmcqa) and null for medllm's.

#include <nlohmann/json.hpp>
#include <string>

#include "eval/results.hpp"

namespace medllm::eval {

nlohmann::ordered_json lm_eval_view(const EvalResults& results);

// The task name lm-eval gives a medllm benchmark (itself where lm-eval has no such task).
std::string lm_eval_task_name(const std::string& benchmark);

}  // namespace medllm::eval
