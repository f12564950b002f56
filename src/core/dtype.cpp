#include "core/dtype.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <iterator>

#if defined(__F16C__)
#include <immintrin.h>
#endif

#include "core/block_quants.hpp"
#include "core/error.hpp"

namespace medllm {

size_t dtype_bytes(DType type, int64_t elems) {
  const DTypeTraits& info = dtype_traits(type);
  if (elems < 0 || elems % info.block_elems != 0) {
    fail("{} elements do not fill whole {} blocks of {}", elems, info.name, info.block_elems);
  }
  return static_cast<size_t>(elems / info.block_elems) * info.block_bytes;
}

float f16_to_f32(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1fu;
  uint32_t mantissa = bits & 0x3ffu;
  uint32_t out;
  if (exponent == 0x1f) {  // inf / nan
    out = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    out = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    out = sign;
  } else {  // subnormal: normalise
    int shift = 0;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      ++shift;
    }
    mantissa &= 0x3ffu;
    out = sign | (static_cast<uint32_t>(113 - shift) << 23) | (mantissa << 13);
  }
  float value;
  std::memcpy(&value, &out, sizeof value);
  return value;
}

uint16_t f32_to_f16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t abs = bits & 0x7fffffffu;
  if (abs >= 0x7f800000u) {  // inf or nan
    return sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u);
  }
  if (abs >= 0x477ff000u) return sign | 0x7c00u;  // rounds to >= 65520: overflow to inf
  if (abs < 0x38800000u) {                        // result is subnormal or zero
    if (abs < 0x33000000u) return sign;           // below half the smallest subnormal
    const uint32_t exponent = abs >> 23;
    const uint32_t mantissa = (abs & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126 - exponent;  // 14..24
    uint32_t half = mantissa >> shift;
    const uint32_t rest = mantissa & ((1u << shift) - 1);
    const uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (half & 1u))) ++half;
    return sign | static_cast<uint16_t>(half);
  }
  uint32_t half = ((abs >> 13) - (112u << 10));
  const uint32_t rest = abs & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;
  return sign | static_cast<uint16_t>(half);
}

uint16_t f32_to_bf16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

namespace {

void f32_to_f32(const void* src, float* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

void f16_row_to_f32(const void* src, float* dst, int64_t n) {
  const auto* in = static_cast<const uint16_t*>(src);
  int64_t i = 0;
#if defined(__F16C__)
  for (; i + 8 <= n; i += 8) {  // exact conversion in hardware, same values as f16_to_f32
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i))));
  }
#endif
  for (; i < n; ++i) dst[i] = f16_to_f32(in[i]);
}

void bf16_row_to_f32(const void* src, float* dst, int64_t n) {
  const auto* in = static_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(in[i]);
}

void f32_from_f32(const float* src, void* dst, int64_t n, const float*) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

void f16_from_f32(const float* src, void* dst, int64_t n, const float*) {
  auto* out = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) out[i] = f32_to_f16(src[i]);
}

void bf16_from_f32(const float* src, void* dst, int64_t n, const float*) {
  auto* out = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) out[i] = f32_to_bf16(src[i]);
}

// Byte offsets of each block's f16 scales (and minimums), per layout.
constexpr uint16_t kScaleAtStart[] = {0};
constexpr uint16_t kScaleAndMinAtStart[] = {0, 2};
constexpr uint16_t kQ2_KScales[] = {offsetof(BlockQ2_K, d), offsetof(BlockQ2_K, dmin)};
constexpr uint16_t kQ3_KScale[] = {offsetof(BlockQ3_K, d)};
constexpr uint16_t kQ6_KScale[] = {offsetof(BlockQ6_K, d)};

namespace bq = block_quants;

// One row per DType, in enum order; ggml_type ids from ggml.h.
constexpr DTypeTraits kTraits[] = {
    {"f32", 0, 1, 4, f32_to_f32, f32_from_f32, {}},
    {"f16", 1, 1, 2, f16_row_to_f32, f16_from_f32, {}},
    {"bf16", 30, 1, 2, bf16_row_to_f32, bf16_from_f32, {}},
    {"q8_0", 8, kQK, sizeof(BlockQ8_0), bq::q8_0_to_f32, bq::q8_0_from_f32, kScaleAtStart},
    {"q4_0", 2, kQK, sizeof(BlockQ4_0), bq::q4_0_to_f32, bq::q4_0_from_f32, kScaleAtStart},
    {"q4_1", 3, kQK, sizeof(BlockQ4_1), bq::q4_1_to_f32, bq::q4_1_from_f32, kScaleAndMinAtStart},
    {"q5_0", 6, kQK, sizeof(BlockQ5_0), bq::q5_0_to_f32, bq::q5_0_from_f32, kScaleAtStart},
    {"q5_1", 7, kQK, sizeof(BlockQ5_1), bq::q5_1_to_f32, bq::q5_1_from_f32, kScaleAndMinAtStart},
    {"q2_k", 10, kQK_K, sizeof(BlockQ2_K), bq::q2_k_to_f32, bq::q2_k_from_f32, kQ2_KScales},
    {"q3_k", 11, kQK_K, sizeof(BlockQ3_K), bq::q3_k_to_f32, bq::q3_k_from_f32, kQ3_KScale},
    {"q4_k", 12, kQK_K, sizeof(BlockQ4_K), bq::q4_k_to_f32, bq::q4_k_from_f32, kScaleAndMinAtStart},
    {"q5_k", 13, kQK_K, sizeof(BlockQ5_K), bq::q5_k_to_f32, bq::q5_k_from_f32, kScaleAndMinAtStart},
    {"q6_k", 14, kQK_K, sizeof(BlockQ6_K), bq::q6_k_to_f32, bq::q6_k_from_f32, kQ6_KScale},
    {"iq4_nl", 20, kQK, sizeof(BlockIQ4_NL), bq::iq4_nl_to_f32, bq::iq4_nl_from_f32, kScaleAtStart},
    {"iq4_xs", 23, kQK_K, sizeof(BlockIQ4_XS), bq::iq4_xs_to_f32, bq::iq4_xs_from_f32, kScaleAtStart},
};
static_assert(std::size(kTraits) == kDTypeCount);

}  // namespace

const DTypeTraits& dtype_traits(DType type) {
  const auto i = static_cast<size_t>(type);
  if (i >= kDTypeCount) fail("unknown dtype {}", i);
  return kTraits[i];
}

std::optional<DType> dtype_from_ggml_type(uint32_t ggml_type) {
  for (size_t i = 0; i < kDTypeCount; ++i) {
    if (kTraits[i].ggml_type == ggml_type) return static_cast<DType>(i);
  }
  return std::nullopt;
}

void from_f32(DType type, const float* src, void* dst, int64_t n) {
  dtype_bytes(type, n);  // validates the block count
  dtype_traits(type).from_f32(src, dst, n, nullptr);
}

void from_f32_row(DType type, const float* row, void* dst, int64_t n, const float* importance) {
  dtype_bytes(type, n);
  dtype_traits(type).from_f32(row, dst, n, importance);
}

bool all_finite(DType type, const void* src, int64_t n) {
  const DTypeTraits& traits = dtype_traits(type);
  const auto* bytes = static_cast<const std::byte*>(src);
  if (!traits.f16_scale_offsets.empty()) {
    const size_t size = dtype_bytes(type, n);
    for (size_t block = 0; block < size; block += traits.block_bytes) {
      for (const uint16_t offset : traits.f16_scale_offsets) {
        uint16_t scale;
        std::memcpy(&scale, bytes + block + offset, sizeof scale);
        if ((scale & 0x7c00u) == 0x7c00u) return false;
      }
    }
    return true;
  }
  constexpr int64_t kChunk = 1024;  // whole blocks of every type
  float values[kChunk];
  for (int64_t begin = 0; begin < n; begin += kChunk) {
    const int64_t count = std::min(kChunk, n - begin);
    traits.to_f32(bytes + dtype_bytes(type, begin), values, count);
    float sum = 0.0f;  // NaN and inf turn the sum into NaN (inf * 0 is NaN)
    for (int64_t i = 0; i < count; ++i) sum += values[i] * 0.0f;
    if (sum != 0.0f) return false;
  }
  return true;
}

}  // namespace medllm
