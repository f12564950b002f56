#include "kernels/elementwise.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>

#include "kernels/simd/target.hpp"

namespace medllm::kernels {

namespace {  // the kernel sets keep internal linkage

#define MEDLLM_SIMD_KERNELS "kernels/simd/elementwise_simd.inl"
#include "kernels/simd/kernel_sets.inl"

}  // namespace

void rms_norm(const float* x, const float* w, float offset, float eps, int64_t rows, int64_t dim, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = x + r * dim;
    float* out = y + r * dim;
    double sum_squares = 0.0;
    for (int64_t i = 0; i < dim; ++i) sum_squares += static_cast<double>(in[i]) * in[i];
    const float inverse_rms = 1.0f / std::sqrt(static_cast<float>(sum_squares / static_cast<double>(dim)) + eps);
    for (int64_t i = 0; i < dim; ++i) {
      const float normed = in[i] * inverse_rms;
      out[i] = w != nullptr ? normed * (offset + w[i]) : normed;
    }
  }
}

void rope(float* x, int64_t heads, int64_t head_dim, int64_t position, const float* inv_freq, float attention_factor,
          RopePairing pairing) {
  const int64_t half = head_dim / 2;
  for (int64_t i = 0; i < half; ++i) {
    const float angle = static_cast<float>(position) * inv_freq[i];
    const float c = std::cos(angle) * attention_factor;
    const float s = std::sin(angle) * attention_factor;
    for (int64_t h = 0; h < heads; ++h) {
      float* v = x + h * head_dim;
      const int64_t a = pairing == RopePairing::Halves ? i : 2 * i;
      const int64_t b = pairing == RopePairing::Halves ? i + half : 2 * i + 1;
      const float x0 = v[a];
      const float x1 = v[b];
      v[a] = x0 * c - x1 * s;
      v[b] = x1 * c + x0 * s;
    }
  }
}

void gated_activation(float* gate, const float* up, int64_t n, GateActivation activation) {
  switch (activation) {
    case GateActivation::Silu: {
      MEDLLM_SIMD_CALL(silu_gate, gate, up, n);
      return;
    }
    case GateActivation::GeluTanh: {
      const float k = std::sqrt(2.0f / std::numbers::pi_v<float>);
      for (int64_t i = 0; i < n; ++i) {
        const float g = gate[i];
        gate[i] = 0.5f * g * (1.0f + std::tanh(k * (g + 0.044715f * g * g * g))) * up[i];
      }
      return;
    }
    case GateActivation::GeluErf:
      for (int64_t i = 0; i < n; ++i) {
        const float g = gate[i];
        gate[i] = 0.5f * g * (1.0f + std::erf(g * std::numbers::sqrt2_v<float> / 2.0f)) * up[i];
      }
      return;
  }
}

void rms_norm_backward(const float* x, const float* w, float offset, float eps, int64_t rows, int64_t dim,
                       const float* dy, float* dx, float* dw) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = x + r * dim;
    const float* grad_out = dy + r * dim;
    float* grad_in = dx + r * dim;
    double sum_squares = 0.0;
    for (int64_t i = 0; i < dim; ++i) sum_squares += static_cast<double>(in[i]) * in[i];
    const float inverse_rms = 1.0f / std::sqrt(static_cast<float>(sum_squares / static_cast<double>(dim)) + eps);
    // u = scale ⊙ dy; ∂L/∂x = r·u − r³·x·(u·x)/dim
    double u_dot_x = 0.0;
    for (int64_t i = 0; i < dim; ++i) {
      const float scale = w != nullptr ? offset + w[i] : 1.0f;
      u_dot_x += static_cast<double>(scale * grad_out[i]) * in[i];
    }
    const float correction =
        static_cast<float>(u_dot_x / static_cast<double>(dim)) * inverse_rms * inverse_rms * inverse_rms;
    for (int64_t i = 0; i < dim; ++i) {
      const float scale = w != nullptr ? offset + w[i] : 1.0f;
      grad_in[i] = inverse_rms * scale * grad_out[i] - correction * in[i];
    }
    if (dw != nullptr) {
      for (int64_t i = 0; i < dim; ++i) dw[i] += grad_out[i] * in[i] * inverse_rms;
    }
  }
}

void rope_backward(float* dy, int64_t heads, int64_t head_dim, int64_t position, const float* inv_freq,
                   float attention_factor, RopePairing pairing) {
  // cos(−θ) = cos θ and sin(−θ) = −sin θ exactly, so this is the transposed rotation.
  rope(dy, heads, head_dim, -position, inv_freq, attention_factor, pairing);
}

void gated_activation_backward(const float* gate, const float* up, const float* dh, int64_t n,
                               GateActivation activation, float* dgate, float* dup) {
  switch (activation) {
    case GateActivation::Silu: {
      MEDLLM_SIMD_CALL(silu_gate_backward, gate, up, dh, n, dgate, dup);
      return;
    }
    case GateActivation::GeluTanh: {
      const float k = std::sqrt(2.0f / std::numbers::pi_v<float>);
      for (int64_t i = 0; i < n; ++i) {
        const float g = gate[i];
        const float t = std::tanh(k * (g + 0.044715f * g * g * g));
        dup[i] = dh[i] * 0.5f * g * (1.0f + t);
        const float derivative = 0.5f * (1.0f + t) + 0.5f * g * (1.0f - t * t) * k * (1.0f + 3.0f * 0.044715f * g * g);
        dgate[i] = dh[i] * up[i] * derivative;
      }
      return;
    }
    case GateActivation::GeluErf: {
      const float inverse_sqrt_2pi = 1.0f / std::sqrt(2.0f * std::numbers::pi_v<float>);
      for (int64_t i = 0; i < n; ++i) {
        const float g = gate[i];
        const float cdf = 0.5f * (1.0f + std::erf(g * std::numbers::sqrt2_v<float> / 2.0f));
        dup[i] = dh[i] * g * cdf;
        dgate[i] = dh[i] * up[i] * (cdf + g * inverse_sqrt_2pi * std::exp(-0.5f * g * g));
      }
      return;
    }
  }
}

void softcap_backward(const float* y, float* dy, int64_t n, float cap) {
  for (int64_t i = 0; i < n; ++i) {
    const float t = y[i] / cap;
    dy[i] *= 1.0f - t * t;
  }
}

void softcap(float* x, int64_t n, float cap) {
  for (int64_t i = 0; i < n; ++i) x[i] = cap * std::tanh(x[i] / cap);
}

float max_value(const float* x, int64_t n) {
  return MEDLLM_SIMD_CALL(max_value, x, n);
}

double exp_shifted(const float* x, float shift, int64_t n, float* y) {
  return MEDLLM_SIMD_CALL(exp_shifted, x, shift, n, y);
}

float exp1(float x) {
  return MEDLLM_SIMD_CALL(exp1, x);
}

double log_sum_exp(const float* x, int64_t n) {
  float max = x[0];
  for (int64_t i = 1; i < n; ++i) max = std::max(max, x[i]);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(x[i]) - max);
  return std::log(sum) + max;
}

float softmax(float* x, int64_t n) {
  if (n <= 0) return 0.0f;
  const float max = max_value(x, n);
  const double sum = exp_shifted(x, max, n, x);
  const float inverse = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inverse;
  return max + static_cast<float>(std::log(sum));
}

void add(float* x, const float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] += y[i];
}

}  // namespace medllm::kernels
