#pragma once
// Proportions with 95% confidence intervals for benchmark accuracies, and the chance level.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "eval/item.hpp"

namespace medllm::eval {

// The Wilson score interval at 95% (z = 1.96) of a proportion observed over `trials` (> 0):
// well behaved for small n and for rates near 0 or 1. The one definition used by results and
// reports (a per-subject whisker is computed from the subject's n and accuracy).
std::pair<double, double> wilson95(double proportion, double trials);

struct Proportion {
  int64_t successes = 0;
  int64_t total = 0;
  double value() const { return total > 0 ? static_cast<double>(successes) / static_cast<double>(total) : 0.0; }
  // wilson95 of value() over total; {0, 0} when there is no trial.
  std::pair<double, double> wilson95() const;
  nlohmann::json to_json() const;  // {"value", "ci95": [lo, hi], "correct", "n"}
};

// The accuracy of guessing: over the items with choices, the mean of chance_of_guess
// (exam_scoring.hpp: 1 / C(n, k); two of five: 1/10; one of five where either of two alternatives
// counts: 2/5). Questions answered by a number are left out, having no choices to guess from; none
// left: no chance level.
std::optional<double> chance_level(std::span<const Item* const> items);

enum class KappaWeights { None, Linear, Quadratic };

// Cohen's kappa of two raters' labels, as scikit-learn's cohen_kappa_score defines it (the
// definition JMED-LLM reports): the labels are the sorted distinct values of both lists, weights
// |i - j| (linear) or (i - j)^2 (quadratic) between their positions in that order, 1 off the
// diagonal otherwise; kappa = 1 - sum(w * observed) / sum(w * expected), expected from the
// marginals. nullopt where that is 0/0 (scikit-learn's nan: one label throughout).
std::optional<double> cohen_kappa(std::span<const std::string> rater_a, std::span<const std::string> rater_b,
                                  KappaWeights weights);

}  // namespace medllm::eval
