#pragma once
// The block layouts of ggml's quantized types, byte for byte as GGUF files store them (ggml's
// type traits), so a mapped file is used in place. Every value of a block is
// scale · integer (+ minimum); the integer codes are packed as each struct's comment says.

#include <cstdint>

namespace medllm {

constexpr int64_t kQK = 32;     // elements per block of the legacy types (q4_0 … q8_0, iq4_nl)
constexpr int64_t kQK_K = 256;  // elements per super-block of the k-quants and iq4_xs

struct BlockQ8_0 {
  uint16_t scale_f16;
  int8_t quants[kQK];
};
struct BlockQ4_0 {  // element i in the low nibble of byte i, i+16 in the high; code - 8
  uint16_t scale_f16;
  uint8_t quants[kQK / 2];
};
struct BlockQ4_1 {  // as q4_0, value d·code + m
  uint16_t d, m;
  uint8_t qs[kQK / 2];
};
struct BlockQ5_0 {  // q4_0's nibbles plus a fifth bit per element in qh (bit i: element i); code - 16
  uint16_t d;
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};
struct BlockQ5_1 {  // as q5_0, value d·code + m
  uint16_t d, m;
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};
struct BlockIQ4_NL {  // q4_0's nibbles index a fixed non-uniform table of 16 levels
  uint16_t d;
  uint8_t qs[kQK / 2];
};
struct BlockQ2_K {  // 16 groups of 16: 4-bit scale and 4-bit minimum per group, 2-bit codes
  uint8_t scales[kQK_K / 16];
  uint8_t qs[kQK_K / 4];
  uint16_t d, dmin;
};
struct BlockQ3_K {  // 16 groups of 16: 6-bit scales, 2 low bits in qs, the third bit in hmask
  uint8_t hmask[kQK_K / 8];
  uint8_t qs[kQK_K / 4];
  uint8_t scales[12];
  uint16_t d;
};
struct BlockQ4_K {  // 8 groups of 32: 6-bit scale and minimum per group, 4-bit codes
  uint16_t d, dmin;
  uint8_t scales[12];
  uint8_t qs[kQK_K / 2];
};
struct BlockQ5_K {  // as q4_k with a fifth bit per element in qh
  uint16_t d, dmin;
  uint8_t scales[12];
  uint8_t qh[kQK_K / 8];
  uint8_t qs[kQK_K / 2];
};
struct BlockQ6_K {  // 16 groups of 16: 8-bit signed scales, 4 low bits in ql, 2 high in qh; code - 32
  uint8_t ql[kQK_K / 2];
  uint8_t qh[kQK_K / 4];
  int8_t scales[kQK_K / 16];
  uint16_t d;
};
struct BlockIQ4_XS {  // 8 groups of 32 with 6-bit scales (low 4 bits in scales_l, high 2 in scales_h)
  uint16_t d;
  uint16_t scales_h;
  uint8_t scales_l[kQK_K / 64];
  uint8_t qs[kQK_K / 2];
};

// The 16 levels an iq4_nl / iq4_xs code selects (ggml's kvalues_iq4nl).
inline constexpr int8_t kIQ4Levels[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

// Scale and minimum j (0..7) of a q4_k / q5_k super-block: 6 bits each, packed into 12 bytes.
inline void scale_min_k4(int j, const uint8_t* q, int& scale, int& min) {
  if (j < 4) {
    scale = q[j] & 63;
    min = q[j + 4] & 63;
  } else {
    scale = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

// Signed 6-bit scale i (0..15) of a q3_k super-block: low 4 bits in bytes 0..7 (a nibble each),
// high 2 bits in bytes 8..11, stored biased by 32.
inline int q3_k_scale(const uint8_t* packed, int i) {
  const int low = (packed[i % 8] >> (4 * (i / 8))) & 0xF;
  const int high = (packed[8 + i % 4] >> (2 * (i / 4))) & 3;
  return (low | (high << 4)) - 32;
}

// Signed 6-bit scale j (0..7) of an iq4_xs super-block (stored biased by 32).
inline int iq4_xs_scale(const BlockIQ4_XS& block, int j) {
  return (((block.scales_l[j / 2] >> (4 * (j % 2))) & 0xF) | (((block.scales_h >> (2 * j)) & 3) << 4)) - 32;
}

static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20 &&
              sizeof(BlockQ5_0) == 22 && sizeof(BlockQ5_1) == 24 && sizeof(BlockIQ4_NL) == 18);
static_assert(sizeof(BlockQ2_K) == 84 && sizeof(BlockQ3_K) == 110 && sizeof(BlockQ4_K) == 144 &&
              sizeof(BlockQ5_K) == 176 && sizeof(BlockQ6_K) == 210 && sizeof(BlockIQ4_XS) == 136);

}  // namespace medllm
