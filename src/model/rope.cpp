// Rotary position embedding mathematics: the inverse frequencies of a layer, with the scaling
// rules of transformers' ROPE_INIT_FUNCTIONS (linear, llama3, yarn) and GGUF's rope_freqs.

#include <algorithm>
#include <cmath>
#include <medllm/config.hpp>
#include <numbers>

#include "core/error.hpp"

namespace medllm {

std::vector<float> rope_inverse_frequencies(const RopeConfig& rope, int64_t head_dim,
                                            const std::vector<float>& freq_factors) {
  // Computed in f32 like the reference implementation, so angles agree to the last bit or two.
  const int64_t half = head_dim / 2;
  const float dim = static_cast<float>(head_dim);
  const float base = static_cast<float>(rope.theta);
  std::vector<float> inv(static_cast<size_t>(half));
  for (int64_t i = 0; i < half; ++i) inv[i] = 1.0f / std::pow(base, static_cast<float>(2 * i) / dim);

  const float factor = static_cast<float>(rope.factor);
  switch (rope.scaling) {
    case RopeScalingType::None:
      break;
    case RopeScalingType::Linear:
      for (float& f : inv) f /= factor;
      break;
    case RopeScalingType::Llama3: {
      const float context = static_cast<float>(rope.original_max_position_embeddings);
      const float low = static_cast<float>(rope.low_freq_factor);
      const float high = static_cast<float>(rope.high_freq_factor);
      const float low_freq_wavelen = context / low;
      const float high_freq_wavelen = context / high;
      for (float& f : inv) {
        const float wavelen = 2.0f * std::numbers::pi_v<float> / f;
        if (wavelen > low_freq_wavelen) {
          f = f / factor;
        } else if (wavelen >= high_freq_wavelen) {
          const float smooth = (context / wavelen - low) / (high - low);
          f = (1.0f - smooth) * f / factor + smooth * f;
        }
      }
      break;
    }
    case RopeScalingType::Yarn: {
      const double max_positions = static_cast<double>(rope.original_max_position_embeddings);
      auto correction_dim = [&](double rotations) {
        return (static_cast<double>(head_dim) * std::log(max_positions / (rotations * 2.0 * std::numbers::pi))) /
               (2.0 * std::log(rope.theta));
      };
      double low = correction_dim(rope.beta_fast);
      double high = correction_dim(rope.beta_slow);
      if (rope.truncate) {
        low = std::floor(low);
        high = std::ceil(high);
      }
      low = std::max(low, 0.0);
      high = std::min(high, static_cast<double>(head_dim - 1));
      if (low == high) high += 0.001;
      for (int64_t i = 0; i < half; ++i) {
        const float extrapolation = inv[i];
        const float interpolation = 1.0f / (factor * std::pow(base, static_cast<float>(2 * i) / dim));
        const float ramp =
            std::clamp((static_cast<float>(i) - static_cast<float>(low)) / static_cast<float>(high - low), 0.0f, 1.0f);
        const float extrapolation_weight = 1.0f - ramp;
        inv[i] = interpolation * (1.0f - extrapolation_weight) + extrapolation * extrapolation_weight;
      }
      break;
    }
  }
  if (!freq_factors.empty()) {
    if (static_cast<int64_t>(freq_factors.size()) != half) {
      fail("rope_freqs has {} entries but head_dim / 2 is {}", freq_factors.size(), half);
    }
    for (int64_t i = 0; i < half; ++i) inv[i] /= freq_factors[i];
  }
  return inv;
}

}  // namespace medllm
