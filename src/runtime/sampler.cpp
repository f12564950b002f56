#include <algorithm>
#include <cmath>
#include <medllm/generate.hpp>
#include <unordered_set>

#include "core/error.hpp"

namespace medllm {

Sampler::Sampler(const SamplingParams& params) : params_(params), rng_(params.seed) {}

int32_t Sampler::sample(std::span<const float> logits, std::span<const int32_t> history) {
  if (logits.empty()) fail("cannot sample from an empty vocabulary");
  std::span<const float> scores = logits;
  const bool penalize = params_.repeat_penalty != 1.0f && params_.repeat_last_n != 0 && !history.empty();
  if (penalize || !params_.logit_bias.empty()) {
    penalized_.assign(logits.begin(), logits.end());
    for (const auto& [id, bias] : params_.logit_bias) {
      if (id < 0 || static_cast<size_t>(id) >= penalized_.size())
        fail("logit_bias names token {}, outside the vocabulary of {}", id, penalized_.size());
      penalized_[static_cast<size_t>(id)] += bias;
    }
    scores = penalized_;
  }
  if (penalize) {
    const size_t window = params_.repeat_last_n < 0
                              ? history.size()
                              : std::min(history.size(), static_cast<size_t>(params_.repeat_last_n));
    std::unordered_set<int32_t> seen(history.end() - static_cast<std::ptrdiff_t>(window), history.end());
    for (int32_t id : seen) {
      if (id < 0 || static_cast<size_t>(id) >= penalized_.size()) continue;
      float& logit = penalized_[static_cast<size_t>(id)];
      logit = logit > 0.0f ? logit / params_.repeat_penalty : logit * params_.repeat_penalty;
    }
    scores = penalized_;
  }

  if (params_.temperature <= 0.0f) {
    return static_cast<int32_t>(std::max_element(scores.begin(), scores.end()) - scores.begin());
  }

  candidates_.resize(scores.size());
  for (size_t i = 0; i < scores.size(); ++i) candidates_[i] = {static_cast<int32_t>(i), scores[i]};
  const auto better = [](const Candidate& a, const Candidate& b) {
    return a.logit != b.logit ? a.logit > b.logit : a.id < b.id;
  };
  size_t keep = candidates_.size();
  if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < keep) {
    keep = static_cast<size_t>(params_.top_k);
    std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(keep), candidates_.end(),
                      better);
  } else {
    std::sort(candidates_.begin(), candidates_.end(), better);
  }
  candidates_.resize(keep);

  // Probabilities of the untempered logits decide top-p and min-p, as in llama.cpp.
  std::vector<double> probs(keep);
  double total = 0.0;
  for (size_t i = 0; i < keep; ++i)
    total += probs[i] = std::exp(static_cast<double>(candidates_[i].logit - candidates_[0].logit));
  if (params_.top_p < 1.0f) {
    double cumulative = 0.0;
    for (size_t i = 0; i < keep; ++i) {
      cumulative += probs[i] / total;
      if (cumulative >= params_.top_p) {
        keep = i + 1;
        break;
      }
    }
  }
  if (params_.min_p > 0.0f) {
    size_t i = 1;
    while (i < keep && probs[i] >= params_.min_p * probs[0]) ++i;  // probs[0] is the maximum
    keep = i;
  }

  std::vector<double> weights(keep);
  double sum = 0.0;
  for (size_t i = 0; i < keep; ++i) {
    sum += weights[i] =
        std::exp(static_cast<double>(candidates_[i].logit - candidates_[0].logit) / params_.temperature);
  }
  // 53 random bits -> [0, 1): the same draw on every platform for a given seed.
  const double draw = static_cast<double>(rng_() >> 11) * 0x1.0p-53 * sum;
  double cumulative = 0.0;
  for (size_t i = 0; i < keep; ++i) {
    cumulative += weights[i];
    if (draw < cumulative) return candidates_[i].id;
  }
  return candidates_[keep - 1].id;
}

}  // namespace medllm
