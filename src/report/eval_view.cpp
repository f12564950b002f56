#include "report/eval_view.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "report/escape.hpp"
#include "report/format.hpp"

namespace medllm::report {
namespace {

using eval::ExamTally;
using eval::ExamYear;

std::string primary_metric_of(const eval::BenchmarkResult& bench) {
  if (bench.primary_metric) return *bench.primary_metric;
  if (bench.metrics.empty() || bench.metric("acc") != nullptr) return "acc";
  return bench.metrics.front().first;
}

// Older and hand-written files name baselines without labels.
std::string baseline_label(const std::string& key) {
  if (key == "gpt4" || key == "gpt-4") return "GPT-4";
  if (key == "chatgpt") return "ChatGPT";
  if (key == "gpt3" || key == "gpt-3") return "GPT-3";
  if (key == "student-majority" || key == "student_majority") return "Student majority";
  return key;
}

int baseline_rank(const std::string& key) {
  static const std::vector<std::string> order = {
      "gpt4", "gpt-4", "chatgpt", "gpt3", "gpt-3", "student-majority", "student_majority"};
  const auto it = std::find(order.begin(), order.end(), key);
  return static_cast<int>(it - order.begin());
}

}  // namespace

bool year_before(const std::string& a, const std::string& b) {
  char* end_a = nullptr;
  char* end_b = nullptr;
  const double x = std::strtod(a.c_str(), &end_a), y = std::strtod(b.c_str(), &end_b);
  const bool number_a = !a.empty() && *end_a == '\0', number_b = !b.empty() && *end_b == '\0';
  if (number_a && number_b && x != y) return x < y;
  if (number_a != number_b) return number_a;
  return a < b;
}

namespace {

// ---- One shown value per field type (absent: n/a; null: none).

template <class T>
std::string shown(const std::optional<T>& value) {
  if (!value) return std::string(kNa);
  if constexpr (std::is_same_v<T, std::string>) {
    return clean_text(*value);
  } else if constexpr (std::is_same_v<T, bool>) {
    return *value ? "true" : "false";
  } else {
    return count(static_cast<double>(*value));
  }
}

template <class T>
std::string shown(const eval::Nullable<T>& value) {
  return !value.present ? std::string(kNa) : value.value ? shown(value.value) : "none";
}

std::string shown(const std::vector<eval::AdapterIdentity>& adapters) {
  std::vector<std::string> parts;
  for (const auto& adapter : adapters)
    parts.push_back(fmt::format("{} ×{:g}", clean_text(adapter.path), adapter.scale));
  return parts.empty() ? std::string(kNa) : fmt::format("{}", fmt::join(parts, ", "));
}

template <class T>
bool recorded(const T& value) {
  if constexpr (requires { value.present; }) {
    return value.present;
  } else if constexpr (requires { value.has_value(); }) {
    return value.has_value();
  } else {
    return !value.empty();
  }
}

template <class Record>
std::vector<std::pair<std::string, std::string>> rows_of(const Record& record,
                                                         const std::vector<std::string>& headline) {
  std::vector<std::pair<std::string, std::string>> rows, others;
  for (const std::string& key : headline) rows.emplace_back(key, std::string(kNa));
  Record::visit(record, [&](std::string_view key, const auto& field) {
    const auto it = std::find(headline.begin(), headline.end(), key);
    if (it != headline.end()) {
      rows[static_cast<size_t>(it - headline.begin())].second = shown(field);
    } else if (recorded(field)) {
      others.emplace_back(std::string(key), shown(field));
    }
  });
  rows.insert(rows.end(), others.begin(), others.end());
  return rows;
}

}  // namespace

eval::Estimate BenchView::metric(std::string_view metric_name) const {
  const eval::Estimate* estimate = result->metric(metric_name);
  return estimate != nullptr ? *estimate : eval::Estimate{};
}

std::vector<BenchView> bench_views(const eval::EvalResults& results) {
  std::vector<BenchView> out;
  for (const eval::BenchmarkResult& bench : results.benchmarks) {
    BenchView view{.result = &bench, .name = clean_text(bench.name), .language = bench.language.value_or("")};
    view.primary = primary_metric_of(bench);
    view.primary_estimate = view.metric(view.primary);
    view.chart_metric = is_proportion(view.primary) ? view.primary : "acc";
    view.chart_estimate = view.metric(view.chart_metric);
    out.push_back(std::move(view));
  }
  return out;
}

std::string model_name(const eval::EvalResults& results) {
  if (results.model.path) {
    std::string trimmed = *results.model.path;
    while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
    const std::string name = std::filesystem::path(trimmed).filename().string();
    if (!name.empty()) return clean_text(name);
  }
  if (results.model.architecture) return clean_text(*results.model.architecture);
  if (results.model.model_type) return clean_text(*results.model.model_type);
  return "unknown model";
}

bool is_proportion(std::string_view metric_name) {
  return metric_name.substr(0, 3) == "acc";
}

std::string metric_text(std::string_view metric_name, const eval::Estimate& estimate) {
  if (is_proportion(metric_name)) return estimate_text(estimate);
  if (!estimate.value) return std::string(kNa);
  if (!estimate.low || !estimate.high) return fmt::format("{:.3f}", *estimate.value);
  return fmt::format("{:.3f} ({:.3f}–{:.3f})", *estimate.value, *estimate.low, *estimate.high);
}

std::string estimate_text(const eval::Estimate& estimate) {
  if (!estimate.value) return std::string(kNa);
  if (!estimate.low || !estimate.high) return percent(estimate.value);
  return fmt::format("{} ({}–{})", percent(estimate.value), percent(estimate.low), percent(estimate.high));
}

std::vector<BaselineView> baseline_views(const eval::ExamResult& exam) {
  std::vector<BaselineView> out;
  for (const eval::ExamBaseline& baseline : exam.baselines) {
    out.push_back({clean_text(baseline.system), clean_text(baseline.label.value_or(baseline_label(baseline.system))),
                   &baseline.years});
  }
  std::stable_sort(out.begin(), out.end(), [](const BaselineView& a, const BaselineView& b) {
    return baseline_rank(a.key) < baseline_rank(b.key);
  });
  return out;
}

std::vector<std::string> exam_years(const eval::ExamResult& exam, const std::vector<BaselineView>& baselines) {
  std::vector<std::string> years;
  for (const ExamYear& year : exam.years) years.push_back(year.year);
  if (years.empty()) {
    std::set<std::string> seen;
    for (const BaselineView& baseline : baselines) {
      for (const auto& [year, tally] : *baseline.years) {
        if (seen.insert(year).second) years.push_back(year);
      }
    }
  }
  std::stable_sort(years.begin(), years.end(), year_before);
  return years;
}

const ExamYear* find_year(const eval::ExamResult& exam, const std::string& year) {
  for (const ExamYear& entry : exam.years) {
    if (entry.year == year) return &entry;
  }
  return nullptr;
}

const ExamTally* find_tally(const std::vector<std::pair<std::string, ExamTally>>* tallies, const std::string& key) {
  if (tallies == nullptr) return nullptr;
  for (const auto& [name, tally] : *tallies) {
    if (name == key) return &tally;
  }
  return nullptr;
}

std::string points_text(const ExamTally* tally) {
  if (tally == nullptr) return std::string(kNa);
  const auto as_double = [](std::optional<int64_t> v) { return v ? std::optional<double>(*v) : std::nullopt; };
  if (tally->points && tally->possible)
    return count(as_double(tally->points)) + "/" + count(as_double(tally->possible));
  if (tally->points) return count(as_double(tally->points));
  if (tally->accuracy) return "acc " + percent(tally->accuracy);
  return std::string(kNa);
}

std::optional<double> required_rate(const ExamYear* year) {
  if (year == nullptr) return std::nullopt;
  if (year->required_rate) return year->required_rate;
  if (year->required_points && year->required_possible && *year->required_possible > 0)
    return static_cast<double>(*year->required_points) / static_cast<double>(*year->required_possible);
  return std::nullopt;
}

std::string required_text(const ExamYear* year) {
  const auto rate = required_rate(year);
  if (year != nullptr && year->required_points && year->required_possible)
    return fmt::format("{}/{} ({}%)", *year->required_points, *year->required_possible, percent(rate));
  if (rate) return percent(rate) + "%";
  return std::string(kNa);
}

std::vector<std::pair<std::string, std::string>> model_rows(const eval::ModelIdentity& model) {
  auto rows = rows_of(model, {"path", "format", "model_type", "architecture", "parameters", "dtype", "sha256"});
  for (auto& [key, value] : rows) {
    if (key == "parameters" && model.parameters) value = parameter_count(static_cast<double>(*model.parameters));
  }
  return rows;
}

std::vector<std::pair<std::string, std::string>> config_rows(const eval::EvalConfig& config) {
  return rows_of(config, {"method", "shots", "limit", "batch_size", "threads", "seed", "add_bos", "chat_template",
                          "self_consistency", "data_root"});
}

}  // namespace medllm::report
