// Quantization of f32 rows to ggml's block types, byte for byte as ggml_quantize_chunk writes
// them. Without an importance matrix that is its quantize_row_*_ref rounding for every type but
// iq4_nl, whose chunk quantizer searches more scales than its row reference. With one (llama-
// quantize --imatrix) it is ggml's quantize_row_*_impl: every value weighted by its column's
// importance times sqrt(σ² + x²), the scale searches run on those weights, and the k-quants'
// sub-block scales fit by a weighted search of their own instead of rounded against the largest.
//
// This file is compiled with -ffp-contract=off (src/CMakeLists.txt): ggml rounds after every
// multiply and add, and agreeing with it byte for byte means never fusing them. The searches
// (core/block_quantize_fit) therefore spell out each product in ggml's order.

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "core/block_quantize_fit.hpp"
#include "core/block_quants.hpp"
#include "core/dtype.hpp"
#include "core/quant_blocks.hpp"

namespace medllm::block_quants {

namespace {

// How ggml's weighted searches try step counts (make_qkx3_quants's constants).
constexpr MinimumSearch kWeightedSearch{-0.9f, 0.05f, 36, false};

float sum_of_squares(const float* x, int64_t n) {
  float sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += x[i] * x[i];
  return sum;
}

// The weights of n values under an importance matrix: each column's importance times
// sqrt(σ² + x²), σ² the mean square of the row or super-block the type chooses.
void importance_weights(const float* x, const float* importance, float sigma2, int n, float* w) {
  for (int i = 0; i < n; ++i) w[i] = importance[i] * std::sqrt(sigma2 + x[i] * x[i]);
}

float sum(const float* w, int n) {
  float total = 0;
  for (int i = 0; i < n; ++i) total += w[i];
  return total;
}

// q4_1 / q5_1's affine step: the block's minimum and the step reaching its maximum in `levels`
// steps, both stored as f16 in the block; returns the minimum and the inverse step (0 for a
// constant block).
struct AffineStep {
  float min, inverse;
};
template <class Block>
AffineStep store_affine_step(const float* x, float levels, Block& block) {
  float min = FLT_MAX, max = -FLT_MAX;
  for (int64_t i = 0; i < kQK; ++i) {
    min = std::min(min, x[i]);
    max = std::max(max, x[i]);
  }
  const float d = (max - min) / levels;
  block.d = f32_to_f16(d);
  block.m = f32_to_f16(min);
  return {min, d != 0.0f ? 1.0f / d : 0.0f};
}

// σ² of the 32-element types under an importance matrix: the row's mean square (0 without one,
// where it is not used).
float row_sigma2(const float* row, int64_t n, const float* importance) {
  return importance != nullptr ? sum_of_squares(row, n) / static_cast<float>(n) : 0.0f;
}

// q4_0 / q5_0 without an importance matrix: the step is the signed largest value over -half; a
// code is x / step + half, rounded half up and capped at 2·half − 1. Returns the step.
float round_symmetric(const float* x, int half, uint8_t* codes) {
  const float d = signed_absmax(x, kQK) / static_cast<float>(-half);
  const float inverse = d != 0.0f ? 1.0f / d : 0.0f;
  const float bias = static_cast<float>(half) + 0.5f;
  for (int64_t i = 0; i < kQK; ++i) {
    codes[i] = static_cast<uint8_t>(std::min<int>(2 * half - 1, static_cast<int8_t>(x[i] * inverse + bias)));
  }
  return d;
}

// q4_0 / q5_0 under an importance matrix: symmetric codes 0..2·half-1 fit by the weighted search,
// σ² the row's mean square. Returns the block's scale.
float fit_weighted_symmetric(const float* x, const float* importance, float sigma2, int half, uint8_t* codes) {
  float w[kQK];
  int8_t signed_codes[kQK];
  importance_weights(x, importance, sigma2, kQK, w);
  const float d = fit_symmetric(kQK, half, x, w, signed_codes);
  for (int i = 0; i < kQK; ++i) codes[i] = static_cast<uint8_t>(signed_codes[i]);
  return d;
}

// q4_1 / q5_1 under an importance matrix: codes 0..nmax with a minimum, fit by the weighted search.
template <class Block>
void fit_weighted_affine(const float* x, const float* importance, float sigma2, int nmax, Block& block,
                         uint8_t* codes) {
  float w[kQK], minimum;
  importance_weights(x, importance, sigma2, kQK, w);
  block.d = f32_to_f16(fit_with_minimum(kQK, nmax, x, w, codes, minimum, kWeightedSearch));
  block.m = f32_to_f16(-minimum);
}

// One iq4 group of 32 (weighted by x², or under an importance matrix by its weights with σ²
// over the super-block): its scale.
float fit_iq4(const float* x, const float* importance, float sigma2) {
  float w[kQK];
  if (importance != nullptr) {
    importance_weights(x, importance, sigma2, kQK, w);
  } else {
    for (int i = 0; i < kQK; ++i) w[i] = x[i] * x[i];
  }
  return fit_iq4_group(x, w);
}

// ---- Super-block pieces ----

// q4_k / q5_k's 6-bit scales and minimums, 12 bytes: the first four of each whole, the last
// four split into a nibble and two high bits.
void pack_k4_scales(const uint8_t* ls, const uint8_t* lm, uint8_t* packed) {
  std::memset(packed, 0, 12);
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      packed[j] = ls[j];
      packed[j + 4] = lm[j];
    } else {
      packed[j + 4] = static_cast<uint8_t>((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
      packed[j - 4] |= static_cast<uint8_t>((ls[j] >> 4) << 6);
      packed[j] |= static_cast<uint8_t>((lm[j] >> 4) << 6);
    }
  }
}

// q4_k / q5_k without an importance matrix: each group of 32 fit with a minimum, weighted by
// the group's RMS plus each value's magnitude; scales and minimums rounded against the largest.
void fit_k4_scales(const float* x, int nmax, const MinimumSearch& search, uint8_t* codes, uint8_t* packed,
                   uint16_t& d_f16, uint16_t& dmin_f16) {
  float scales[8], mins[8], w[32], max_scale = 0, max_min = 0;
  for (int j = 0; j < 8; ++j) {
    const float rms = std::sqrt(sum_of_squares(x + 32 * j, 32) / 32);
    for (int i = 0; i < 32; ++i) w[i] = rms + std::fabs(x[32 * j + i]);
    scales[j] = fit_with_minimum(32, nmax, x + 32 * j, w, codes + 32 * j, mins[j], search);
    max_scale = std::max(max_scale, scales[j]);
    max_min = std::max(max_min, mins[j]);
  }
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  uint8_t ls[8], lm[8];
  for (int j = 0; j < 8; ++j) {
    ls[j] = std::min<uint8_t>(63, static_cast<uint8_t>(nearest_int(inv_scale * scales[j])));
    lm[j] = std::min<uint8_t>(63, static_cast<uint8_t>(nearest_int(inv_min * mins[j])));
  }
  pack_k4_scales(ls, lm, packed);
  d_f16 = f32_to_f16(max_scale / 63.f);
  dmin_f16 = f32_to_f16(max_min / 63.f);
}

// q4_k / q5_k under an importance matrix: the groups fit by the weighted search, then their
// scales and minimums fit as 6-bit codes weighted by each group's total weight.
void fit_k4_scales_weighted(const float* x, const float* importance, int nmax, uint8_t* codes, uint8_t* packed,
                            uint16_t& d_f16, uint16_t& dmin_f16) {
  const float sigma2 = 2 * sum_of_squares(x, kQK_K) / kQK_K;
  float scales[8], mins[8], group_weight[8], w[32];
  for (int j = 0; j < 8; ++j) {
    importance_weights(x + 32 * j, importance + 32 * j, sigma2, 32, w);
    group_weight[j] = sum(w, 32);
    scales[j] = fit_with_minimum(32, nmax, x + 32 * j, w, codes + 32 * j, mins[j], kWeightedSearch);
  }
  uint8_t ls[8], lm[8];
  const float d = fit_positive(8, 63, scales, group_weight, ls);
  const float dmin = fit_positive(8, 63, mins, group_weight, lm);
  if (nmax == 31) {  // ggml's q5_k (not its q4_k) clamps them, which matters only for a wrapped negative code
    for (int j = 0; j < 8; ++j) {
      ls[j] = std::min<uint8_t>(63, ls[j]);
      lm[j] = std::min<uint8_t>(63, lm[j]);
    }
  }
  pack_k4_scales(ls, lm, packed);
  d_f16 = f32_to_f16(d);
  dmin_f16 = f32_to_f16(dmin);
}

// q4_k / q5_k: every value re-coded against its group's stored (rounded) scale and minimum.
void recode_k4(const float* x, int nmax, const uint8_t* packed, uint16_t d_f16, uint16_t dmin_f16, uint8_t* codes) {
  for (int j = 0; j < 8; ++j) {
    int sc, m;
    scale_min_k4(j, packed, sc, m);
    const float d = f16_to_f32(d_f16) * static_cast<float>(sc);
    if (d == 0.0f) continue;
    const float dm = f16_to_f32(dmin_f16) * static_cast<float>(m);
    for (int i = 0; i < 32; ++i)
      codes[32 * j + i] = static_cast<uint8_t>(std::clamp(nearest_int((x[32 * j + i] + dm) / d), 0, nmax));
  }
}

// q4_k / q5_k: codes, 12 scale bytes, d and dmin of one super-block.
void fit_k4_super_block(const float* x, const float* importance, int nmax, const MinimumSearch& search, uint8_t* packed,
                        uint16_t& d_f16, uint16_t& dmin_f16, uint8_t* codes) {
  if (importance != nullptr) {
    fit_k4_scales_weighted(x, importance, nmax, codes, packed, d_f16, dmin_f16);
  } else {
    fit_k4_scales(x, nmax, search, codes, packed, d_f16, dmin_f16);
  }
  recode_k4(x, nmax, packed, d_f16, dmin_f16, codes);
}

// q2_k's scales (low nibbles) and minimums (high nibbles) without an importance matrix: each
// group of 16 fit with a minimum weighted by magnitude, both rounded against the largest over 15.
void fit_q2_k_scales(const float* x, BlockQ2_K& block, uint8_t* codes) {
  float scales[16], mins[16], w[16], max_scale = 0, max_min = 0;
  for (int j = 0; j < 16; ++j) {
    for (int l = 0; l < 16; ++l) w[l] = std::fabs(x[16 * j + l]);
    scales[j] = fit_with_minimum(16, 3, x + 16 * j, w, codes + 16 * j, mins[j], {-0.5f, 0.1f, 15, true});
    max_scale = std::max(max_scale, scales[j]);
    max_min = std::max(max_min, mins[j]);
  }
  for (int j = 0; j < 16; ++j) {
    block.scales[j] = max_scale > 0 ? static_cast<uint8_t>(nearest_int(15.f / max_scale * scales[j])) : 0;
  }
  block.d = f32_to_f16(max_scale > 0 ? max_scale / 15.f : 0.f);
  if (max_min > 0) {
    for (int j = 0; j < 16; ++j) block.scales[j] |= static_cast<uint8_t>(nearest_int(15.f / max_min * mins[j]) << 4);
  }
  block.dmin = f32_to_f16(max_min > 0 ? max_min / 15.f : 0.f);
}

// q2_k's scales and minimums under an importance matrix: the groups fit by the weighted search,
// their scales and minimums as 4-bit codes weighted by each group's total weight.
void fit_q2_k_scales_weighted(const float* x, const float* importance, BlockQ2_K& block, uint8_t* codes) {
  const float sigma2 = sum_of_squares(x, kQK_K) / kQK_K;
  float scales[16], mins[16], group_weight[16], w[16];
  for (int j = 0; j < 16; ++j) {
    importance_weights(x + 16 * j, importance + 16 * j, sigma2, 16, w);
    group_weight[j] = sum(w, 16);
    scales[j] = fit_with_minimum(16, 3, x + 16 * j, w, codes + 16 * j, mins[j], kWeightedSearch);
  }
  uint8_t ls[16], lm[16];
  block.d = f32_to_f16(fit_positive(16, 15, scales, group_weight, ls));
  block.dmin = f32_to_f16(fit_positive(16, 15, mins, group_weight, lm));
  for (int j = 0; j < 16; ++j) block.scales[j] = static_cast<uint8_t>(ls[j] | (lm[j] << 4));
}

// q3_k's signed 6-bit group scales, stored biased by 32 (q3_k_scale's layout): the low nibbles
// in bytes 0..7, the high two bits in bytes 8..11.
void pack_q3_k_scales(const int* biased, uint8_t* packed) {
  std::memset(packed, 0, 12);
  for (int j = 0; j < 16; ++j) {
    packed[j % 8] |= static_cast<uint8_t>((biased[j] & 0xF) << (4 * (j / 8)));
    packed[j % 4 + 8] |= static_cast<uint8_t>((biased[j] >> 4) << (2 * (j / 4)));
  }
}

// q3_k without an importance matrix: groups fit by sweeps, scales rounded against the largest.
void fit_q3_k_scales(const float* x, BlockQ3_K& block, int8_t* codes) {
  float scales[16], max_scale = 0, amax = 0;
  for (int j = 0; j < 16; ++j) {
    scales[j] = fit_symmetric_by_sweeps(16, 4, x + 16 * j, codes + 16 * j);
    if (std::fabs(scales[j]) > amax) {
      amax = std::fabs(scales[j]);
      max_scale = scales[j];
    }
  }
  std::memset(block.scales, 0, sizeof block.scales);
  if (max_scale == 0.0f) {
    block.d = f32_to_f16(0.f);
    return;
  }
  const float iscale = -32.f / max_scale;
  int biased[16];
  for (int j = 0; j < 16; ++j) {
    biased[j] = std::clamp(static_cast<int>(static_cast<int8_t>(nearest_int(iscale * scales[j]))), -32, 31) + 32;
  }
  pack_q3_k_scales(biased, block.scales);
  block.d = f32_to_f16(1 / iscale);
}

// q3_k under an importance matrix: groups and then their scales fit by the weighted search.
void fit_q3_k_scales_weighted(const float* x, const float* importance, BlockQ3_K& block, int8_t* codes) {
  const float sigma2 = 2 * sum_of_squares(x, kQK_K) / kQK_K;
  float scales[16], group_weight[16], w[16];
  for (int j = 0; j < 16; ++j) {
    importance_weights(x + 16 * j, importance + 16 * j, sigma2, 16, w);
    group_weight[j] = sum(w, 16);
    scales[j] = fit_symmetric(16, 4, x + 16 * j, w, codes + 16 * j);
  }
  int8_t stored[16];
  const float d = fit_symmetric(16, 32, scales, group_weight, stored);
  int biased[16];
  for (int j = 0; j < 16; ++j) biased[j] = stored[j];
  pack_q3_k_scales(biased, block.scales);
  block.d = f32_to_f16(d);
}

}  // namespace

// ---- The 32-element types ----

void q8_0_from_f32(const float* src, void* dst, int64_t n, const float*) {
  auto* blocks = static_cast<BlockQ8_0*>(dst);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float* x = src + b * kQK;
    float absmax = 0.0f;
    for (int64_t i = 0; i < kQK; ++i) absmax = std::max(absmax, std::fabs(x[i]));
    const float d = absmax / 127.0f;
    const float inverse = d != 0.0f ? 1.0f / d : 0.0f;
    blocks[b].scale_f16 = f32_to_f16(d);
    for (int64_t i = 0; i < kQK; ++i) blocks[b].quants[i] = static_cast<int8_t>(std::lround(x[i] * inverse));
  }
}

void q4_0_from_f32(const float* src, void* dst, int64_t n, const float* importance) {
  auto* blocks = static_cast<BlockQ4_0*>(dst);
  const float sigma2 = row_sigma2(src, n, importance);
  uint8_t codes[kQK];
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float* x = src + b * kQK;
    const float d = importance != nullptr ? fit_weighted_symmetric(x, importance + b * kQK, sigma2, 8, codes)
                                          : round_symmetric(x, 8, codes);
    blocks[b].scale_f16 = f32_to_f16(d);
    for (int64_t i = 0; i < kQK / 2; ++i) blocks[b].quants[i] = static_cast<uint8_t>(codes[i] | (codes[i + 16] << 4));
  }
}

void q4_1_from_f32(const float* src, void* dst, int64_t n, const float* importance) {
  auto* blocks = static_cast<BlockQ4_1*>(dst);
  const float sigma2 = row_sigma2(src, n, importance);
  uint8_t codes[kQK];
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float* x = src + b * kQK;
    if (importance != nullptr) {
      fit_weighted_affine(x, importance + b * kQK, sigma2, 15, blocks[b], codes);
    } else {
      const AffineStep step = store_affine_step(x, 15.0f, blocks[b]);
      for (int64_t i = 0; i < kQK; ++i)
        codes[i] =
            static_cast<uint8_t>(std::min<int>(15, static_cast<int8_t>((x[i] - step.min) * step.inverse + 0.5f)));
    }
    for (int64_t i = 0; i < kQK / 2; ++i) blocks[b].qs[i] = static_cast<uint8_t>(codes[i] | (codes[i + 16] << 4));
  }
}

void q5_0_from_f32(const float* src, void* dst, int64_t n, const float* importance) {
  auto* blocks = static_cast<BlockQ5_0*>(dst);
  const float sigma2 = row_sigma2(src, n, importance);
  uint8_t codes[kQK];
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float* x = src + b * kQK;
    const float d = importance != nullptr ? fit_weighted_symmetric(x, importance + b * kQK, sigma2, 16, codes)
                                          : round_symmetric(x, 16, codes);
    blocks[b].d = f32_to_f16(d);
    pack_q5(codes, blocks[b].qh, blocks[b].qs);
  }
}

void q5_1_from_f32(const float* src, void* dst, int64_t n, const float* importance) {
  auto* blocks = static_cast<BlockQ5_1*>(dst);
  const float sigma2 = row_sigma2(src, n, importance);
  uint8_t codes[kQK];
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float* x = src + b * kQK;
    if (importance != nullptr) {
      fit_weighted_affine(x, importance + b * kQK, sigma2, 31, blocks[b], codes);
    } else {
      const auto [min, inverse] = store_affine_step(x, 31.0f, blocks[b]);
      for (int64_t i = 0; i < kQK; ++i) codes[i] = static_cast<uint8_t>((x[i] - min) * inverse + 0.5f);
    }
    pack_q5(codes, blocks[b].qh, blocks[b].qs);
  }
}

void iq4_nl_from_f32(const float* src, void* dst, int64_t n, const float* importance) {
  auto* blocks = static_cast<BlockIQ4_NL*>(dst);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float* x = src + b * kQK;
    const float sigma2 = sum_of_squares(x, kQK) * (2.f / kQK);
    const float d = fit_iq4(x, importance != nullptr ? importance + b * kQK : nullptr, sigma2);
    blocks[b].d = f32_to_f16(d);
    pack_iq4_group(x, d, blocks[b].qs);
  }
}

// ---- The 256-element super-block types ----

void q2_k_from_f32(const float* src, void* dst, int64_t n, const float* importance) {
  auto* blocks = static_cast<BlockQ2_K*>(dst);
  uint8_t codes[kQK_K];
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const float* x = src + b * kQK_K;
    BlockQ2_K& block = blocks[b];
    if (importance != nullptr) {
      fit_q2_k_scales_weighted(x, importance + b * kQK_K, block, codes);
    } else {
      fit_q2_k_scales(x, block, codes);
    }
    // Every value re-coded against its group's stored scale and minimum.
    for (int j = 0; j < 16; ++j) {
      const float d = f16_to_f32(block.d) * static_cast<float>(block.scales[j] & 0xF);
      if (d == 0.0f) continue;
      const float dm = f16_to_f32(block.dmin) * static_cast<float>(block.scales[j] >> 4);
      for (int i = 0; i < 16; ++i)
        codes[16 * j + i] = static_cast<uint8_t>(std::clamp(nearest_int((x[16 * j + i] + dm) / d), 0, 3));
    }
    pack_2bit(codes, block.qs);
  }
}

void q3_k_from_f32(const float* src, void* dst, int64_t n, const float* importance) {
  auto* blocks = static_cast<BlockQ3_K*>(dst);
  int8_t codes[kQK_K];
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const float* x = src + b * kQK_K;
    BlockQ3_K& block = blocks[b];
    if (importance != nullptr) {
      fit_q3_k_scales_weighted(x, importance + b * kQK_K, block, codes);
    } else {
      fit_q3_k_scales(x, block, codes);
    }
    for (int j = 0; j < 16; ++j) {
      const float d = f16_to_f32(block.d) * static_cast<float>(q3_k_scale(block.scales, j));
      if (d == 0.0f) continue;
      for (int i = 0; i < 16; ++i)
        codes[16 * j + i] = static_cast<int8_t>(std::clamp(nearest_int(x[16 * j + i] / d), -4, 3) + 4);
    }
    // The third bit of code j goes to bit j / 32 of hmask byte j % 32.
    std::memset(block.hmask, 0, sizeof block.hmask);
    uint8_t low[kQK_K];
    for (int j = 0; j < kQK_K; ++j) {
      if (codes[j] > 3) block.hmask[j % 32] |= static_cast<uint8_t>(1 << (j / 32));
      low[j] = static_cast<uint8_t>(codes[j] & 3);
    }
    pack_2bit(low, block.qs);
  }
}

void q4_k_from_f32(const float* src, void* dst, int64_t n, const float* importance) {
  auto* blocks = static_cast<BlockQ4_K*>(dst);
  uint8_t codes[kQK_K];
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    BlockQ4_K& block = blocks[b];
    fit_k4_super_block(src + b * kQK_K, importance != nullptr ? importance + b * kQK_K : nullptr, 15,
                       {-1.f, 0.1f, 20, false}, block.scales, block.d, block.dmin, codes);
    // Byte l of each 32-byte run: code l of its 64 in the low nibble, code l + 32 in the high.
    for (int j = 0; j < kQK_K; j += 64) {
      for (int l = 0; l < 32; ++l) block.qs[j / 2 + l] = static_cast<uint8_t>(codes[j + l] | (codes[j + l + 32] << 4));
    }
  }
}

void q5_k_from_f32(const float* src, void* dst, int64_t n, const float* importance) {
  auto* blocks = static_cast<BlockQ5_K*>(dst);
  uint8_t codes[kQK_K];
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    BlockQ5_K& block = blocks[b];
    fit_k4_super_block(src + b * kQK_K, importance != nullptr ? importance + b * kQK_K : nullptr, 31,
                       {-0.5f, 0.1f, 15, false}, block.scales, block.d, block.dmin, codes);
    // q4_k's nibbles, with the fifth bit of codes l and l + 32 of run r in bits 2r and 2r+1 of qh[l].
    std::memset(block.qh, 0, sizeof block.qh);
    for (int r = 0; r < 4; ++r) {
      for (int l = 0; l < 32; ++l) {
        const int low = codes[64 * r + l], high = codes[64 * r + l + 32];
        block.qs[32 * r + l] = static_cast<uint8_t>((low & 0xF) | ((high & 0xF) << 4));
        block.qh[l] |= static_cast<uint8_t>(((low >> 4) << (2 * r)) | ((high >> 4) << (2 * r + 1)));
      }
    }
  }
}

void q6_k_from_f32(const float* src, void* dst, int64_t n, const float* importance) {
  auto* blocks = static_cast<BlockQ6_K*>(dst);
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const float* x = src + b * kQK_K;
    BlockQ6_K& block = blocks[b];
    int8_t codes[kQK_K];
    float scales[16], w[16], max_scale = 0, max_abs_scale = 0;
    for (int j = 0; j < 16; ++j) {
      // ggml weights q6_k's groups by the importance itself, not by the importance-scaled sqrt(σ² + x²).
      for (int l = 0; l < 16; ++l) {
        w[l] = importance != nullptr ? importance[b * kQK_K + 16 * j + l] : x[16 * j + l] * x[16 * j + l];
      }
      scales[j] = fit_symmetric(16, 32, x + 16 * j, w, codes + 16 * j);
      if (std::fabs(scales[j]) > max_abs_scale) {
        max_abs_scale = std::fabs(scales[j]);
        max_scale = scales[j];
      }
    }
    std::memset(&block, 0, sizeof block);
    if (max_abs_scale < kGroupMaxEps) continue;
    const float iscale = -128.f / max_scale;
    block.d = f32_to_f16(1 / iscale);
    for (int j = 0; j < 16; ++j) block.scales[j] = static_cast<int8_t>(std::min(127, nearest_int(iscale * scales[j])));
    for (int j = 0; j < 16; ++j) {
      const float d = f16_to_f32(block.d) * static_cast<float>(block.scales[j]);
      if (d == 0.0f) continue;
      for (int i = 0; i < 16; ++i)
        codes[16 * j + i] = static_cast<int8_t>(std::clamp(nearest_int(x[16 * j + i] / d), -32, 31) + 32);
    }
    // Per 128 codes: low nibbles of l and l+64 share ql[l], of l+32 and l+96 ql[l+32]; the two
    // high bits of l, l+32, l+64, l+96 fill qh[l] from the bottom.
    for (int r = 0; r < 2; ++r) {
      const int8_t* c = codes + 128 * r;
      for (int l = 0; l < 32; ++l) {
        block.ql[64 * r + l] = static_cast<uint8_t>((c[l] & 0xF) | ((c[l + 64] & 0xF) << 4));
        block.ql[64 * r + l + 32] = static_cast<uint8_t>((c[l + 32] & 0xF) | ((c[l + 96] & 0xF) << 4));
        block.qh[32 * r + l] = static_cast<uint8_t>((c[l] >> 4) | ((c[l + 32] >> 4) << 2) | ((c[l + 64] >> 4) << 4) |
                                                    ((c[l + 96] >> 4) << 6));
      }
    }
  }
}

void iq4_xs_from_f32(const float* src, void* dst, int64_t n, const float* importance) {
  auto* blocks = static_cast<BlockIQ4_XS*>(dst);
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const float* x = src + b * kQK_K;
    BlockIQ4_XS& block = blocks[b];
    const float sigma2 = sum_of_squares(x, kQK_K) * (2.f / kQK_K);
    float scales[8], max_scale = 0, amax = 0;
    for (int j = 0; j < 8; ++j) {
      scales[j] = fit_iq4(x + 32 * j, importance != nullptr ? importance + b * kQK_K + 32 * j : nullptr, sigma2);
      if (std::fabs(scales[j]) > amax) {
        amax = std::fabs(scales[j]);
        max_scale = scales[j];
      }
    }
    // Signed 6-bit group scales against the largest over -32 (iq4_xs_scale's layout); each group
    // is then coded at its stored scale.
    const float d = -max_scale / 32;
    const float id = d != 0.0f ? 1 / d : 0.f;
    block.d = f32_to_f16(d);
    block.scales_h = 0;
    std::memset(block.scales_l, 0, sizeof block.scales_l);
    for (int j = 0; j < 8; ++j) {
      const int l = std::clamp(nearest_int(id * scales[j]), -32, 31);
      pack_iq4_group(x + 32 * j, d * static_cast<float>(l), block.qs + 16 * j);
      block.scales_l[j / 2] |= static_cast<uint8_t>(((l + 32) & 0xF) << (4 * (j % 2)));
      block.scales_h |= static_cast<uint16_t>(((l + 32) >> 4) << (2 * j));
    }
  }
}

}  // namespace medllm::block_quants
