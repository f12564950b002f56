#pragma once
// y = x · Wᵀ for a weight matrix W [out, in] of any weight dtype and f32 activations.

#include <cstdint>

#include "core/tensor.hpp"
#include "core/thread_pool.hpp"

namespace medllm::kernels {

// x: [n, in] f32, y: [n, out] f32 (overwritten). Batch-invariant: every y[t] is bit-identical
// whatever n and the thread count are (each weight row is dotted with every input in the same
// order), so a sequence scores the same alone or batched with others. Float weights (f32, f16,
// bf16) are converted to f32 exactly; block-quantized weights take integer dot products with
// the inputs quantized to int8 per block of 32 or 256, as llama.cpp does (kernels/quant_dot.hpp). Used
// for inference and evaluation.
enum class BlockMatmul : uint8_t {
  Int8Inputs,  // integer dot products with the inputs rounded to int8 per block of 32 or 256
  Exact,       // the weights dequantized to f32, f32 inputs: slower, no rounding of the inputs
};
void matmul(const TensorView& weight, const float* x, int64_t n, float* y, ThreadPool& pool,
            BlockMatmul block = BlockMatmul::Int8Inputs);

// The same product through BLAS sgemm: faster for large n, but a row's result depends on n.
// Results do not depend on the thread count. For training, where batches have fixed shapes.
void matmul_blas(const TensorView& weight, const float* x, int64_t n, float* y, ThreadPool& pool);

// The scalar oracle: converts each row to f32 and accumulates in double.
void matmul_reference(const TensorView& weight, const float* x, int64_t n, float* y);

}  // namespace medllm::kernels
