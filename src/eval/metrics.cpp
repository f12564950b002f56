#include "eval/metrics.hpp"

#include <algorithm>
#include <cmath>

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

}  // namespace medllm::eval
