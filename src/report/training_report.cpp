#include "report/training_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/atomic_file.hpp"
#include "report/escape.hpp"
#include "report/page.hpp"
#include "report/table.hpp"

namespace medllm::report {
namespace {

// A decade or more of loss is easier to read on a log axis; less than that, a log axis only
// squeezes the curve.
constexpr double kLogScaleRatio = 10;

std::string setting(const nlohmann::json& settings, const char* key) {
  const auto it = settings.find(key);
  return it != settings.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Table summary_table(const TrainingLog& log) {
  Table table{.header = {"", "step", "value"}, .columns = {Column::text, Column::number, Column::number}};
  if (!log.evals.empty()) {
    for (const auto& [label, row] : {std::pair{"first held-out loss (perplexity)", log.evals.front()},
                                     std::pair{"last held-out loss (perplexity)", log.evals.back()}}) {
      table.rows.push_back(
          {label, fmt::format("{}", row.step), fmt::format("{:.4f} ({:.3f})", row.loss, std::exp(row.loss))});
    }
  }
  if (!log.steps.empty()) {
    const TrainStepRecord& last = log.steps.back();
    table.rows.push_back({"last train loss", fmt::format("{}", last.step), fmt::format("{:.4f}", last.loss)});
    table.rows.push_back(
        {"throughput", "", fmt::format("{:.0f} tokens/s, {:.1f} s", last.tokens_per_second, last.elapsed_seconds)});
  }
  return table;
}

LineChart learning_rate_chart(const TrainingLog& log) {
  LineChart chart{
      .title = "Learning rate", .x = {.label = "step", .whole_numbers = true}, .y = {.label = "learning rate"}};
  chart.series.push_back({"learning rate", "#2ca02c", {}});
  for (const TrainStepRecord& row : log.steps) chart.series[0].points.emplace_back(row.step, row.learning_rate);
  return chart;
}

}  // namespace

LineChart loss_chart(const TrainingLog& log) {
  LineChart chart{
      .title = "Loss", .x = {.label = "step", .whole_numbers = true}, .y = {.label = "loss", .unit = "nats per token"}};
  chart.series = {{"train loss", "#1f77b4", {}}, {"held-out loss", "#d62728", {}}};
  for (const TrainStepRecord& row : log.steps) chart.series[0].points.emplace_back(row.step, row.loss);
  for (const EvalRecord& row : log.evals) chart.series[1].points.emplace_back(row.step, row.loss);
  double low = INFINITY, high = 0;
  for (const Series& series : chart.series) {
    for (const auto& [step, loss] : series.points) {
      if (loss > 0 && std::isfinite(loss)) low = std::min(low, loss), high = std::max(high, loss);
    }
  }
  if (high > low * kLogScaleRatio) chart.y.scale = Scale::log;
  return chart;
}

std::string training_report_html(const TrainingLog& log, const nlohmann::json& settings) {
  Page page{.title = "Training report"};
  page.subtitle = fmt::format("model {}, data {}, {} fine-tuning", setting(settings, "model"),
                              setting(settings, "data"), setting(settings, "finetuning_type"));
  page.main_html = html_table(summary_table(log), "summary");
  page.main_html +=
      section("curves", "Curves",
              figure(line_chart(loss_chart(log)), "Training loss per step and held-out loss at each evaluation.") +
                  figure(line_chart(learning_rate_chart(log)), "Learning rate per step."));
  page.main_html += section(
      "settings", "Settings",
      "<pre>" + html_escape(settings.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)) + "</pre>\n");
  return render_page(page);
}

void write_training_report(const std::string& output_dir, const nlohmann::json& settings) {
  const std::filesystem::path dir(output_dir);
  const TrainingLog log = read_training_log((dir / "metrics.jsonl").string());
  write_file_atomically((dir / "training_report.html").string(), training_report_html(log, settings));
}

}  // namespace medllm::report
