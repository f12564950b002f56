#include "train/training_report.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/html_text.hpp"

namespace medllm {

namespace {

struct Series {
  std::string name;
  std::string color;
  std::vector<std::pair<double, double>> points;  // (step, value)
};

// A line chart of one or more series sharing axes; log_y for losses spanning decades.
std::string line_chart(const std::string& title, const std::vector<Series>& series, bool log_y) {
  constexpr double kWidth = 720, kHeight = 300, kLeft = 64, kRight = 16, kTop = 28, kBottom = 40;
  double x_min = 1e300, x_max = -1e300, y_min = 1e300, y_max = -1e300;
  for (const auto& s : series) {
    for (const auto& [x, y] : s.points) {
      if (!std::isfinite(y) || (log_y && y <= 0)) continue;
      x_min = std::min(x_min, x);
      x_max = std::max(x_max, x);
      y_min = std::min(y_min, log_y ? std::log10(y) : y);
      y_max = std::max(y_max, log_y ? std::log10(y) : y);
    }
  }
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" role=\"img\" "
      "aria-label=\"{2}\"><text x=\"{3}\" y=\"18\" font-size=\"14\" font-weight=\"bold\">{2}</text>",
      kWidth, kHeight, html_escape(title), kLeft);
  if (x_min > x_max) return svg + "<text x=\"64\" y=\"60\">no data</text></svg>";
  if (x_max == x_min) x_max = x_min + 1;
  if (y_max == y_min) {
    y_max += 0.5;
    y_min -= 0.5;
  }
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  const auto px = [&](double x) { return kLeft + (x - x_min) / (x_max - x_min) * plot_w; };
  const auto py = [&](double y) {
    return kTop + (1.0 - ((log_y ? std::log10(y) : y) - y_min) / (y_max - y_min)) * plot_h;
  };
  svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#fafbfc\" stroke=\"#d0d4d9\"/>", kLeft,
                     kTop, plot_w, plot_h);
  for (int i = 0; i <= 4; ++i) {  // y ticks
    const double v = y_min + (y_max - y_min) * i / 4.0;
    const double value = log_y ? std::pow(10.0, v) : v;
    const double y = kTop + (1.0 - i / 4.0) * plot_h;
    svg += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#e6e8eb\"/>", kLeft, y,
                       kLeft + plot_w, y);
    svg += fmt::format("<text x=\"{}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"end\">{:.4g}</text>", kLeft - 6,
                       y + 4, value);
  }
  for (int i = 0; i <= 4; ++i) {  // x ticks
    const double x = x_min + (x_max - x_min) * i / 4.0;
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{:.0f}</text>", px(x),
                       kTop + plot_h + 16, x);
  }
  svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">step</text>", kLeft + plot_w / 2,
                     kHeight - 6);
  double legend_x = kLeft + 200;
  for (const auto& s : series) {
    std::string points;
    for (const auto& [x, y] : s.points) {
      if (!std::isfinite(y) || (log_y && y <= 0)) continue;
      points += fmt::format("{:.1f},{:.1f} ", px(x), py(y));
    }
    svg += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"/>", s.color, points);
    if (s.points.size() <= 40) {
      for (const auto& [x, y] : s.points) {
        if (std::isfinite(y) && (!log_y || y > 0))
          svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.5\" fill=\"{}\"/>", px(x), py(y), s.color);
      }
    }
    svg += fmt::format(
        "<rect x=\"{}\" y=\"9\" width=\"12\" height=\"3\" fill=\"{}\"/><text x=\"{}\" y=\"16\" "
        "font-size=\"12\">{}</text>",
        legend_x, s.color, legend_x + 16, html_escape(s.name));
    legend_x += 150;
  }
  return svg + "</svg>";
}

}  // namespace

void write_training_report(const std::string& output_dir, const std::string& metrics_path,
                           const nlohmann::json& settings) {
  Series train{"train loss", "#1f77b4", {}}, eval{"held-out loss", "#d62728", {}}, lr{"learning rate", "#2ca02c", {}};
  std::ifstream in(metrics_path);
  std::string line;
  nlohmann::json last_train, last_eval;
  while (std::getline(in, line)) {
    nlohmann::json row;
    try {
      row = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      continue;
    }
    const double step = row.value("step", 0.0);
    if (row.contains("loss")) {
      train.points.emplace_back(step, row["loss"].get<double>());
      lr.points.emplace_back(step, row.value("learning_rate", 0.0));
      last_train = row;
    }
    if (row.contains("eval_loss")) {
      eval.points.emplace_back(step, row["eval_loss"].get<double>());
      last_eval = row;
    }
  }
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
