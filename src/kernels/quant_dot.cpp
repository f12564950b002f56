#include "kernels/quant_dot.hpp"

#include <cmath>
#include <iterator>
#include <limits>
#include <utility>

#include "core/error.hpp"
#include "kernels/quant_groups.hpp"

namespace medllm::kernels {

namespace {

void quantize_row(const float* x, int64_t length, int8_t* codes, float* scales, int16_t* half_sums) {
  for (int64_t g = 0; g < length / kGroup; ++g) {
    const float* v = x + g * kGroup;
    float amax = 0.0f;
    bool finite = true;
    for (int e = 0; e < kGroup; ++e) {
      finite = finite && std::isfinite(v[e]);
      amax = std::max(amax, std::fabs(v[e]));
    }
    const float scale = finite ? amax / 127.0f : std::numeric_limits<float>::quiet_NaN();
    const float inverse = finite && scale != 0.0f ? 1.0f / scale : 0.0f;
    int8_t* q = codes + g * kGroup;
    for (int e = 0; e < kGroup; ++e) {
      // Round to nearest even; |v · inverse| ≤ 127 up to one rounding, clamped all the same.
      q[e] = static_cast<int8_t>(std::clamp(std::nearbyint(v[e] * inverse), -127.0f, 127.0f));
    }
    for (int h = 0; h < 2; ++h) {
      int sum = 0;
      for (int e = 0; e < 16; ++e) sum += q[16 * h + e];
      half_sums[2 * g + h] = static_cast<int16_t>(sum);
    }
    scales[g] = scale;
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

void quantize_inputs(const float* x, int64_t rows, int64_t length, QuantizedInputs& out) {
  if (length % kGroup != 0) fail("integer dot products need rows of whole groups of {}, got {}", kGroup, length);
  out.rows = rows;
  out.length = length;
  out.codes.resize(static_cast<size_t>(rows * length));
  out.scales.resize(static_cast<size_t>(rows * length / kGroup));
  out.half_sums.resize(static_cast<size_t>(rows * length / 16));
  for (int64_t t = 0; t < rows; ++t) {
    quantize_row(x + t * length, length, out.codes.data() + t * length, out.scales.data() + t * (length / kGroup),
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

float integer_dot_reference(DType type, const std::byte* row, const QuantizedInputs& x, int64_t t) {
  float acc = 0.0f, mins = 0.0f;
  const int8_t* xq = x.codes_of(t);
  WeightGroup w;
  for (int64_t g = 0; g < x.length / kGroup; ++g) {
    decode_group(type, row, g, w);
    int sum = 0;
    for (int e = 0; e < kGroup; ++e) sum += w.scales.sc[e / 16] * w.codes[e] * xq[g * kGroup + e];
    const float dx = x.scales_of(t)[g];
    acc = std::fma(w.scales.d * dx, static_cast<float>(sum), acc);
    if (quant_groups::has_minimum(type)) {
      const int16_t* halves = x.sums_of(t) + 2 * g;
      const float scaled = static_cast<float>(w.scales.m[0] * halves[0] + w.scales.m[1] * halves[1]) * dx;
      mins = std::fma(w.scales.dmin, scaled, mins);
    }
  }
  return acc + mins;
}

}  // namespace medllm::kernels
