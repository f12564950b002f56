#pragma once
// The human-facing renderings of an evaluation's results (eval/results.hpp): a Markdown summary
// (summary.md) and one self-contained HTML page with charts (report.html), built in the shared
// page shell (report/page.hpp).
//
// Fields the results do not have are shown as "n/a" (a null setting as "none"). Every string
// taken from the results is escaped (and invalid UTF-8 or control characters are replaced by
// U+FFFD), so prompts with <, &, quotes or Japanese are shown as text.
//
// Charts: accuracy per benchmark (primary metric, 95% CI whiskers, chance marker); for
// benchmarks with an exam (IgakuQA), points per year beside the baselines (GPT-4, ChatGPT, GPT-3,
// student majority) and the required-section (必修) rate per year against the 80% line; per
// subject/specialty accuracy per benchmark, sorted, with n and Wilson 95% whiskers from n.

#include <string>

#include "eval/results.hpp"

namespace medllm::report {

// Title (model, config, run), one summary table (benchmark | n | primary metric with 95% CI |
// acc | acc_norm | acc_bytes, in %), a per-year table for each exam benchmark (accuracy,
// points/possible, required section, pass/fail, 禁忌肢 chosen, text-only accuracy, baselines'
// points), and how the numbers were computed.
std::string eval_markdown(const eval::EvalResults& results);

// The self-contained HTML report (see above).
std::string eval_html(const eval::EvalResults& results);

// Renders both, then writes <out_dir>/summary.md and <out_dir>/report.html atomically (creating
// out_dir if needed). Errors name the path.
void write_eval_reports(const eval::EvalResults& results, const std::string& out_dir);

}  // namespace medllm::report
