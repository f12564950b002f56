#pragma once
// Gradients of y = x · Wᵀ (the forward product is kernels::matmul_blas). Both products run as
// sgemm on fixed blocks inside our thread pool, so results do not depend on the thread count:
// a resumed training run computes exactly the numbers of an uninterrupted one.

#include <cstdint>

#include "core/tensor.hpp"
#include "core/thread_pool.hpp"

namespace medllm::kernels {

// dx[n, in] = dy[n, out] · W (accumulate: dx += ...). W may be stored in any dtype (a frozen
// bf16 or quantized base under LoRA); it is converted to f32 one column block at a time.
void matmul_backward_input(const TensorView& weight, const float* dy, int64_t n, float* dx, bool accumulate,
                           ThreadPool& pool);

// dW[out, in] += dyᵀ[out, n] · x[n, in].
void matmul_backward_weight(const float* dy, const float* x, int64_t n, int64_t out, int64_t in, float* dw,
                            ThreadPool& pool);

// db[out] += Σ_rows dy[row, out], summed over rows in order.
void bias_backward(const float* dy, int64_t n, int64_t out, float* db);

}  // namespace medllm::kernels
