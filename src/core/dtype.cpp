#include "core/dtype.hpp"

#include <cmath>
#include <cstring>

#if defined(__F16C__)
#include <immintrin.h>
#endif

#include "core/error.hpp"

namespace medllm {

const DTypeInfo& dtype_info(DType type) {
  static constexpr DTypeInfo kInfo[] = {
      {"f32", 1, 4},
      {"f16", 1, 2},
      {"bf16", 1, 2},
      {"q8_0", kQ8_0BlockElems, sizeof(BlockQ8_0)},
      {"q4_0", kQ4_0BlockElems, sizeof(BlockQ4_0)},
  };
  return kInfo[static_cast<size_t>(type)];
}

size_t dtype_bytes(DType type, int64_t elems) {
  const DTypeInfo& info = dtype_info(type);
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

void to_f32(DType type, const void* src, float* dst, int64_t n) {
  switch (type) {
    case DType::F32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case DType::F16: {
      const auto* in = static_cast<const uint16_t*>(src);
      int64_t i = 0;
#if defined(__F16C__)
      for (; i + 8 <= n; i += 8) {  // exact conversion in hardware, same values as f16_to_f32
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i))));
      }
#endif
      for (; i < n; ++i) dst[i] = f16_to_f32(in[i]);
      return;
    }
    case DType::BF16: {
      const auto* in = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(in[i]);
      return;
    }
    case DType::Q8_0: {
      const auto* blocks = static_cast<const BlockQ8_0*>(src);
      for (int64_t b = 0; b < n / kQ8_0BlockElems; ++b) {
        const float scale = f16_to_f32(blocks[b].scale_f16);
        for (int64_t i = 0; i < kQ8_0BlockElems; ++i) {
          dst[b * kQ8_0BlockElems + i] = scale * static_cast<float>(blocks[b].quants[i]);
        }
      }
      return;
    }
    case DType::Q4_0: {
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
      return;
    }
  }
}

namespace {

void quantize_q8_0(const float* src, BlockQ8_0* blocks, int64_t n) {
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

void quantize_q4_0(const float* src, BlockQ4_0* blocks, int64_t n) {
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

}  // namespace

void from_f32(DType type, const float* src, void* dst, int64_t n) {
  dtype_bytes(type, n);  // validates the block count
  switch (type) {
    case DType::F32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case DType::F16: {
      auto* out = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) out[i] = f32_to_f16(src[i]);
      return;
    }
    case DType::BF16: {
      auto* out = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) out[i] = f32_to_bf16(src[i]);
      return;
    }
    case DType::Q8_0:
      quantize_q8_0(src, static_cast<BlockQ8_0*>(dst), n);
      return;
    case DType::Q4_0:
      quantize_q4_0(src, static_cast<BlockQ4_0*>(dst), n);
      return;
  }
}

}  // namespace medllm
