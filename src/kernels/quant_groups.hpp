#pragma once
// How each block-quantized type reads as integer groups of 32 (kernels/quant_dot.hpp): the
// group's scales and its codes in scalar form, the oracle of the SIMD kernels
// (kernels/simd/quant_matmul.inl reads the 32-element types' scales through group_scales, and
// unpacks the codes, and a super-block's scales, in registers). The bit layouts are those of
// core/quant_blocks.hpp; tests check every group against to_f32.

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/dtype.hpp"
#include "core/quant_blocks.hpp"
#include "kernels/quant_dot.hpp"

namespace medllm::kernels::quant_groups {

inline float half_to_float(uint16_t bits) {
#ifdef __F16C__
  return _cvtsh_ss(bits);  // exact, as f16_to_f32
#else
  return f16_to_f32(bits);
#endif
}

template <DType D>
struct Layout;
template <>
struct Layout<DType::Q8_0> {
  using Block = BlockQ8_0;
};
template <>
struct Layout<DType::Q4_0> {
  using Block = BlockQ4_0;
};
template <>
struct Layout<DType::Q4_1> {
  using Block = BlockQ4_1;
};
template <>
struct Layout<DType::Q5_0> {
  using Block = BlockQ5_0;
};
template <>
struct Layout<DType::Q5_1> {
  using Block = BlockQ5_1;
};
template <>
struct Layout<DType::IQ4_NL> {
  using Block = BlockIQ4_NL;
};
template <>
struct Layout<DType::Q2_K> {
  using Block = BlockQ2_K;
};
template <>
struct Layout<DType::Q3_K> {
  using Block = BlockQ3_K;
};
template <>
struct Layout<DType::Q4_K> {
  using Block = BlockQ4_K;
};
template <>
struct Layout<DType::Q5_K> {
  using Block = BlockQ5_K;
};
template <>
struct Layout<DType::Q6_K> {
  using Block = BlockQ6_K;
};
template <>
struct Layout<DType::IQ4_XS> {
  using Block = BlockIQ4_XS;
};

// Groups of 32 in one block: 1 for the 32-element types, 8 for the 256-element ones.
constexpr int64_t groups_per_block(DType D) {
  return D == DType::Q8_0 || D == DType::Q4_0 || D == DType::Q4_1 || D == DType::Q5_0 || D == DType::Q5_1 ||
                 D == DType::IQ4_NL
             ? 1
             : kQK_K / kGroup;
}
// Whether a type adds a minimum to its values (the m term of the defining order).
constexpr bool has_minimum(DType D) {
  return D == DType::Q4_1 || D == DType::Q5_1 || D == DType::Q2_K || D == DType::Q4_K || D == DType::Q5_K;
}
// The block holding group g of a row, and g's index within it.
template <DType D>
const typename Layout<D>::Block& block_of(const std::byte* row, int64_t g) {
  return reinterpret_cast<const typename Layout<D>::Block*>(row)[g / groups_per_block(D)];
}
template <DType D>
int group_in_block(int64_t g) {
  return static_cast<int>(g % groups_per_block(D));
}

template <DType D>
GroupScales group_scales(const std::byte* row, int64_t g) {
  const auto& block = block_of<D>(row, g);
  const int j = group_in_block<D>(g);
  GroupScales s;
  if constexpr (D == DType::Q8_0 || D == DType::Q4_0) {
    s.d = half_to_float(block.scale_f16);
  } else if constexpr (D == DType::Q5_0 || D == DType::IQ4_NL) {
    s.d = half_to_float(block.d);
  } else if constexpr (D == DType::Q4_1 || D == DType::Q5_1) {
    s.d = half_to_float(block.d);
    s.dmin = half_to_float(block.m);
    s.m[0] = s.m[1] = 1;
  } else if constexpr (D == DType::Q2_K) {
    s.d = half_to_float(block.d);
    s.dmin = -half_to_float(block.dmin);
    for (int h = 0; h < 2; ++h) {
      s.sc[h] = static_cast<int16_t>(block.scales[2 * j + h] & 0xF);
      s.m[h] = static_cast<int16_t>(block.scales[2 * j + h] >> 4);
    }
  } else if constexpr (D == DType::Q3_K) {
    s.d = half_to_float(block.d);
    s.sc[0] = static_cast<int16_t>(q3_k_scale(block.scales, 2 * j));
    s.sc[1] = static_cast<int16_t>(q3_k_scale(block.scales, 2 * j + 1));
  } else if constexpr (D == DType::Q4_K || D == DType::Q5_K) {
    s.d = half_to_float(block.d);
    s.dmin = -half_to_float(block.dmin);
    int scale, min;
    scale_min_k4(j, block.scales, scale, min);
    s.sc[0] = s.sc[1] = static_cast<int16_t>(scale);
    s.m[0] = s.m[1] = static_cast<int16_t>(min);
  } else if constexpr (D == DType::Q6_K) {
    // Group j is plane j % 4 of half j / 4; its 16-element halves take consecutive scales.
    s.d = half_to_float(block.d);
    s.sc[0] = block.scales[8 * (j / 4) + 2 * (j % 4)];
    s.sc[1] = block.scales[8 * (j / 4) + 2 * (j % 4) + 1];
  } else {
    static_assert(D == DType::IQ4_XS);
    s.d = half_to_float(block.d);
    s.sc[0] = s.sc[1] = static_cast<int16_t>(iq4_xs_scale(block, j));
  }
  return s;
}

// The 32 signed codes of group g, one element at a time.
template <DType D>
void group_codes(const std::byte* row, int64_t g, int8_t* codes) {
  const auto& block = block_of<D>(row, g);
  const int j = group_in_block<D>(g);
  for (int e = 0; e < kGroup; ++e) {
    int code;
    const int l = e % 16, upper = e / 16;  // the legacy types: nibble `upper` of byte l
    if constexpr (D == DType::Q8_0) {
      code = block.quants[e];
    } else if constexpr (D == DType::Q4_0 || D == DType::Q4_1 || D == DType::IQ4_NL) {
      if constexpr (D == DType::Q4_0) {
        code = (block.quants[l] >> (4 * upper)) & 0xF;
      } else {
        code = (block.qs[l] >> (4 * upper)) & 0xF;
      }
      if constexpr (D == DType::Q4_0) code -= 8;
      if constexpr (D == DType::IQ4_NL) code = kIQ4Levels[code];
    } else if constexpr (D == DType::Q5_0 || D == DType::Q5_1) {
      uint32_t qh;
      std::memcpy(&qh, block.qh, sizeof qh);
      code = ((block.qs[l] >> (4 * upper)) & 0xF) | static_cast<int>(((qh >> e) & 1) << 4);
      if constexpr (D == DType::Q5_0) code -= 16;
    } else if constexpr (D == DType::Q2_K) {
      code = (block.qs[32 * (j / 4) + e] >> (2 * (j % 4))) & 3;
    } else if constexpr (D == DType::Q3_K) {
      const int low = (block.qs[32 * (j / 4) + e] >> (2 * (j % 4))) & 3;
      code = low - ((block.hmask[e] >> j) & 1 ? 0 : 4);
    } else if constexpr (D == DType::Q4_K || D == DType::Q5_K) {
      code = (block.qs[32 * (j / 2) + e] >> (4 * (j % 2))) & 0xF;
      if constexpr (D == DType::Q5_K) code |= ((block.qh[e] >> j) & 1) << 4;
    } else if constexpr (D == DType::Q6_K) {
      const int half = j / 4, plane = j % 4;
      const int low = (block.ql[64 * half + 32 * (plane % 2) + e] >> (4 * (plane / 2))) & 0xF;
      code = (low | (((block.qh[32 * half + e] >> (2 * plane)) & 3) << 4)) - 32;
    } else {
      static_assert(D == DType::IQ4_XS);
      code = kIQ4Levels[(block.qs[16 * j + l] >> (4 * upper)) & 0xF];
    }
    codes[e] = static_cast<int8_t>(code);
  }
}

}  // namespace medllm::kernels::quant_groups
