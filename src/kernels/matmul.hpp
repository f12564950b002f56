#pragma once
// y = x · Wᵀ for a weight matrix W [out, in] of any weight dtype and f32 activations.

#include <cstdint>

#include "core/tensor.hpp"
#include "core/thread_pool.hpp"

namespace medllm::kernels {

// x: [n, in] f32, y: [n, out] f32 (overwritten). Batch-invariant: every y[t] is bit-identical
// whatever n and the thread count are (each weight row, converted to f32 when stored otherwise,
// is dotted with every input in the same order), so a sequence scores the same alone or batched
// with others. Used for inference and evaluation.
void matmul(const TensorView& weight, const float* x, int64_t n, float* y, ThreadPool& pool);

// The same product through BLAS sgemm: faster for large n, but a row's result depends on n.
// Results do not depend on the thread count. For training, where batches have fixed shapes.
void matmul_blas(const TensorView& weight, const float* x, int64_t n, float* y, ThreadPool& pool);

// The scalar oracle: converts each row to f32 and accumulates in double.
void matmul_reference(const TensorView& weight, const float* x, int64_t n, float* y);

}  // namespace medllm::kernels
