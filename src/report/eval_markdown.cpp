#include <fmt/format.h>
#include <fmt/ranges.h>

#include "report/escape.hpp"
#include "report/eval_report.hpp"
#include "report/eval_tables.hpp"
#include "report/format.hpp"

namespace medllm::report {
namespace {

std::string model_line(const eval::ModelIdentity& model) {
  std::vector<std::string> parts;
  for (const auto& value : {model.format, model.model_type, model.architecture, model.dtype}) {
    if (value) parts.push_back(markdown_escape(*value));
  }
  if (model.parameters)
    parts.push_back(markdown_escape(parameter_count(static_cast<double>(*model.parameters))) + " parameters");
  if (model.sha256) parts.push_back("sha256 " + markdown_code(model.sha256->substr(0, 16)) + "…");
  std::string line = "- **Model:** " + (model.path ? markdown_code(*model.path) : std::string(kNa));
  if (!parts.empty()) line += fmt::format(" ({})", fmt::join(parts, ", "));
  return line + "\n";
}

// data_root last, as code: it is a path.
std::string config_line(const eval::EvalConfig& config) {
  std::vector<std::string> parts;
  for (const auto& [key, value] : config_rows(config)) {
    if (key != "data_root") parts.push_back(markdown_escape(key) + " " + markdown_escape(value));
  }
  std::string line = fmt::format("- **Config:** {}", fmt::join(parts, ", "));
  if (config.data_root) line += ", data_root " + markdown_code(*config.data_root);
  return line + "\n";
}

std::string exam_section(const BenchView& bench) {
  std::string out = "\n## " + markdown_escape(bench.name) + ": the exam year by year\n\n";
  const Table table = exam_table(bench, baseline_views(*bench.result->exam), false);
  if (table.rows.empty()) return out + "No per-year results.\n";
  return out + markdown_table(table) +
         "\nAccuracy in %; points = points earned / possible; the required section (必修) passes at ≥ 80%.\n";
}

}  // namespace

std::string eval_markdown(const eval::EvalResults& results) {
  const std::vector<BenchView> benches = bench_views(results);
  std::string out = "# Evaluation report: " + markdown_escape(model_name(results)) + "\n\n";
  out += model_line(results.model) + config_line(results.config);
  out += "- **Run:** " + markdown_escape(results.created.value_or(std::string(kNa))) + ", " +
         markdown_escape(duration(results.duration_s)) + ", medllm " +
         markdown_escape(results.medllm_version.value_or(std::string(kNa))) + "\n\n";
  out += "## Summary\n\n" + markdown_table(summary_table(benches, false));
  out += "\nAccuracies in %; the primary metric's 95% CI is a Wilson score interval.\n";
  for (const BenchView& bench : benches) {
    if (bench.result->exam) out += exam_section(bench);
  }
  out += "\n## How the numbers were computed\n\n";
  for (const std::string& note : method_notes(results, benches)) out += "- " + markdown_escape(note) + "\n";
  return out + "\n" + markdown_table(scoring_table(benches));
}

}  // namespace medllm::report
