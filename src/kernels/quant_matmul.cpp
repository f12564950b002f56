// matmul_quantized (kernels/quant_dot.hpp): the inputs quantized once, then the kernel set's
// integer dot products (kernels/simd/quant_matmul.inl).

#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <iterator>
#include <type_traits>
#include <vector>

#include "core/error.hpp"
#include "kernels/quant_dot.hpp"
#include "kernels/quant_groups.hpp"
#include "kernels/simd/target.hpp"

namespace medllm::kernels {

namespace {  // the kernel sets keep internal linkage

#define MEDLLM_SIMD_KERNELS "kernels/simd/quant_matmul.inl"
#define MEDLLM_SIMD_VNNI_SET
#include "kernels/simd/kernel_sets.inl"

}  // namespace

void matmul_quantized(const TensorView& weight, const float* x, int64_t n, float* y, ThreadPool& pool) {
  if (!has_integer_dot(weight.dtype)) fail("{} weights have no integer dot product", dtype_name(weight.dtype));
  if (n <= 0 || weight.rows() == 0) return;
  // Reused between calls: a decode step quantizes a few rows per matmul, many times a second.
  thread_local QuantizedInputs inputs;
  quantize_inputs(x, n, weight.cols(), input_block(weight.dtype), inputs);
  MEDLLM_SIMD_CALL_VNNI(matmul_quantized, weight, inputs, y, pool);
}

}  // namespace medllm::kernels
