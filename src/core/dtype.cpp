#include "core/dtype.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>

#if defined(__F16C__)
#include <immintrin.h>
#endif

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

void q8_0_to_f32(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ8_0*>(src);
  for (int64_t b = 0; b < n / kQ8_0BlockElems; ++b) {
    const float scale = f16_to_f32(blocks[b].scale_f16);
    for (int64_t i = 0; i < kQ8_0BlockElems; ++i) {
      dst[b * kQ8_0BlockElems + i] = scale * static_cast<float>(blocks[b].quants[i]);
    }
  }
}

void q4_0_to_f32(const void* src, float* dst, int64_t n) {
  const auto* blocks = static_cast<const BlockQ4_0*>(src);
  constexpr int64_t kHalf = kQ4_0BlockElems / 2;
  for (int64_t b = 0; b < n / kQ4_0BlockElems; ++b) {
    const float scale = f16_to_f32(blocks[b].scale_f16);
    float* out = dst + b * kQ4_0BlockElems;
    for (int64_t i = 0; i < kHalf; ++i) {
      out[i] = scale * static_cast<float>((blocks[b].quants[i] & 0x0f) - 8);
      out[i + kHalf] = scale * static_cast<float>((blocks[b].quants[i] >> 4) - 8);
    }
  }
}

void f32_from_f32(const float* src, void* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

void f16_from_f32(const float* src, void* dst, int64_t n) {
  auto* out = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) out[i] = f32_to_f16(src[i]);
}

void bf16_from_f32(const float* src, void* dst, int64_t n) {
  auto* out = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) out[i] = f32_to_bf16(src[i]);
}

void q8_0_from_f32(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ8_0*>(dst);
  for (int64_t b = 0; b < n / kQ8_0BlockElems; ++b) {
    const float* x = src + b * kQ8_0BlockElems;
    float absmax = 0.0f;
    for (int64_t i = 0; i < kQ8_0BlockElems; ++i) absmax = std::max(absmax, std::fabs(x[i]));
    const float scale = absmax / 127.0f;
    const float inverse = scale != 0.0f ? 1.0f / scale : 0.0f;
    blocks[b].scale_f16 = f32_to_f16(scale);
    for (int64_t i = 0; i < kQ8_0BlockElems; ++i) {
      blocks[b].quants[i] = static_cast<int8_t>(std::lround(x[i] * inverse));
    }
  }
}

void q4_0_from_f32(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ4_0*>(dst);
  constexpr int64_t kHalf = kQ4_0BlockElems / 2;
  for (int64_t b = 0; b < n / kQ4_0BlockElems; ++b) {
    const float* x = src + b * kQ4_0BlockElems;
    float signed_max = 0.0f;  // the value of largest magnitude, sign kept
    for (int64_t i = 0; i < kQ4_0BlockElems; ++i) {
      if (std::fabs(x[i]) > std::fabs(signed_max)) signed_max = x[i];
    }
    const float scale = signed_max / -8.0f;
    const float inverse = scale != 0.0f ? 1.0f / scale : 0.0f;
    blocks[b].scale_f16 = f32_to_f16(scale);
    auto level = [&](float v) { return static_cast<uint8_t>(std::min(15.0f, std::trunc(v * inverse + 8.5f))); };
    for (int64_t i = 0; i < kHalf; ++i) {
      blocks[b].quants[i] = static_cast<uint8_t>(level(x[i]) | (level(x[i + kHalf]) << 4));
    }
  }
}

constexpr uint16_t kScaleAtStart[] = {0};

constexpr DTypeTraits kTraits[] = {
    {"f32", 1, 4, f32_to_f32, f32_from_f32, {}},
    {"f16", 1, 2, f16_row_to_f32, f16_from_f32, {}},
    {"bf16", 1, 2, bf16_row_to_f32, bf16_from_f32, {}},
    {"q8_0", kQ8_0BlockElems, sizeof(BlockQ8_0), q8_0_to_f32, q8_0_from_f32, kScaleAtStart},
    {"q4_0", kQ4_0BlockElems, sizeof(BlockQ4_0), q4_0_to_f32, q4_0_from_f32, kScaleAtStart},
};
static_assert(std::size(kTraits) == kDTypeCount);

}  // namespace

const DTypeTraits& dtype_traits(DType type) {
  const auto i = static_cast<size_t>(type);
  if (i >= kDTypeCount) fail("unknown dtype {}", i);
  return kTraits[i];
}

void from_f32(DType type, const float* src, void* dst, int64_t n) {
  dtype_bytes(type, n);  // validates the block count
  dtype_traits(type).from_f32(src, dst, n);
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
