#include "core/block_quants.hpp"

#include <cmath>
#include <cstring>
#include <type_traits>

#include "core/dtype.hpp"
#include "core/quant_blocks.hpp"

// This file is compiled with -ffp-contract=off (src/CMakeLists.txt): ggml's reference code
// rounds after every multiply and add (d·q − m is two roundings), and agreeing with it bit for
// bit means never fusing them.

namespace medllm::block_quants {

namespace {

template <class Block>
const Block* blocks_of(const void* src) {
  return static_cast<const Block*>(src);
}

}  // namespace

void q8_0_to_f32(const void* src, float* dst, int64_t n) {
  const auto* blocks = blocks_of<BlockQ8_0>(src);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float d = f16_to_f32(blocks[b].scale_f16);
    for (int64_t i = 0; i < kQK; ++i) dst[b * kQK + i] = d * static_cast<float>(blocks[b].quants[i]);
  }
}

void q4_0_to_f32(const void* src, float* dst, int64_t n) {
  const auto* blocks = blocks_of<BlockQ4_0>(src);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float d = f16_to_f32(blocks[b].scale_f16);
    float* out = dst + b * kQK;
    for (int64_t i = 0; i < kQK / 2; ++i) {
      out[i] = d * static_cast<float>((blocks[b].quants[i] & 0x0f) - 8);
      out[i + kQK / 2] = d * static_cast<float>((blocks[b].quants[i] >> 4) - 8);
    }
  }
}

void q4_1_to_f32(const void* src, float* dst, int64_t n) {
  const auto* blocks = blocks_of<BlockQ4_1>(src);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float d = f16_to_f32(blocks[b].d), m = f16_to_f32(blocks[b].m);
    float* out = dst + b * kQK;
    for (int64_t i = 0; i < kQK / 2; ++i) {
      out[i] = static_cast<float>(blocks[b].qs[i] & 0x0f) * d + m;
      out[i + kQK / 2] = static_cast<float>(blocks[b].qs[i] >> 4) * d + m;
    }
  }
}

namespace {

// Codes 0..31 of a q5_0 / q5_1 block: the nibble plus bit i (element i) of qh as bit 4.
void q5_codes(const uint8_t* qh_bytes, const uint8_t* qs, int* codes) {
  uint32_t qh;
  std::memcpy(&qh, qh_bytes, sizeof qh);
  for (int i = 0; i < kQK / 2; ++i) {
    codes[i] = (qs[i] & 0x0f) | static_cast<int>(((qh >> i) << 4) & 0x10);
    codes[i + kQK / 2] = (qs[i] >> 4) | static_cast<int>((qh >> (i + 12)) & 0x10);
  }
}

}  // namespace

void q5_0_to_f32(const void* src, float* dst, int64_t n) {
  const auto* blocks = blocks_of<BlockQ5_0>(src);
  int codes[kQK];
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float d = f16_to_f32(blocks[b].d);
    q5_codes(blocks[b].qh, blocks[b].qs, codes);
    for (int64_t i = 0; i < kQK; ++i) dst[b * kQK + i] = static_cast<float>(codes[i] - 16) * d;
  }
}

void q5_1_to_f32(const void* src, float* dst, int64_t n) {
  const auto* blocks = blocks_of<BlockQ5_1>(src);
  int codes[kQK];
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float d = f16_to_f32(blocks[b].d), m = f16_to_f32(blocks[b].m);
    q5_codes(blocks[b].qh, blocks[b].qs, codes);
    for (int64_t i = 0; i < kQK; ++i) dst[b * kQK + i] = static_cast<float>(codes[i]) * d + m;
  }
}

void iq4_nl_to_f32(const void* src, float* dst, int64_t n) {
  const auto* blocks = blocks_of<BlockIQ4_NL>(src);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float d = f16_to_f32(blocks[b].d);
    float* out = dst + b * kQK;
    for (int64_t i = 0; i < kQK / 2; ++i) {
      out[i] = d * static_cast<float>(kIQ4Levels[blocks[b].qs[i] & 0x0f]);
      out[i + kQK / 2] = d * static_cast<float>(kIQ4Levels[blocks[b].qs[i] >> 4]);
    }
  }
}

void q2_k_to_f32(const void* src, float* dst, int64_t n) {
  const auto* blocks = blocks_of<BlockQ2_K>(src);
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const BlockQ2_K& block = blocks[b];
    const float d = f16_to_f32(block.d), dmin = f16_to_f32(block.dmin);
    float* out = dst + b * kQK_K;
    int group = 0;
    // Two halves of 128; in each, four 2-bit planes of the same 32 bytes, 16 elements per scale.
    for (int half = 0; half < 2; ++half) {
      const uint8_t* q = block.qs + 32 * half;
      for (int shift = 0; shift < 8; shift += 2) {
        for (int part = 0; part < 2; ++part, ++group) {
          const float dl = d * static_cast<float>(block.scales[group] & 0xF);
          const float ml = dmin * static_cast<float>(block.scales[group] >> 4);
          for (int l = 0; l < 16; ++l) *out++ = dl * static_cast<float>((q[16 * part + l] >> shift) & 3) - ml;
        }
      }
    }
  }
}

void q3_k_to_f32(const void* src, float* dst, int64_t n) {
  const auto* blocks = blocks_of<BlockQ3_K>(src);
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const BlockQ3_K& block = blocks[b];
    const float d = f16_to_f32(block.d);
    float* out = dst + b * kQK_K;
    int group = 0;
    uint8_t high_bit = 1;  // the hmask bit of the current plane
    for (int half = 0; half < 2; ++half) {
      const uint8_t* q = block.qs + 32 * half;
      for (int shift = 0; shift < 8; shift += 2, high_bit = static_cast<uint8_t>(high_bit << 1)) {
        for (int part = 0; part < 2; ++part, ++group) {
          const float dl = d * static_cast<float>(q3_k_scale(block.scales, group));
          for (int l = 16 * part; l < 16 * part + 16; ++l) {
            const int code = ((q[l] >> shift) & 3) - ((block.hmask[l] & high_bit) ? 0 : 4);
            *out++ = dl * static_cast<float>(code);
          }
        }
      }
    }
  }
}

namespace {

// q4_k and q5_k: four chunks of 64, each the low nibbles of 32 bytes and then their high nibbles,
// each half with its own scale and minimum; q5_k adds a fifth bit per element from qh.
template <class Block>
void k4_family_to_f32(const void* src, float* dst, int64_t n) {
  const auto* blocks = blocks_of<Block>(src);
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const Block& block = blocks[b];
    const float d = f16_to_f32(block.d), dmin = f16_to_f32(block.dmin);
    float* out = dst + b * kQK_K;
    for (int chunk = 0; chunk < 4; ++chunk) {
      const uint8_t* q = block.qs + 32 * chunk;
      for (int nibble = 0; nibble < 2; ++nibble) {
        int scale, min;
        scale_min_k4(2 * chunk + nibble, block.scales, scale, min);
        const float dl = d * static_cast<float>(scale), ml = dmin * static_cast<float>(min);
        for (int l = 0; l < 32; ++l) {
          int code = (q[l] >> (4 * nibble)) & 0xF;
          if constexpr (std::is_same_v<Block, BlockQ5_K>) {
            if (block.qh[l] & (1u << (2 * chunk + nibble))) code += 16;
          }
          *out++ = dl * static_cast<float>(code) - ml;
        }
      }
    }
  }
}

}  // namespace

void q4_k_to_f32(const void* src, float* dst, int64_t n) {
  k4_family_to_f32<BlockQ4_K>(src, dst, n);
}

void q5_k_to_f32(const void* src, float* dst, int64_t n) {
  k4_family_to_f32<BlockQ5_K>(src, dst, n);
}

void q6_k_to_f32(const void* src, float* dst, int64_t n) {
  const auto* blocks = blocks_of<BlockQ6_K>(src);
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const BlockQ6_K& block = blocks[b];
    const float d = f16_to_f32(block.d);
    // Two halves of 128: element l + 32·k takes nibble (k / 2) of ql[l + 32·(k % 2)] and bits
    // 2k, 2k+1 of qh[l]; its scale is that of its 16-element group.
    for (int half = 0; half < 2; ++half) {
      const uint8_t* ql = block.ql + 64 * half;
      const uint8_t* qh = block.qh + 32 * half;
      const int8_t* sc = block.scales + 8 * half;
      float* out = dst + b * kQK_K + 128 * half;
      for (int l = 0; l < 32; ++l) {
        for (int k = 0; k < 4; ++k) {
          const int low = (ql[l + 32 * (k % 2)] >> (4 * (k / 2))) & 0xF;
          const int code = (low | (((qh[l] >> (2 * k)) & 3) << 4)) - 32;
          out[l + 32 * k] = d * static_cast<float>(sc[l / 16 + 2 * k]) * static_cast<float>(code);
        }
      }
    }
  }
}

void iq4_xs_to_f32(const void* src, float* dst, int64_t n) {
  const auto* blocks = blocks_of<BlockIQ4_XS>(src);
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const BlockIQ4_XS& block = blocks[b];
    const float d = f16_to_f32(block.d);
    for (int group = 0; group < 8; ++group) {
      const float dl = d * static_cast<float>(iq4_xs_scale(block, group));
      const uint8_t* qs = block.qs + 16 * group;
      float* out = dst + b * kQK_K + 32 * group;
      for (int j = 0; j < 16; ++j) {
        out[j] = dl * static_cast<float>(kIQ4Levels[qs[j] & 0xf]);
        out[j + 16] = dl * static_cast<float>(kIQ4Levels[qs[j] >> 4]);
      }
    }
  }
}

}  // namespace medllm::block_quants
