#include <fmt/format.h>
#include <fmt/ranges.h>

#include "report/escape.hpp"
#include "report/eval_charts.hpp"
#include "report/eval_report.hpp"
#include "report/eval_tables.hpp"
#include "report/format.hpp"
#include "report/page.hpp"

namespace medllm::report {
namespace {

// The page's sections, collected with their navigation links.
struct Sections {
  ElementIds ids;
  std::vector<std::pair<std::string, std::string>> links;  // (id, label)
  std::string html;

  void add(std::string_view prefix, std::string_view name, std::string_view link, std::string_view title,
           std::string_view body) {
    const std::string id = ids.make(prefix, name);
    links.emplace_back(id, std::string(link));
    html += section(id, title, body);
  }
};

std::string kv_table(const std::string& caption, const std::vector<std::pair<std::string, std::string>>& rows) {
  std::string out = fmt::format("<table class=\"kv\">\n<caption>{}</caption>\n<tbody>\n", html_escape(caption));
  for (const auto& [key, value] : rows) {
    const bool code = key == "path" || key == "sha256" || key == "data_root";
    const std::string cell = value == kNa ? "<span class=\"na\">n/a</span>"
                             : code       ? "<code>" + html_escape(value) + "</code>"
                                          : html_escape(value);
    out += fmt::format("<tr><th scope=\"row\">{}</th><td>{}</td></tr>\n", html_escape(key), cell);
  }
  return out + "</tbody>\n</table>\n";
}

std::string note(std::string_view text) {
  return fmt::format("<p class=\"note\">{}</p>\n", html_escape(text));
}

void add_summary(Sections& sections, const std::vector<BenchView>& benches) {
  std::string body = benches.empty() ? "<p class=\"na\">No benchmarks in the results.</p>\n"
                                     : html_table(summary_table(benches, true), "summary") +
                                           note(
                                               "Accuracies in %. The primary metric is shown with its 95% confidence "
                                               "interval (Wilson score interval).");
  sections.add("", "summary", "Summary", "Summary", body);
  if (benches.empty()) return;
  sections.add("", "accuracy", "Accuracy", "Accuracy per benchmark",
               figure(accuracy_chart(benches),
                      "Primary metric of each benchmark (bar; acc where the primary metric is a kappa or an F1), its "
                      "95% Wilson confidence interval (whiskers) and, where the results give it, the chance level "
                      "(red dashed marker)."));
}

std::string exam_table_html(const BenchView& bench, const std::vector<BaselineView>& baselines) {
  const Table table = exam_table(bench, baselines, true);
  if (table.rows.empty()) return "<p class=\"na\">No per-year results.</p>\n";
  std::string text =
      "Accuracy, text only (questions without figures) and with images: % of questions answered correctly. "
      "Points: earned / possible. Required: the 必修 section's points and rate; it passes at ≥ 80%.";
  if (!baselines.empty()) {
    std::vector<std::string> labels;
    for (const BaselineView& baseline : baselines) labels.push_back(baseline.label);
    text += fmt::format(" {}: their points on the same year.", fmt::join(labels, ", "));
  }
  return html_table(table, "exam") + note(text);
}

void add_exam(Sections& sections, const BenchView& bench, const std::string& model) {
  const std::vector<BaselineView> baselines = baseline_views(*bench.result->exam);
  std::string body = exam_table_html(bench, baselines);
  if (const std::string chart = points_chart(bench, baselines, model); !chart.empty()) {
    body += "<h3>Points per year</h3>\n" +
            figure(chart,
                   "Points earned per exam year by this model and the recorded baselines; the dashed line over each "
                   "group is that year's possible points.");
  }
  if (const std::string chart = required_chart(bench, model); !chart.empty()) {
    body += "<h3>Required section (必修) per year</h3>\n" +
            figure(chart,
                   "Share of the required section's points earned per year; the section passes at 80% (dashed "
                   "line).");
  }
  if (const Table booklets = booklet_table(bench); !booklets.rows.empty()) {
    body +=
        "<h3>Per booklet</h3>\n" + html_table(booklets, "booklets") + note("points earned / possible · accuracy %.");
  }
  sections.add("exam", bench.name, bench.name + " exam", bench.name + ": the exam year by year", body);
}

void add_subjects(Sections& sections, const BenchView& bench) {
  const std::string kind = bench.result->exam ? "specialty" : "subject";
  sections.add("subjects", bench.name, bench.name + " per " + kind, bench.name + ": accuracy per " + kind,
               figure(subject_chart(bench),
                      fmt::format("Accuracy per {} sorted from highest, with the number of questions (n) and a 95% "
                                  "Wilson interval from n; the dashed line is the benchmark's overall accuracy.",
                                  kind)));
}

void add_prompts(Sections& sections, const std::vector<BenchView>& benches) {
  std::string body;
  for (const BenchView& bench : benches) {
    const eval::BenchmarkResult& result = *bench.result;
    if (!result.example_prompt) continue;
    const std::string lang = bench.language.empty() ? "" : fmt::format(" lang=\"{}\"", html_escape(bench.language));
    body += fmt::format("<h3 id=\"{}\">{}</h3>\n", sections.ids.make("prompt", bench.name), html_escape(bench.name));
    body += note(fmt::format("prompt format: {} · scoring: {}", result.prompt_format.value_or(std::string(kNa)),
                             result.scoring.value_or(std::string(kNa))));
    body += fmt::format("<pre{}>{}</pre>\n", lang, html_escape(*result.example_prompt));
  }
  if (body.empty()) body = "<p class=\"na\">No example prompts in the results.</p>\n";
  sections.add("", "prompts", "Example prompts", "Example prompts", body);
}

std::string setting(const std::vector<std::pair<std::string, std::string>>& rows, const std::string& key) {
  for (const auto& [name, value] : rows) {
    if (name == key) return value;
  }
  return std::string(kNa);
}

std::string header_html(const eval::EvalResults& results, const Sections& sections) {
  std::string out = "<div class=\"meta\">\n";
  out += kv_table("Model", model_rows(results.model));
  out += kv_table("Configuration", config_rows(results.config));
  out += "</div>\n<nav>";
  for (const auto& [id, label] : sections.links) out += fmt::format("<a href=\"#{}\">{}</a>", id, html_escape(label));
  return out + "</nav>\n";
}

std::string footer_html(const eval::EvalResults& results, const std::vector<BenchView>& benches) {
  std::string out = "<h2>How the numbers were computed</h2>\n<ul>\n";
  for (const std::string& text : method_notes(results, benches)) out += "<li>" + html_escape(text) + "</li>\n";
  out += "</ul>\n";
  if (!benches.empty()) out += html_table(scoring_table(benches), "scoring");
  return out + note(fmt::format("Report written by medllm {} from results.json created {}.",
                                results.medllm_version.value_or(std::string(kNa)),
                                results.created.value_or(std::string(kNa))));
}

}  // namespace

std::string eval_html(const eval::EvalResults& results) {
  const std::vector<BenchView> benches = bench_views(results);
  const std::string name = model_name(results);
  Sections sections;
  add_summary(sections, benches);
  for (const BenchView& bench : benches) {
    if (bench.result->exam) add_exam(sections, bench, name);
  }
  for (const BenchView& bench : benches) {
    if (!bench.result->per_subject.empty()) add_subjects(sections, bench);
  }
  add_prompts(sections, benches);
  Page page{.title = "Evaluation report: " + name, .main_html = sections.html};
  page.footer_id = sections.ids.make("", "method");
  sections.links.emplace_back(page.footer_id, "Method");
  const auto config = config_rows(results.config);
  page.subtitle = fmt::format("{} · took {} · method {} · {} shots · medllm {}", results.created.value_or("date n/a"),
                              duration(results.duration_s), setting(config, "method"), setting(config, "shots"),
                              results.medllm_version.value_or(std::string(kNa)));
  page.header_html = header_html(results, sections);
  page.footer_html = footer_html(results, benches);
  return render_page(page);
}

}  // namespace medllm::report
