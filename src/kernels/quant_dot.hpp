#pragma once
// Integer dot products for block-quantized weights, the scheme llama.cpp uses: each input row is
// quantized to int8 per block of the weight type's activation block (scale amax / 127): 32 elements
// for the 32-element types, as llama.cpp's q8_0 activations, and 256 for the super-block types
// (k-quants, iq4_xs), as its q8_K. Weights are read as small integer codes with integer sub-scales,
// the products are summed in integers, and floats enter once per input block. The result differs
// from dequantize-then-f32 by the inputs' rounding (at most half a step per element), as
// llama.cpp's does.
//
// The defining order, the same for every kernel set, batch size and thread count (so results are
// batch invariant and identical on AVX2 and AVX-512 machines). The integer sums are exact, so
// kernels may add them up in any order; only the float steps are fixed.
//
// 32-element types, per group g with input scale dx:
//   s   = Σ_e codes[e] · xq[e]                                     (exact integer)
//   acc = fma(d · dx, float(s), acc)
//   min = fma(dmin, float(m · (S_lo + S_hi)) · dx, min)             (q4_1, q5_1)
// over the groups in order, from acc = min = 0; the result is acc + min.
//
// Super-block types, per super-block b of 256 with input scale dx:
//   n   = Σ_e sc[e / 16] · code[e] · xq[e]                          (exact integer)
//   acc = fma(d · dx, float(n), acc)
//   acc = fma(dmin · dx, float(Σ_h m[h] · S[h]), acc)                 (types with minimums)
// over the super-blocks in order, from acc = 0; the result is acc. S[h] is the sum of the input
// codes of the super-block's 16-element half h. The whole super-block's sum is one integer, as in
// llama.cpp's q8_K products, so kernels may split it among rows' lanes or among a register's
// lanes as suits them: prefill keeps 8 weight rows in the lanes, decoding 8 partial sums per row.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/dtype.hpp"
#include "core/tensor.hpp"
#include "core/thread_pool.hpp"

namespace medllm::kernels {

constexpr int64_t kGroup = 32;  // elements per integer group (every block size is a multiple)

// Elements per input scale for weights of `type`: 32, or 256 for the super-block types.
int64_t input_block(DType type);
// What a format adds to its codes to store them unsigned (q4_0: 8, q5_0: 16, q3_k: 4, q6_k: 32);
// 0 for the types whose codes are unsigned already or signed with no such constant (q8_0, iq4).
constexpr int code_offset(DType type) {
  switch (type) {
    case DType::Q4_0:
      return 8;
    case DType::Q5_0:
      return 16;
    case DType::Q3_K:
      return 4;
    case DType::Q6_K:
      return 32;
    default:
      return 0;
  }
}

// Input rows quantized for the integer dot products. A block whose values are not all finite gets
// a NaN scale, so its products are NaN as they would be in f32.
struct QuantizedInputs {
  int64_t rows = 0, length = 0, block = kGroup;
  std::vector<int8_t> codes;       // rows · length; code · scale ≈ input
  std::vector<float> scales;       // rows · length / block
  std::vector<int16_t> half_sums;  // rows · length / 16: the sum of each 16 codes
  const int8_t* codes_of(int64_t row) const { return codes.data() + row * length; }
  const float* scales_of(int64_t row) const { return scales.data() + row * (length / block); }
  const int16_t* sums_of(int64_t row) const { return half_sums.data() + row * (length / 16); }
};
// `length` must be a multiple of `block` (32 or 256, input_block of the weights' type).
void quantize_inputs(const float* x, int64_t rows, int64_t length, int64_t block, QuantizedInputs& out);

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
