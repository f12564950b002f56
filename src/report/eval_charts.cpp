#include "report/eval_charts.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "eval/metrics.hpp"
#include "report/charts.hpp"
#include "report/escape.hpp"
#include "report/format.hpp"

namespace medllm::report {
namespace {

const char* const kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
constexpr const char* kChanceColor = "#c0392b";
constexpr const char* kPassColor = "#59a14f";
constexpr const char* kFailColor = "#e15759";
constexpr double kRequiredPassRate = 0.8;  // 必修: 80% of its points

std::string language_color(const std::string& language) {
  if (language == "en") return kPalette[0];
  if (language == "ja") return kPalette[1];
  return kPalette[3];
}

std::string language_name(const std::string& language) {
  if (language == "en") return "English";
  if (language == "ja") return "Japanese";
  if (language.empty()) return "language n/a";
  return clean_text(language);
}

std::optional<double> in_percent(std::optional<double> fraction) {
  return fraction ? std::optional<double>(*fraction * 100) : std::nullopt;
}

AxisSpec percent_axis(std::string label, int intervals) {
  return {.label = std::move(label), .unit = "%", .min = 0.0, .max = 100.0, .target_ticks = intervals};
}

std::optional<double> as_double(std::optional<int64_t> value) {
  return value ? std::optional<double>(static_cast<double>(*value)) : std::nullopt;
}

BarRow accuracy_row(const BenchView& bench) {
  const eval::Estimate& estimate = bench.chart_estimate;
  const std::optional<double> chance = bench.result->chance;
  BarRow row{.label = bench.name,
             .sublabel = fmt::format("{} · n={}", clean_text(bench.chart_metric), count(as_double(bench.result->n))),
             .value = in_percent(estimate.value),
             .low = in_percent(estimate.low),
             .high = in_percent(estimate.high),
             .chance = in_percent(chance),
             .value_label = percent(estimate.value),
             .color = language_color(bench.language)};
  row.tooltip = fmt::format("{}: {} {}%", bench.name, clean_text(bench.chart_metric), estimate_text(estimate));
  if (chance) row.tooltip += fmt::format("; chance {}%", percent(chance));
  return row;
}

}  // namespace

std::string accuracy_chart(const std::vector<BenchView>& benches) {
  BarChart chart{.aria_label = "Accuracy per benchmark with 95% confidence intervals",
                 .axis = percent_axis("accuracy", 10)};
  std::vector<std::string> languages;
  bool any_interval = false, any_chance = false;
  for (const BenchView& bench : benches) {
    chart.rows.push_back(accuracy_row(bench));
    if (std::find(languages.begin(), languages.end(), bench.language) == languages.end())
      languages.push_back(bench.language);
    any_interval = any_interval || (chart.rows.back().low && chart.rows.back().high);
    any_chance = any_chance || chart.rows.back().chance.has_value();
  }
  for (const std::string& language : languages)
    chart.legend.push_back({LegendMark::box, language_color(language), language_name(language)});
  if (any_interval) chart.legend.push_back({LegendMark::whisker, "#222", "95% CI (Wilson)"});
  if (any_chance) chart.legend.push_back({LegendMark::vdash, kChanceColor, "chance level"});
  return bar_chart(chart);
}

namespace {

// Highest accuracy first; then more questions first; then by name. Subjects without an accuracy last.
bool subject_before(const eval::SubjectResult& a, const eval::SubjectResult& b) {
  if (a.accuracy.has_value() != b.accuracy.has_value()) return a.accuracy.has_value();
  if (a.accuracy && *a.accuracy != *b.accuracy) return *a.accuracy > *b.accuracy;
  if (a.n.value_or(0) != b.n.value_or(0)) return a.n.value_or(0) > b.n.value_or(0);
  return a.name < b.name;
}

BarRow subject_row(const BenchView& bench, const eval::SubjectResult& subject) {
  const std::string name = clean_text(subject.name);
  BarRow row{.label = fmt::format("{} (n={})", name, count(as_double(subject.n))),
             .value = in_percent(subject.accuracy),
             .value_label = percent(subject.accuracy),
             .color = language_color(bench.language)};
  row.tooltip = fmt::format("{}: {}% (n={})", name, percent(subject.accuracy), count(as_double(subject.n)));
  if (subject.accuracy && subject.n && *subject.n > 0) {
    const auto [low, high] = eval::wilson95(*subject.accuracy, static_cast<double>(*subject.n));
    row.low = low * 100, row.high = high * 100;
    row.tooltip += fmt::format(", 95% CI {}–{}", percent(low), percent(high));
  }
  return row;
}

}  // namespace

std::string subject_chart(const BenchView& bench) {
  std::vector<eval::SubjectResult> subjects = bench.result->per_subject;
  std::stable_sort(subjects.begin(), subjects.end(), subject_before);
  BarChart chart{.aria_label = fmt::format("Accuracy per subject of {}", bench.name),
                 .axis = percent_axis("accuracy", 10),
                 .label_width = 300,
                 .row_height = 22,
                 .bar_height = 14,
                 .label_size = 12};
  for (const eval::SubjectResult& subject : subjects) chart.rows.push_back(subject_row(bench, subject));
  std::optional<double> overall = bench.metric("acc").value;
  if (!overall) overall = bench.chart_estimate.value;
  chart.reference = in_percent(overall);
  chart.reference_label = fmt::format("overall {}", percent(overall));
  chart.chance_line = in_percent(bench.result->chance);
  chart.chance_label = fmt::format("chance {}", percent(bench.result->chance));
  chart.legend = {{LegendMark::box, language_color(bench.language), "accuracy"},
                  {LegendMark::whisker, "#222", "95% CI"}};
  if (overall) chart.legend.push_back({LegendMark::hdash, "#333", "overall"});
  if (bench.result->chance) chart.legend.push_back({LegendMark::hdash, kChanceColor, "chance level"});
  return bar_chart(chart);
}

namespace {

// One bar series of the exam charts: the model or a baseline, with its tally per year.
struct ExamSeries {
  std::string label;
  std::string color;
  bool model = false;
  std::vector<const eval::ExamTally*> years;  // per year of the chart; nullptr: none
};

std::vector<ExamSeries> exam_series(const BenchView& bench, const std::vector<BaselineView>& baselines,
                                    const std::string& model_label, const std::vector<std::string>& years) {
  const eval::ExamResult& exam = *bench.result->exam;
  std::vector<ExamSeries> series = {{model_label, kPalette[0], true, {}}};
  for (const std::string& year : years) {
    const eval::ExamYear* entry = find_year(exam, year);
    series[0].years.push_back(entry != nullptr ? &entry->total : nullptr);
  }
  for (size_t i = 0; i < baselines.size(); ++i) {
    series.push_back({baselines[i].label, kPalette[1 + i % 9], false, {}});
    for (const std::string& year : years) series.back().years.push_back(find_tally(baselines[i].years, year));
  }
  return series;
}

// The year's possible points, from whichever series records them.
std::optional<double> possible_points(const std::vector<ExamSeries>& series, size_t year) {
  for (const ExamSeries& s : series) {
    if (s.years[year] != nullptr && s.years[year]->possible) return as_double(s.years[year]->possible);
  }
  return std::nullopt;
}

ColumnBar points_bar(const ExamSeries& series, const std::string& year, const eval::ExamTally* tally) {
  if (tally == nullptr || !tally->points) return {};
  ColumnBar bar{.value = as_double(tally->points), .color = series.color, .label = count(as_double(tally->points))};
  bar.tooltip = fmt::format("{} {}: {} points", series.label, clean_text(year), points_text(tally));
  if (tally->accuracy) bar.tooltip += fmt::format(", accuracy {}%", percent(tally->accuracy));
  bar.emphasis = series.model;
  return bar;
}

}  // namespace

std::string points_chart(const BenchView& bench, const std::vector<BaselineView>& baselines,
                         const std::string& model_label) {
  const std::vector<std::string> years = exam_years(*bench.result->exam, baselines);
  std::vector<ExamSeries> all = exam_series(bench, baselines, model_label, years), shown;
  for (const ExamSeries& s : all) {
    if (std::any_of(s.years.begin(), s.years.end(), [](const auto* t) { return t != nullptr && t->points; }))
      shown.push_back(s);
  }
  if (shown.empty() || years.empty()) return {};
  ColumnChart chart{.aria_label = fmt::format("Points per year on {}, the model beside the baselines", bench.name),
                    .axis = {.label = "points", .target_ticks = 8, .whole_numbers = true}};
  for (const ExamSeries& s : shown) chart.legend.push_back({LegendMark::box, s.color, s.label});
  for (size_t j = 0; j < years.size(); ++j) {
    ColumnGroup group{.label = clean_text(years[j]), .marker = possible_points(all, j)};
    if (group.marker) group.sublabel = fmt::format("of {}", count(group.marker));
    for (const ExamSeries& s : shown) group.bars.push_back(points_bar(s, years[j], s.years[j]));
    chart.groups.push_back(std::move(group));
  }
  if (std::any_of(chart.groups.begin(), chart.groups.end(), [](const auto& g) { return g.marker.has_value(); }))
    chart.legend.push_back({LegendMark::hdash, "#333", "possible points"});
  return column_chart(chart);
}

std::string required_chart(const BenchView& bench, const std::string& model_label) {
  const eval::ExamResult& exam = *bench.result->exam;
  const std::vector<std::string> years = exam_years(exam, baseline_views(exam));
  ColumnChart chart{
      .aria_label = fmt::format("Required-section rate per year on {} against the 80% pass line", bench.name),
      .axis = percent_axis("required section (必修)", 5),
      .legend = {{LegendMark::box, kPassColor, model_label + ": pass"},
                 {LegendMark::box, kFailColor, model_label + ": fail"},
                 {LegendMark::hdash, "#333", "pass line 80%"}},
      .reference = kRequiredPassRate * 100,
      .reference_label = "pass line 80%",
      .plot_height = 170,
      .max_bar_width = 44,
      .group_fill = 0.7,
      .labels_inside = true};
  bool any = false;
  for (const std::string& year : years) {
    const eval::ExamYear* entry = find_year(exam, year);
    const std::optional<double> rate = required_rate(entry);
    ColumnGroup group{.label = clean_text(year), .bars = {ColumnBar{}}};
    if (rate) {
      const bool passed = entry->required_pass.value.value_or(*rate >= kRequiredPassRate);
      group.bars[0] = {.value = *rate * 100,
                       .color = passed ? kPassColor : kFailColor,
                       .label = percent(rate),
                       .tooltip = fmt::format("{} {}: required {} ({})", model_label, clean_text(year),
                                              required_text(entry), passed ? "pass" : "fail")};
      any = true;
    }
    chart.groups.push_back(std::move(group));
  }
  return any ? column_chart(chart) : std::string();
}

}  // namespace medllm::report
