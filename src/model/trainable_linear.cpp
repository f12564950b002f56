#include "model/trainable_linear.hpp"

#include "kernels/elementwise.hpp"
#include "kernels/matmul.hpp"
#include "kernels/matmul_backward.hpp"

namespace medllm {

namespace {

// splitmix64: a counter-based generator, so a mask depends only on (seed, index).
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

void TrainableLinear::forward(const float* x, int64_t n, float* y, LoraActivations& saved, uint64_t dropout_seed,
                              ThreadPool& pool) const {
  kernels::matmul_blas(weight, x, n, y, pool);
  if (bias != nullptr) {
    for (int64_t t = 0; t < n; ++t) kernels::add(y + t * out(), bias->value.data(), out());
  }
  if (lora_a == nullptr) return;
  const int64_t rank = lora_a->shape[0];
  const float* lora_input = x;
  if (lora_dropout > 0.0f) {
    const int64_t count = n * in();
    saved.dropped_input.resize(static_cast<size_t>(count));
    saved.kept.resize(static_cast<size_t>(count));
    const float keep_scale = 1.0f / (1.0f - lora_dropout);
    const auto threshold = static_cast<uint64_t>(static_cast<double>(lora_dropout) * 18446744073709551616.0);
    for (int64_t i = 0; i < count; ++i) {
      const bool keep = mix(dropout_seed ^ mix(static_cast<uint64_t>(i))) >= threshold;
      saved.kept[i] = keep;
      saved.dropped_input[i] = keep ? x[i] * keep_scale : 0.0f;
    }
    lora_input = saved.dropped_input.data();
  }
  saved.projected.resize(static_cast<size_t>(n * rank));
  kernels::matmul_blas(lora_a->view(), lora_input, n, saved.projected.data(), pool);
  std::vector<float> update(static_cast<size_t>(n * out()));
  kernels::matmul_blas(lora_b->view(), saved.projected.data(), n, update.data(), pool);
  for (size_t i = 0; i < update.size(); ++i) y[i] += lora_scale * update[i];
}

void TrainableLinear::backward(const float* x, const float* dy, int64_t n, float* dx, bool accumulate,
                               const LoraActivations& saved, ThreadPool& pool) const {
  if (weight_param != nullptr && weight_param->trainable()) {
    kernels::matmul_backward_weight(dy, x, n, out(), in(), weight_param->grad.data(), pool);
  }
  if (bias != nullptr && bias->trainable()) kernels::bias_backward(dy, n, out(), bias->grad.data());
  kernels::matmul_backward_input(weight, dy, n, dx, accumulate, pool);
  if (lora_a == nullptr) return;

  // y += s · P · Bᵀ with P = dropout(x) · Aᵀ:  ∂B += dyᵀ · (s·P),  ∂P = s · dy · B,
  // ∂A += ∂Pᵀ · dropout(x),  ∂x += mask ⊙ (∂P · A).
  const int64_t rank = lora_a->shape[0];
  std::vector<float> scaled_projected(saved.projected);
  for (float& v : scaled_projected) v *= lora_scale;
  kernels::matmul_backward_weight(dy, scaled_projected.data(), n, out(), rank, lora_b->grad.data(), pool);
  std::vector<float> projected_grad(static_cast<size_t>(n * rank));
  kernels::matmul_backward_input(lora_b->view(), dy, n, projected_grad.data(), false, pool);
  for (float& v : projected_grad) v *= lora_scale;
  const bool dropout = !saved.dropped_input.empty();
  kernels::matmul_backward_weight(projected_grad.data(), dropout ? saved.dropped_input.data() : x, n, rank, in(),
                                  lora_a->grad.data(), pool);
  if (!dropout) {
    kernels::matmul_backward_input(lora_a->view(), projected_grad.data(), n, dx, true, pool);
    return;
  }
  std::vector<float> input_grad(static_cast<size_t>(n * in()));
  kernels::matmul_backward_input(lora_a->view(), projected_grad.data(), n, input_grad.data(), false, pool);
  const float keep_scale = 1.0f / (1.0f - lora_dropout);
  for (size_t i = 0; i < input_grad.size(); ++i) {
    if (saved.kept[i]) dx[i] += input_grad[i] * keep_scale;
  }
}

}  // namespace medllm
