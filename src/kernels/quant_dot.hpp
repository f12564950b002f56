#pragma once
// Integer dot products for block-quantized weights, the scheme llama.cpp uses: each input row is
// quantized to int8 per group of 32 (scale amax / 127), each weight group of 32 is read as signed
// 8-bit codes with small integer sub-scales, the products are summed in integers, and floats enter
// once per group. The result differs from dequantize-then-f32 by the inputs' rounding (at most
// half a step per element), as llama.cpp's does.
//
// The defining order, the same for every kernel set, batch size and thread count (so results are
// batch invariant and identical on AVX2 and AVX-512 machines). Per group g, with input scale dx:
//   s   = Σ_e sc[e / 16] · codes[e] · xq[e]                      (exact integer: |s| < 2^24)
//   acc = fma(d · dx, float(s), acc)
//   min = fma(dmin, float(m[0] · S_lo + m[1] · S_hi) · dx, min)   (types with minimums)
// over the groups in order, from acc = min = 0, with S_lo, S_hi the sums of the input codes of the
// group's two halves (each product rounded once); the result is acc + min. The integer sums are
// exact, so kernels may add them up in any order; only the float steps are fixed.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/dtype.hpp"
#include "core/tensor.hpp"
#include "core/thread_pool.hpp"

namespace medllm::kernels {

constexpr int64_t kGroup = 32;  // elements per integer group (every block size is a multiple)

// Input rows quantized for the integer dot products. A row whose values are not all finite gets a
// NaN scale, so its products are NaN as they would be in f32.
struct QuantizedInputs {
  int64_t rows = 0, length = 0;
  std::vector<int8_t> codes;       // rows · length; code · scale ≈ input
  std::vector<float> scales;       // rows · length / 32
  std::vector<int16_t> half_sums;  // rows · length / 16: the sum of each 16 codes
  const int8_t* codes_of(int64_t row) const { return codes.data() + row * length; }
  const float* scales_of(int64_t row) const { return scales.data() + row * (length / kGroup); }
  const int16_t* sums_of(int64_t row) const { return half_sums.data() + row * (length / 16); }
};
// `length` must be a multiple of 32.
void quantize_inputs(const float* x, int64_t rows, int64_t length, QuantizedInputs& out);

// Group g (elements 32g … 32g+31) of a weight row as integers: element e is
// d · sc[e / 16] · codes[e] + dmin · m[e / 16], reproducing ggml's dequantized value exactly when
// computed as fl(fl(d · sc) · code) + fl(dmin · m). dmin carries the sign (the k-quants subtract
// their minimum); types without minimums have dmin = 0.
struct GroupScales {
  float d = 0.0f, dmin = 0.0f;
  int16_t sc[2] = {1, 1}, m[2] = {0, 0};
};
struct WeightGroup {
  int8_t codes[kGroup];
  GroupScales scales;
};

// Every block-quantized type has integer dot products; the plain float types do not.
bool has_integer_dot(DType type);
// Group g of a row of `type` (scalar; the oracle the SIMD kernels are tested against).
void decode_group(DType type, const std::byte* row, int64_t g, WeightGroup& out);
// A row's dot product with input row t, in the defining order above (scalar).
float integer_dot_reference(DType type, const std::byte* row, const QuantizedInputs& x, int64_t t);

// y[n, out] = x[n, in] · Wᵀ through the integer dot products (kernels/quant_matmul.cpp): every
// y[t] is bit-identical whatever n and the thread count.
void matmul_quantized(const TensorView& weight, const float* x, int64_t n, float* y, ThreadPool& pool);

}  // namespace medllm::kernels
