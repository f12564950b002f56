#pragma once
// Row-wise and element-wise ops of the transformer: RMSNorm, rotary embeddings, gated
// activations, soft-capping, softmax, and the gradients training needs. All f32, all in place or
// into a caller's buffer.

#include <cstdint>

namespace medllm::kernels {

// y[r] = x[r] / sqrt(mean(x[r]²) + eps) * (offset + w) for each of `rows` rows of `dim`.
// w may be null (no weight); offset is 1 for Gemma's (1 + w) convention, else 0. y may be x.
void rms_norm(const float* x, const float* w, float offset, float eps, int64_t rows, int64_t dim, float* y);

enum class RopePairing { Halves, Adjacent };

// Rotates `heads` vectors of head_dim at x (contiguous) by position * inv_freq[i], with cos and
// sin multiplied by attention_factor (yarn). Halves pairs i with i + head_dim/2 (Hugging Face);
// Adjacent pairs 2i with 2i+1 (Meta / GGUF).
void rope(float* x, int64_t heads, int64_t head_dim, int64_t position, const float* inv_freq, float attention_factor,
          RopePairing pairing);

enum class GateActivation { Silu, GeluTanh, GeluErf };

// gate[i] = act(gate[i]) * up[i]
void gated_activation(float* gate, const float* up, int64_t n, GateActivation activation);

// x[i] = cap * tanh(x[i] / cap)
void softcap(float* x, int64_t n, float cap);

// The largest of n values (−inf for none).
float max_value(const float* x, int64_t n);

// log Σ exp(x[i]) with the sum in double and libm's exp: the reference-grade reduction the scoring
// paths (multiple-choice log-likelihoods, served log-probabilities, held-out loss) share, so that
// they give the same numbers as one another.
double log_sum_exp(const float* x, int64_t n);

// y[i] = exp(x[i] − shift) (y may be x, or null for the sum alone); returns Σ y[i] in double.
double exp_shifted(const float* x, float shift, int64_t n, float* y);

// In-place softmax over n values (max-subtracted); returns log Σ exp(x), which attention keeps
// for its backward.
float softmax(float* x, int64_t n);
// exp(x) through the same arithmetic as the vector kernels (softmax, SiLU) of the kernel set in
// use: within 2 ulp of std::exp; NaN stays NaN, exp(−inf) = 0, exp(+inf) = +inf.
float exp1(float x);

// Gradients. Each takes the forward's inputs (or outputs, where cheaper) and dy = ∂L/∂y.

// dx (overwritten) = ∂L/∂x of rms_norm; dw (if not null) += ∂L/∂w, summed over rows in order.
void rms_norm_backward(const float* x, const float* w, float offset, float eps, int64_t rows, int64_t dim,
                       const float* dy, float* dx, float* dw);

// The gradient of a rotation is the opposite rotation (same attention_factor): rotates dy in place.
void rope_backward(float* dy, int64_t heads, int64_t head_dim, int64_t position, const float* inv_freq,
                   float attention_factor, RopePairing pairing);

// For h = act(gate) * up: dgate = dh * up * act'(gate), dup = dh * act(gate) (gate is the
// pre-activation input).
void gated_activation_backward(const float* gate, const float* up, const float* dh, int64_t n,
                               GateActivation activation, float* dgate, float* dup);

// For y = cap * tanh(x / cap), given y: dy[i] *= 1 - (y[i] / cap)², in place.
void softcap_backward(const float* y, float* dy, int64_t n, float cap);

// x[i] += y[i]
void add(float* x, const float* y, int64_t n);

}  // namespace medllm::kernels
