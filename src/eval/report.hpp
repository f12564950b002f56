#pragma once
// The human-facing renderings of an evaluation's results.json (the eval runner's output):
// a Markdown summary (summary.md) and one self-contained HTML page with plots (report.html).
//
// Only "benchmarks" (an object: name -> result) is required; every other field may be absent,
// null or of an unexpected type and is then shown as "n/a" (a null config value as "none").
// A non-object document or a missing "benchmarks" is an Error.
//
// The HTML page has no JavaScript and no external resources: inline CSS, inline SVG charts drawn
// here, UTF-8. Every string taken from the results is HTML-escaped (and invalid UTF-8 or control
// characters are replaced by U+FFFD), so prompts with <, &, quotes or Japanese are shown as text.
//
// Charts: accuracy per benchmark (primary metric, 95% CI whiskers, chance marker when the
// benchmark gives "chance" or "num_choices"); for benchmarks with an "exam" (IgakuQA), points per
// year beside the baselines (GPT-4, ChatGPT, GPT-3, student majority) and the required-section
// (必修) rate per year against the 80% line; per subject/specialty accuracy per benchmark, sorted,
// with n and Wilson 95% whiskers computed from n and the accuracy.
//
// Benchmarks are shown in the document's key order: nlohmann::json sorts keys, so pass an
// nlohmann::ordered_json (e.g. ordered_json::parse of results.json) to keep the run order.

#include <nlohmann/json.hpp>
#include <string>

namespace medllm::eval {

// Title (model, config, run), one summary table (benchmark | n | primary metric with 95% CI |
// acc | acc_norm | acc_bytes, in %), a per-year table for each exam benchmark (accuracy,
// points/possible, required section, pass/fail, 禁忌肢 chosen, text-only accuracy, baselines'
// points), and how the numbers were computed.
std::string render_markdown(const nlohmann::json& results);
std::string render_markdown(const nlohmann::ordered_json& results);

// The self-contained HTML report (see above).
std::string render_html(const nlohmann::json& results);
std::string render_html(const nlohmann::ordered_json& results);

// Renders both, then writes <out_dir>/summary.md and <out_dir>/report.html atomically (creating
// out_dir if needed). Errors name the path.
void write_reports(const nlohmann::json& results, const std::string& out_dir);
void write_reports(const nlohmann::ordered_json& results, const std::string& out_dir);

}  // namespace medllm::eval
