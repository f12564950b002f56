#pragma once
// What the evaluation pages show of an EvalResults, derived once and shared by summary.md and
// report.html: each benchmark's primary metric and chance level, the exam's years and baselines,
// the model and config rows. Text is clean; the renderers escape it.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "eval/results.hpp"

namespace medllm::report {

struct BenchView {
  const eval::BenchmarkResult* result = nullptr;
  std::string name = {};      // clean text
  std::string language = {};  // "" when unknown
  std::string primary = {};   // the primary metric's name
  eval::Estimate primary_estimate = {};
  // What the accuracy chart draws: the primary metric when it is a proportion, else acc (JMED-LLM's
  // kappa tasks); absent for a task without one (its F1 tasks).
  std::string chart_metric = {};
  eval::Estimate chart_estimate = {};

  eval::Estimate metric(std::string_view metric_name) const;  // empty when absent
};

std::vector<BenchView> bench_views(const eval::EvalResults& results);

// The model's directory or file name, else its architecture or type, else "unknown model".
std::string model_name(const eval::EvalResults& results);

// Whether a metric is a proportion shown in % (acc, acc_norm, acc_bytes); others (kappa, F1) are
// shown as they are.
bool is_proportion(std::string_view metric_name);

// "42.0 (39.3–44.7)": a proportion in % with its interval; n/a when there is no value.
std::string estimate_text(const eval::Estimate& estimate);
// estimate_text for a proportion; "0.412" (three decimals, with its interval if any) otherwise.
std::string metric_text(std::string_view metric_name, const eval::Estimate& estimate);

struct BaselineView {
  std::string key = {};
  std::string label = {};
  const std::vector<std::pair<std::string, eval::ExamTally>>* years = nullptr;
};

// Baselines in a fixed order (GPT-4, ChatGPT, GPT-3, student majority, then others).
std::vector<BaselineView> baseline_views(const eval::ExamResult& exam);

// Year keys in numeric order ("2018" < "2019" < "a").
bool year_before(const std::string& a, const std::string& b);

// The exam's years in numeric order: the model's, or the baselines' when the model has none.
std::vector<std::string> exam_years(const eval::ExamResult& exam, const std::vector<BaselineView>& baselines);

const eval::ExamYear* find_year(const eval::ExamResult& exam, const std::string& year);
const eval::ExamTally* find_tally(const std::vector<std::pair<std::string, eval::ExamTally>>* tallies,
                                  const std::string& key);

// "350/496" (points / possible), "acc 70.0" when only the accuracy is known, or n/a.
std::string points_text(const eval::ExamTally* tally);
// The required (必修) section's share of points.
std::optional<double> required_rate(const eval::ExamYear* year);
std::string required_text(const eval::ExamYear* year);

// (key, shown value) of the model and the config: the headline keys always (n/a when absent),
// then the other recorded ones.
std::vector<std::pair<std::string, std::string>> model_rows(const eval::ModelIdentity& model);
std::vector<std::pair<std::string, std::string>> config_rows(const eval::EvalConfig& config);

}  // namespace medllm::report
