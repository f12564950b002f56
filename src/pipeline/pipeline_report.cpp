#include "pipeline/pipeline_report.hpp"

#include <fmt/format.h>

#include <cmath>

#include "core/atomic_file.hpp"
#include "core/html_text.hpp"
#include "core/svg_chart.hpp"
#include "train/training_report.hpp"

namespace medllm {

namespace {

using ordered_json = nlohmann::ordered_json;

std::string row(const std::string& label, const std::string& before, const std::string& after,
                const std::string& change) {
  return fmt::format("<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>\n",
                     html_escape(label), before, after, html_escape(change));
}

std::string metrics_table(const ordered_json& before, const ordered_json& after) {
  std::string html = "<table><tr><th>measurement</th><th>before</th><th>after</th><th>change</th></tr>\n";
  if (before.contains("heldout")) {
    const double b = before["heldout"]["perplexity"], a = after["heldout"]["perplexity"];
    html += row(fmt::format("held-out perplexity ({} tokens; lower is better)", before["heldout"]["tokens"].dump()),
                fmt::format("{:.3f}", b), fmt::format("{:.3f}", a), fmt::format("{:.2f}× lower", b / a));
    html += row("held-out loss (nats per token)", fmt::format("{:.4f}", before["heldout"]["loss"].get<double>()),
                fmt::format("{:.4f}", after["heldout"]["loss"].get<double>()), "");
  }
  if (before.contains("benchmarks")) {
    for (const auto& [name, b] : before["benchmarks"].items()) {
      const ordered_json& a = after["benchmarks"][name];
      const double bv = b["value"], av = a["value"];
      html += row(fmt::format("{} {} (n = {}, chance {:.0f}%)", name, b["metric"].get<std::string>(),
                              b["n"].get<int64_t>(), 100.0 * b["chance"].get<double>()),
                  fmt::format("{:.1f}%", 100 * bv), fmt::format("{:.1f}%", 100 * av),
                  fmt::format("{:+.1f} points", 100 * (av - bv)));
    }
  }
  return html + "</table>\n";
}

}  // namespace

void write_pipeline_report(const ordered_json& result, const nlohmann::json& recipe, const std::string& path) {
  const ordered_json& before = result["before"];
  const ordered_json& after = result["after"];
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>medllm pipeline report</title>"
      "<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:72em;color:#222}"
      "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:left;"
      "font-size:14px;vertical-align:top}td.n{text-align:right;font-variant-numeric:tabular-nums}"
      "pre{background:#f6f8fa;padding:1em;overflow:auto;font-size:12px}.sample{white-space:pre-wrap}</style>"
      "</head><body>\n";
  html += fmt::format("<h1>{}: before and after adaptation</h1>\n", html_escape(result["name"].get<std::string>()));
  html += fmt::format(
      "<p>Base model <code>{}</code> → adapted model <code>{}</code> (Hugging Face format), seed {}, "
      "{:.0f} s in all.</p>\n",
      html_escape(result["base_model"].get<std::string>()), html_escape(result["adapted_model"].get<std::string>()),
      result["seed"].dump(), result["timing"].value("total_s", 0.0));
  html += "<h2>Measurements</h2>\n" + metrics_table(before, after);
  if (before.contains("heldout")) {
    html += fmt::format("<p>Held-out text: the validation split of <code>{}</code>, never trained on.</p>\n",
                        html_escape(before["heldout"]["data"].get<std::string>()));
  }

  html += "<h2>Training</h2>\n";
  for (const auto& stage : result["stages"]) {
    const TrainingCurves curves = read_training_curves(stage["metrics"].get<std::string>());
    html += fmt::format("<h3>Stage {}: {} {}, {} steps</h3>\n", html_escape(stage["name"].get<std::string>()),
                        html_escape(stage["finetuning_type"].get<std::string>()),
                        html_escape(stage["objective"].get<std::string>()), stage["steps"].dump());
    if (!curves.last_train.is_null()) {
      html += fmt::format("<p>{:.0f} tokens/s; full curves and settings in <code>{}/training_report.html</code>.</p>\n",
                          curves.last_train.value("tokens_per_second", 0.0),
                          html_escape(stage["output_dir"].get<std::string>()));
    }
    html += line_chart("Loss", {curves.train, curves.eval}, true) + "\n";
  }

  if (before.contains("samples")) {
    html +=
        "<h2>Sample answers (greedy unless the recipe sets a temperature)</h2>\n<table><tr><th>prompt</th>"
        "<th>before</th><th>after</th></tr>\n";
    for (size_t i = 0; i < before["samples"].size(); ++i) {
      html +=
          fmt::format("<tr><td class=\"sample\">{}</td><td class=\"sample\">{}</td><td class=\"sample\">{}</td></tr>\n",
                      html_escape(before["samples"][i]["prompt"].get<std::string>()),
                      html_escape(before["samples"][i]["completion"].get<std::string>()),
                      html_escape(after["samples"][i]["completion"].get<std::string>()));
    }
    html += "</table>\n";
  }
  html += "<h2>Recipe</h2><pre>" + html_escape(recipe.dump(2)) + "</pre>\n</body></html>\n";
  write_file_atomically(path, html);
}

}  // namespace medllm
