#pragma once
// y = x · Wᵀ for a weight matrix W [out, in] of any weight dtype and f32 activations.

#include <cstdint>

#include "core/tensor.hpp"
#include "core/thread_pool.hpp"

namespace medllm::kernels {

// x: [n, in] f32, y: [n, out] f32 (overwritten). Large n goes through BLAS sgemm on blocks of
// output columns, one block range per pool thread (weights converted to f32 in row blocks when
// stored otherwise); small n (decoding) uses row-parallel dot products that read each weight row
// once for all n inputs.
void matmul(const TensorView& weight, const float* x, int64_t n, float* y, ThreadPool& pool);

// The scalar oracle: converts each row to f32 and accumulates in double.
void matmul_reference(const TensorView& weight, const float* x, int64_t n, float* y);

// matmul runs BLAS inside its own thread pool; BLAS's own threads would compete for the cores.
void use_single_threaded_blas();

}  // namespace medllm::kernels
