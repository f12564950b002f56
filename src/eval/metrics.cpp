#include "eval/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "core/error.hpp"

#include "eval/exam_scoring.hpp"

namespace medllm::eval {

std::pair<double, double> wilson95(double proportion, double trials) {
  constexpr double z = 1.959963984540054;
  const double n = trials;
  const double p = std::clamp(proportion, 0.0, 1.0);
  const double denominator = 1.0 + z * z / n;
  const double center = (p + z * z / (2.0 * n)) / denominator;
  const double half = z * std::sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n)) / denominator;
  return {std::max(0.0, center - half), std::min(1.0, center + half)};
}

std::pair<double, double> Proportion::wilson95() const {
  if (total == 0) return {0.0, 0.0};
  return eval::wilson95(value(), static_cast<double>(total));
}

nlohmann::json Proportion::to_json() const {
  const auto [low, high] = wilson95();
  return {{"value", value()}, {"ci95", {low, high}}, {"correct", successes}, {"n", total}};
}

std::optional<double> chance_level(std::span<const Item* const> items) {
  double sum = 0.0;
  int64_t counted = 0;
  for (const Item* item : items) {
    if (item->choices.empty()) continue;
    sum += chance_of_guess(*item);
    ++counted;
  }
  if (counted == 0) return std::nullopt;
  return sum / static_cast<double>(counted);
}

std::optional<double> cohen_kappa(std::span<const std::string> rater_a, std::span<const std::string> rater_b,
                                  KappaWeights weights) {
  if (rater_a.size() != rater_b.size()) fail("cohen_kappa: {} labels against {}", rater_a.size(), rater_b.size());
  std::vector<std::string> labels(rater_a.begin(), rater_a.end());
  labels.insert(labels.end(), rater_b.begin(), rater_b.end());
  std::sort(labels.begin(), labels.end());
  labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
  const size_t n = labels.size();
  const auto index = [&](const std::string& label) {
    return static_cast<size_t>(std::lower_bound(labels.begin(), labels.end(), label) - labels.begin());
  };
  std::vector<double> observed(n * n, 0.0), row(n, 0.0), column(n, 0.0);
  for (size_t k = 0; k < rater_a.size(); ++k) {
    const size_t i = index(rater_a[k]), j = index(rater_b[k]);
    observed[i * n + j] += 1.0;
    row[i] += 1.0;
    column[j] += 1.0;
  }
  const double total = static_cast<double>(rater_a.size());
  double disagreement = 0.0, chance_disagreement = 0.0;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n; ++j) {
      const double distance = std::abs(static_cast<double>(i) - static_cast<double>(j));
      double w = i == j ? 0.0 : 1.0;
      if (weights == KappaWeights::Linear) w = distance;
      if (weights == KappaWeights::Quadratic) w = distance * distance;
      disagreement += w * observed[i * n + j];
      // scikit-learn's expected matrix is outer(column sums, row sums) / total.
      chance_disagreement += w * (column[i] * row[j] / total);
    }
  }
  if (chance_disagreement == 0.0) return std::nullopt;
  return 1.0 - disagreement / chance_disagreement;
}

}  // namespace medllm::eval
