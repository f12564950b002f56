#include "kernels/quant_dot.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <utility>

#include "core/error.hpp"
#include "kernels/quant_groups.hpp"

namespace medllm::kernels {

namespace {

// One block of `block` inputs: scale amax / 127, codes rounded to the nearest step.
void quantize_block(const float* v, int64_t block, int8_t* q, float& scale) {
  float amax = 0.0f;
  bool finite = true;
  for (int64_t e = 0; e < block; ++e) {
    finite = finite && std::isfinite(v[e]);
    amax = std::max(amax, std::fabs(v[e]));
  }
  if (!finite) {  // the NaN scale carries the non-finite value into every product; codes are 0
    scale = std::numeric_limits<float>::quiet_NaN();
    std::fill(q, q + block, int8_t{0});
    return;
  }
  scale = amax / 127.0f;
  // 0 for an all-zero block, and for one so small that the inverse of its (subnormal) step
  // overflows: its codes are 0 rather than ±inf · x.
  const float reciprocal = 1.0f / scale;
  const float inverse = std::isfinite(reciprocal) ? reciprocal : 0.0f;
  for (int64_t e = 0; e < block; ++e) {
    // Round to nearest even; |v · inverse| ≤ 127 up to one rounding, clamped all the same.
    q[e] = static_cast<int8_t>(std::clamp(std::nearbyint(v[e] * inverse), -127.0f, 127.0f));
  }
}

void quantize_row(const float* x, int64_t length, int64_t block, int8_t* codes, float* scales, int16_t* half_sums) {
  for (int64_t b = 0; b < length / block; ++b) quantize_block(x + b * block, block, codes + b * block, scales[b]);
  for (int64_t h = 0; h < length / 16; ++h) {
    int sum = 0;
    for (int e = 0; e < 16; ++e) sum += codes[16 * h + e];
    half_sums[h] = static_cast<int16_t>(sum);
  }
}

template <DType D>
void decode_group_as(const std::byte* row, int64_t g, WeightGroup& out) {
  quant_groups::group_codes<D>(row, g, out.codes);
  out.scales = quant_groups::group_scales<D>(row, g);
}

using GroupDecoder = void (*)(const std::byte*, int64_t, WeightGroup&);
// One entry per DType, in DType order; null for the plain float types.
constexpr GroupDecoder kDecoders[] = {nullptr,
                                      nullptr,
                                      nullptr,
                                      decode_group_as<DType::Q8_0>,
                                      decode_group_as<DType::Q4_0>,
                                      decode_group_as<DType::Q4_1>,
                                      decode_group_as<DType::Q5_0>,
                                      decode_group_as<DType::Q5_1>,
                                      decode_group_as<DType::Q2_K>,
                                      decode_group_as<DType::Q3_K>,
                                      decode_group_as<DType::Q4_K>,
                                      decode_group_as<DType::Q5_K>,
                                      decode_group_as<DType::Q6_K>,
                                      decode_group_as<DType::IQ4_NL>,
                                      decode_group_as<DType::IQ4_XS>};
static_assert(std::size(kDecoders) == kDTypeCount);

}  // namespace

int64_t input_block(DType type) {
  return dtype_traits(type).block_elems == kQK_K ? kQK_K : kGroup;
}

void quantize_inputs(const float* x, int64_t rows, int64_t length, int64_t block, QuantizedInputs& out) {
  if (block != kGroup && block != kQK_K) fail("integer dot products quantize inputs per 32 or 256, not {}", block);
  if (length % block != 0) fail("integer dot products need rows of whole blocks of {}, got {}", block, length);
  out.rows = rows;
  out.length = length;
  out.block = block;
  out.codes.resize(static_cast<size_t>(rows * length));
  out.scales.resize(static_cast<size_t>(rows * length / block));
  out.half_sums.resize(static_cast<size_t>(rows * length / 16));
  for (int64_t t = 0; t < rows; ++t) {
    quantize_row(x + t * length, length, block, out.codes.data() + t * length, out.scales.data() + t * (length / block),
                 out.half_sums.data() + t * (length / 16));
  }
}

bool has_integer_dot(DType type) {
  return kDecoders[static_cast<size_t>(type)] != nullptr;
}

void decode_group(DType type, const std::byte* row, int64_t g, WeightGroup& out) {
  const GroupDecoder decoder = kDecoders[static_cast<size_t>(type)];
  if (decoder == nullptr) fail("{} has no integer dot product", dtype_name(type));
  decoder(row, g, out);
}

namespace {

float group_dot_reference(DType type, const std::byte* row, const QuantizedInputs& x, int64_t t) {
  float acc = 0.0f, mins = 0.0f;
  const int8_t* xq = x.codes_of(t);
  WeightGroup w;
  for (int64_t g = 0; g < x.length / kGroup; ++g) {
    decode_group(type, row, g, w);
    int sum = 0;
    for (int e = 0; e < kGroup; ++e) sum += w.codes[e] * xq[g * kGroup + e];
    const float dx = x.scales_of(t)[g];
    acc = std::fma(w.scales.d * dx, static_cast<float>(sum), acc);
    if (quant_groups::has_minimum(type)) {
      const int16_t* halves = x.sums_of(t) + 2 * g;
      // q4_1 and q5_1 add their float minimum once per element: m is 1.
      mins = std::fma(w.scales.dmin, static_cast<float>(halves[0] + halves[1]) * dx, mins);
    }
  }
  return acc + mins;
}

float super_block_dot_reference(DType type, const std::byte* row, const QuantizedInputs& x, int64_t t) {
  constexpr int kGroups = kQK_K / kGroup;
  float acc = 0.0f;
  WeightGroup w;
  for (int64_t b = 0; b < x.length / kQK_K; ++b) {
    const int8_t* xq = x.codes_of(t) + b * kQK_K;
    const int16_t* halves = x.sums_of(t) + b * (kQK_K / 16);
    int32_t n = 0, minimums = 0;
    float d = 0.0f, dmin = 0.0f;
    for (int i = 0; i < kGroups; ++i) {
      decode_group(type, row, b * kGroups + i, w);
      d = w.scales.d;
      dmin = w.scales.dmin;
      for (int e = 0; e < kGroup; ++e) n += w.scales.sc[e / 16] * w.codes[e] * xq[kGroup * i + e];
      for (int h = 0; h < 2; ++h) minimums += w.scales.m[h] * halves[2 * i + h];
    }
    const float dx = x.scales_of(t)[b];
    acc = std::fma(d * dx, static_cast<float>(n), acc);
    if (quant_groups::has_minimum(type)) acc = std::fma(dmin * dx, static_cast<float>(minimums), acc);
  }
  return acc;
}

}  // namespace

float integer_dot_reference(DType type, const std::byte* row, const QuantizedInputs& x, int64_t t) {
  if (x.block != input_block(type))
    fail("{} weights need inputs quantized per {}", dtype_name(type), input_block(type));
  return x.block == kQK_K ? super_block_dot_reference(type, row, x, t) : group_dot_reference(type, row, x, t);
}

}  // namespace medllm::kernels
