#include "train/training_report.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/html_text.hpp"
#include "core/svg_chart.hpp"

namespace medllm {

TrainingCurves read_training_curves(const std::string& metrics_path) {
  TrainingCurves curves;
  curves.train = {"train loss", "#1f77b4", {}};
  curves.eval = {"held-out loss", "#d62728", {}};
  curves.learning_rate = {"learning rate", "#2ca02c", {}};
  std::ifstream in(metrics_path);
  std::string line;
  while (std::getline(in, line)) {
    nlohmann::json row;
    try {
      row = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      continue;  // a line cut by a kill
    }
    const double step = row.value("step", 0.0);
    if (row.contains("loss")) {
      curves.train.points.emplace_back(step, row["loss"].get<double>());
      curves.learning_rate.points.emplace_back(step, row.value("learning_rate", 0.0));
      curves.last_train = row;
    }
    if (row.contains("eval_loss")) curves.eval.points.emplace_back(step, row["eval_loss"].get<double>());
  }
  return curves;
}

void write_training_report(const std::string& output_dir, const std::string& metrics_path,
                           const nlohmann::json& settings) {
  const TrainingCurves curves = read_training_curves(metrics_path);
  const Series &train = curves.train, &eval = curves.eval, &lr = curves.learning_rate;
  const nlohmann::json& last_train = curves.last_train;
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>medllm training report</title>"
      "<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
      "td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:13px}</style></head><body>\n"
      "<h1>Training report</h1>\n";
  html += fmt::format("<p>model <code>{}</code>, data <code>{}</code>, {} fine-tuning</p>\n",
                      html_escape(settings.value("model", "")), html_escape(settings.value("data", "")),
                      html_escape(settings.value("finetuning_type", "")));
  html += "<table><tr><th></th><th>step</th><th>value</th></tr>";
  if (!eval.points.empty()) {
    html += fmt::format("<tr><td>first held-out loss (perplexity)</td><td>{:.0f}</td><td>{:.4f} ({:.3f})</td></tr>",
                        eval.points.front().first, eval.points.front().second, std::exp(eval.points.front().second));
    html += fmt::format("<tr><td>last held-out loss (perplexity)</td><td>{:.0f}</td><td>{:.4f} ({:.3f})</td></tr>",
                        eval.points.back().first, eval.points.back().second, std::exp(eval.points.back().second));
  }
  if (!last_train.is_null()) {
    html += fmt::format("<tr><td>last train loss</td><td>{}</td><td>{:.4f}</td></tr>", last_train.value("step", 0),
                        last_train.value("loss", 0.0));
    html += fmt::format("<tr><td>throughput</td><td></td><td>{:.0f} tokens/s, {:.1f} s</td></tr>",
                        last_train.value("tokens_per_second", 0.0), last_train.value("elapsed_seconds", 0.0));
  }
  html += "</table>\n";
  html += line_chart("Loss", {train, eval}, true) + "\n";
  html += line_chart("Learning rate", {lr}, false) + "\n";
  html += "<h2>Settings</h2><pre>" + html_escape(settings.dump(2)) + "</pre>\n</body></html>\n";
  write_file_atomically((std::filesystem::path(output_dir) / "training_report.html").string(), html);
}

}  // namespace medllm
