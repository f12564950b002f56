#include "report/pipeline_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "core/atomic_file.hpp"
#include "report/charts.hpp"
#include "report/escape.hpp"
#include "report/page.hpp"
#include "report/table.hpp"
#include "report/training_report.hpp"

namespace medllm::report {
namespace {

Table measurement_table(const ModelMeasurement& before, const ModelMeasurement& after) {
  Table table{.header = {"measurement", "before", "after", "change"},
              .columns = {Column::text, Column::number, Column::number, Column::text}};
  if (before.heldout && after.heldout) {
    const HeldoutMeasurement &b = *before.heldout, &a = *after.heldout;
    table.rows.push_back({fmt::format("held-out perplexity ({} tokens; lower is better)", b.tokens),
                          fmt::format("{:.3f}", b.perplexity), fmt::format("{:.3f}", a.perplexity),
                          fmt::format("{:.2f}× lower", b.perplexity / a.perplexity)});
    table.rows.push_back(
        {"held-out loss (nats per token)", fmt::format("{:.4f}", b.loss), fmt::format("{:.4f}", a.loss), ""});
  }
  for (const BenchmarkMeasurement& b : before.benchmarks) {
    const auto it = std::find_if(after.benchmarks.begin(), after.benchmarks.end(),
                                 [&](const BenchmarkMeasurement& a) { return a.name == b.name; });
    if (it == after.benchmarks.end()) continue;
    const BenchmarkMeasurement& a = *it;
    table.rows.push_back({fmt::format("{} {} (n = {}, chance {:.0f}%)", b.name, b.metric, b.n, 100 * b.chance),
                          fmt::format("{:.1f}%", 100 * b.value), fmt::format("{:.1f}%", 100 * a.value),
                          fmt::format("{:+.1f} points", 100 * (a.value - b.value))});
  }
  return table;
}

std::string stage_html(const PipelineStage& stage) {
  const std::filesystem::path dir(stage.output_dir);
  const TrainingLog log = read_training_log((dir / "metrics.jsonl").string());
  std::string html = fmt::format("<h3>Stage {}: {} {}, {} steps</h3>\n", html_escape(stage.name),
                                 html_escape(stage.finetuning_type), html_escape(stage.objective), stage.steps);
  if (!log.steps.empty()) {
    html += fmt::format("<p>{:.0f} tokens/s; full curves and settings in <code>{}</code>.</p>\n",
                        log.steps.back().tokens_per_second, html_escape((dir / "training_report.html").string()));
  }
  return html + figure(line_chart(loss_chart(log)), "Training loss per step and held-out loss at each evaluation.");
}

Table samples_table(const ModelMeasurement& before, const ModelMeasurement& after) {
  Table table{.header = {"prompt", "before", "after"},
              .columns = {Column::prose, Column::prose, Column::prose},
              .row_headers = false};
  for (size_t i = 0; i < before.samples.size() && i < after.samples.size(); ++i)
    table.rows.push_back({before.samples[i].prompt, before.samples[i].completion, after.samples[i].completion});
  return table;
}

}  // namespace

std::string pipeline_report_html(const PipelineRun& run) {
  Page page{.title = fmt::format("{}: before and after adaptation", run.name)};
  page.subtitle = fmt::format("Base model {} → adapted model {} (Hugging Face format), seed {}, {:.0f} s in all.",
                              run.base_model, run.adapted_model, run.seed, run.total_seconds);
  std::string measurements = html_table(measurement_table(run.before, run.after), "summary");
  if (run.before.heldout) {
    measurements += fmt::format(
        "<p class=\"note\">Held-out text: the validation split of <code>{}</code>, never "
        "trained on.</p>\n",
        html_escape(run.before.heldout->data));
  }
  page.main_html = section("measurements", "Measurements", measurements);
  std::string training;
  for (const PipelineStage& stage : run.stages) training += stage_html(stage);
  page.main_html += section("training", "Training", training);
  if (!run.before.samples.empty()) {
    page.main_html += section("samples", "Sample answers (greedy unless the recipe sets a temperature)",
                              html_table(samples_table(run.before, run.after), "samples"));
  }
  page.main_html += section(
      "recipe", "Recipe",
      "<pre>" + html_escape(run.recipe.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)) + "</pre>\n");
  return render_page(page);
}

void write_pipeline_report(const PipelineRun& run, const std::string& path) {
  write_file_atomically(path, pipeline_report_html(run));
}

}  // namespace medllm::report
