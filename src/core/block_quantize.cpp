// Quantization of f32 rows to ggml's block types, byte for byte as ggml writes them without an
// importance matrix (ggml_quantize_chunk with no imatrix: its quantize_row_*_ref rounding for
// every type but iq4_nl, whose chunk quantizer searches more scales than its row reference).
//
// This file is compiled with -ffp-contract=off (src/CMakeLists.txt): ggml rounds after every
// multiply and add, and agreeing with it byte for byte means never fusing them. The scale
// searches below therefore spell out each product in ggml's order, (w·x)·l rather than w·(x·l).

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "core/block_quants.hpp"
#include "core/dtype.hpp"
#include "core/quant_blocks.hpp"

namespace medllm::block_quants {

namespace {

// Below this largest magnitude a group counts as all zero (ggml's GROUP_MAX_EPS).
constexpr float kGroupMaxEps = 1e-15f;

// Round to nearest, ties to even, for |v| < 2^22: adding 1.5·2^23 leaves the rounded integer in
// the low mantissa bits. It is ggml's rounding, kept as such so that out-of-range and NaN
// inputs give ggml's codes too.
int nearest_int(float v) {
  const float shifted = v + 12582912.0f;
  int32_t bits;
  std::memcpy(&bits, &shifted, sizeof bits);
  return (bits & 0x007fffff) - 0x00400000;
}

// The value of largest magnitude among n, sign kept (the first such on ties), and its magnitude.
float signed_absmax(const float* x, int64_t n, float& amax) {
  float max = 0.0f;
  amax = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    if (std::fabs(x[i]) > amax) {
      amax = std::fabs(x[i]);
      max = x[i];
    }
  }
  return max;
}

float signed_absmax(const float* x, int64_t n) {
  float amax;
  return signed_absmax(x, n, amax);
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

// Packs 32 five-bit codes into q5_0 / q5_1's nibbles and high-bit word.
void pack_q5(const uint8_t* codes, uint8_t* qh_bytes, uint8_t* qs) {
  uint32_t qh = 0;
  for (int i = 0; i < kQK / 2; ++i) {
    qs[i] = static_cast<uint8_t>((codes[i] & 0x0F) | ((codes[i + kQK / 2] & 0x0F) << 4));
    qh |= static_cast<uint32_t>((codes[i] & 0x10u) >> 4) << i;
    qh |= static_cast<uint32_t>((codes[i + kQK / 2] & 0x10u) >> 4) << (i + kQK / 2);
  }
  std::memcpy(qh_bytes, &qh, sizeof qh);
}

// ---- Scale searches of the super-block types ----

// Symmetric codes -nmax..nmax-1 (stored + nmax) for n values and the scale minimising the
// weighted squared error: the least-squares scale of the codes rounded at -nmax/max, then of
// the codes at 18 nearby step counts, keeping the best (ggml's make_qx_quants, rmse type 1).
float fit_symmetric(int n, int nmax, const float* x, const float* w, int8_t* codes) {
  float amax;
  const float max = signed_absmax(x, n, amax);
  if (amax < kGroupMaxEps) {
    std::fill(codes, codes + n, int8_t{0});
    return 0.0f;
  }
  const auto code_at = [&](float iscale, int i) { return std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1); };
  const auto sums = [&](float iscale, float& sumlx, float& suml2) {
    sumlx = suml2 = 0.0f;
    for (int i = 0; i < n; ++i) {
      const float l = static_cast<float>(code_at(iscale, i));
      sumlx += w[i] * x[i] * l;
      suml2 += w[i] * l * l;
    }
  };
  const auto take = [&](float iscale) {
    for (int i = 0; i < n; ++i) codes[i] = static_cast<int8_t>(nmax + code_at(iscale, i));
  };
  float sumlx, suml2;
  const float first = static_cast<float>(-nmax) / max;
  sums(first, sumlx, suml2);
  take(first);
  float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int step = -9; step <= 9; ++step) {
    if (step == 0) continue;
    const float iscale = -(static_cast<float>(nmax) + 0.1f * static_cast<float>(step)) / max;
    sums(iscale, sumlx, suml2);
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      take(iscale);
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

// q3_k's symmetric codes -nmax..nmax-1 (stored + nmax) for n values weighted by x²: rounded at
// -nmax/max, then improved one code at a time while that lowers the error, up to 5 sweeps
// (ggml's make_q3_quants with its search).
float fit_symmetric_by_sweeps(int n, int nmax, const float* x, int8_t* codes) {
  float amax;
  const float max = signed_absmax(x, n, amax);
  if (amax < kGroupMaxEps) {
    std::fill(codes, codes + n, int8_t{0});
    return 0.0f;
  }
  const float iscale = static_cast<float>(-nmax) / max;
  float sumlx = 0.0f, suml2 = 0.0f;
  for (int i = 0; i < n; ++i) {
    const int l = std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1);
    codes[i] = static_cast<int8_t>(l);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * static_cast<float>(l);
    suml2 += w * static_cast<float>(l) * static_cast<float>(l);
  }
  for (int sweep = 0; sweep < 5; ++sweep) {
    int changed = 0;
    for (int i = 0; i < n; ++i) {
      const float w = x[i] * x[i], old = static_cast<float>(codes[i]);
      float slx = sumlx - w * x[i] * old;
      if (!(slx > 0)) continue;
      float sl2 = suml2 - w * old * old;
      const int l = std::clamp(nearest_int(x[i] * sl2 / slx), -nmax, nmax - 1);
      if (l == codes[i]) continue;
      slx += w * x[i] * static_cast<float>(l);
      sl2 += w * static_cast<float>(l) * static_cast<float>(l);
      if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
        codes[i] = static_cast<int8_t>(l);
        sumlx = slx;
        suml2 = sl2;
        ++changed;
      }
    }
    if (changed == 0) break;
  }
  for (int i = 0; i < n; ++i) codes[i] = static_cast<int8_t>(codes[i] + nmax);
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// How fit_with_minimum searches: step counts nmax + rmin + rdelta·k for k = 0..steps, and the
// error it minimises (absolute or squared).
struct MinimumSearch {
  float rmin, rdelta;
  int steps;
  bool absolute_error;
};

// Codes 0..nmax for n values as scale·code − minimum (minimum ≥ 0 returned through `minimum`),
// choosing the pair with the least weighted error among the plain min/max fit and the
// least-squares fits at the searched step counts (ggml's make_qkx2_quants).
float fit_with_minimum(int n, int nmax, const float* x, const float* w, uint8_t* codes, float& minimum,
                       const MinimumSearch& search) {
  float min = x[0], max = x[0], sum_w = w[0], sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    min = std::min(min, x[i]);
    max = std::max(max, x[i]);
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    std::fill(codes, codes + n, uint8_t{0});
    minimum = -min;
    return 0.0f;
  }
  const auto code_at = [&](float iscale, int i) { return std::clamp(nearest_int(iscale * (x[i] - min)), 0, nmax); };
  const auto error_of = [&](float scale, float offset, const uint8_t* l) {
    float error = 0.0f;
    for (int i = 0; i < n; ++i) {
      const float diff = scale * static_cast<float>(l[i]) + offset - x[i];
      error += w[i] * (search.absolute_error ? std::fabs(diff) : diff * diff);
    }
    return error;
  };
  float iscale = static_cast<float>(nmax) / (max - min), scale = 1 / iscale;
  for (int i = 0; i < n; ++i) codes[i] = static_cast<uint8_t>(code_at(iscale, i));
  float best_error = error_of(scale, min, codes);
  uint8_t trial[kQK];
  for (int step = 0; step <= search.steps; ++step) {
    iscale = (search.rmin + search.rdelta * static_cast<float>(step) + static_cast<float>(nmax)) / (max - min);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      const int l = code_at(iscale, i);
      trial[i] = static_cast<uint8_t>(l);
      const float lf = static_cast<float>(l);
      sum_l += w[i] * lf;
      sum_l2 += w[i] * lf * lf;
      sum_xl += w[i] * lf * x[i];
    }
    const float det = sum_w * sum_l2 - sum_l * sum_l;
    if (det <= 0) continue;
    float this_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
    float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / det;
    if (this_min > 0) {
      this_min = 0;
      this_scale = sum_xl / sum_l2;
    }
    const float error = error_of(this_scale, this_min, trial);
    if (error < best_error) {
      std::copy(trial, trial + n, codes);
      best_error = error;
      scale = this_scale;
      min = this_min;
    }
  }
  minimum = -min;
  return scale;
}

// The weights q4_k / q5_k fit a group of 32 with: the group's RMS plus each value's magnitude.
void rms_plus_magnitude(const float* x, float* w) {
  float sum_x2 = 0;
  for (int i = 0; i < 32; ++i) sum_x2 += x[i] * x[i];
  const float rms = std::sqrt(sum_x2 / 32);
  for (int i = 0; i < 32; ++i) w[i] = rms + std::fabs(x[i]);
}

// q4_k / q5_k: 8 groups of 32 fit with a minimum, their scales and minimums stored in 6 bits
// against the super-block's largest of each, then every value re-coded against the stored
// (rounded) scale and minimum. Fills the 12 scale bytes, d, dmin and the 256 codes.
void fit_k4_super_block(const float* x, int nmax, const MinimumSearch& search, uint8_t* packed, uint16_t& d_f16,
                        uint16_t& dmin_f16, uint8_t* codes) {
  float scales[8], mins[8], w[32], max_scale = 0, max_min = 0;
  for (int j = 0; j < 8; ++j) {
    rms_plus_magnitude(x + 32 * j, w);
    scales[j] = fit_with_minimum(32, nmax, x + 32 * j, w, codes + 32 * j, mins[j], search);
    max_scale = std::max(max_scale, scales[j]);
    max_min = std::max(max_min, mins[j]);
  }
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  std::memset(packed, 0, 12);
  for (int j = 0; j < 8; ++j) {
    const auto ls = std::min<uint8_t>(63, static_cast<uint8_t>(nearest_int(inv_scale * scales[j])));
    const auto lm = std::min<uint8_t>(63, static_cast<uint8_t>(nearest_int(inv_min * mins[j])));
    if (j < 4) {
      packed[j] = ls;
      packed[j + 4] = lm;
    } else {
      packed[j + 4] = static_cast<uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
      packed[j - 4] |= static_cast<uint8_t>((ls >> 4) << 6);
      packed[j] |= static_cast<uint8_t>((lm >> 4) << 6);
    }
  }
  d_f16 = f32_to_f16(max_scale / 63.f);
  dmin_f16 = f32_to_f16(max_min / 63.f);
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

// Packs 256 two-bit codes as q2_k / q3_k store them: byte l of each 32-byte run holds codes
// l, l+32, l+64, l+96 of its 128.
void pack_2bit(const uint8_t* codes, uint8_t* qs) {
  for (int j = 0; j < kQK_K; j += 128) {
    for (int l = 0; l < 32; ++l) {
      qs[j / 4 + l] = static_cast<uint8_t>(codes[j + l] | (codes[j + l + 32] << 2) | (codes[j + l + 64] << 4) |
                                           (codes[j + l + 96] << 6));
    }
  }
}

// ---- iq4: codes index the 16 non-uniform levels ----

// The level nearest to v (the lower one on ties).
int nearest_level(float v) {
  const int8_t* levels = kIQ4Levels;
  if (v <= levels[0]) return 0;
  if (v >= levels[15]) return 15;
  int lo = 0, hi = 15;
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    (v < levels[mid] ? hi : lo) = mid;
  }
  return v - levels[hi - 1] < levels[hi] - v ? hi - 1 : hi;
}

// The scale of one group of 32 weighted by x²: the least-squares scale of the codes at
// -max/-127, then of those at 15 nearby step counts, keeping the best. 0 for an all-zero group.
float fit_iq4_group(const float* x) {
  float amax;
  const float max = signed_absmax(x, 32, amax);
  if (amax < kGroupMaxEps) return 0.0f;
  const auto sums = [&](float id, float& sumqx, float& sumq2) {
    sumqx = sumq2 = 0;
    for (int j = 0; j < 32; ++j) {
      const float q = kIQ4Levels[nearest_level(id * x[j])], w = x[j] * x[j];
      sumqx += w * q * x[j];
      sumq2 += w * q * q;
    }
  };
  float sumqx, sumq2;
  const float start = -max / kIQ4Levels[0];
  sums(1 / start, sumqx, sumq2);
  float d = sumq2 > 0 ? sumqx / sumq2 : 0.f, best = d * sumqx;
  for (int step = -7; step <= 7; ++step) {
    sums(static_cast<float>(step + kIQ4Levels[0]) / max, sumqx, sumq2);
    if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
      d = sumqx / sumq2;
      best = d * sumqx;
    }
  }
  return d;
}

// Codes of 32 values at scale d, packed as q4_0's nibbles.
void pack_iq4_group(const float* x, float d, uint8_t* qs) {
  const float id = d != 0.0f ? 1 / d : 0.0f;
  for (int j = 0; j < 16; ++j) {
    qs[j] = static_cast<uint8_t>(nearest_level(id * x[j]) | (nearest_level(id * x[j + 16]) << 4));
  }
}

}  // namespace

// ---- The 32-element types (ggml's quantize_row_*_ref) ----

void q8_0_from_f32(const float* src, void* dst, int64_t n) {
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

void q4_0_from_f32(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ4_0*>(dst);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float* x = src + b * kQK;
    const float d = signed_absmax(x, kQK) / -8.0f;
    const float inverse = d != 0.0f ? 1.0f / d : 0.0f;
    blocks[b].scale_f16 = f32_to_f16(d);
    auto code = [&](float v) {
      return static_cast<uint8_t>(std::min<int>(15, static_cast<int8_t>(v * inverse + 8.5f)));
    };
    for (int64_t i = 0; i < kQK / 2; ++i) {
      blocks[b].quants[i] = static_cast<uint8_t>(code(x[i]) | (code(x[i + kQK / 2]) << 4));
    }
  }
}

void q4_1_from_f32(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ4_1*>(dst);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float* x = src + b * kQK;
    const AffineStep step = store_affine_step(x, 15.0f, blocks[b]);
    auto code = [&](float v) {
      return static_cast<uint8_t>(std::min<int>(15, static_cast<int8_t>((v - step.min) * step.inverse + 0.5f)));
    };
    for (int64_t i = 0; i < kQK / 2; ++i) {
      blocks[b].qs[i] = static_cast<uint8_t>(code(x[i]) | (code(x[i + kQK / 2]) << 4));
    }
  }
}

void q5_0_from_f32(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ5_0*>(dst);
  uint8_t codes[kQK];
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float* x = src + b * kQK;
    const float d = signed_absmax(x, kQK) / -16.0f;
    const float inverse = d != 0.0f ? 1.0f / d : 0.0f;
    blocks[b].d = f32_to_f16(d);
    for (int64_t i = 0; i < kQK; ++i)
      codes[i] = static_cast<uint8_t>(std::min<int>(31, static_cast<int8_t>(x[i] * inverse + 16.5f)));
    pack_q5(codes, blocks[b].qh, blocks[b].qs);
  }
}

void q5_1_from_f32(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ5_1*>(dst);
  uint8_t codes[kQK];
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float* x = src + b * kQK;
    const auto [min, inverse] = store_affine_step(x, 31.0f, blocks[b]);
    for (int64_t i = 0; i < kQK; ++i) codes[i] = static_cast<uint8_t>((x[i] - min) * inverse + 0.5f);
    pack_q5(codes, blocks[b].qh, blocks[b].qs);
  }
}

void iq4_nl_from_f32(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockIQ4_NL*>(dst);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float* x = src + b * kQK;
    const float d = fit_iq4_group(x);
    blocks[b].d = f32_to_f16(d);
    pack_iq4_group(x, d, blocks[b].qs);
  }
}

// ---- The 256-element super-block types ----

void q2_k_from_f32(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ2_K*>(dst);
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const float* x = src + b * kQK_K;
    BlockQ2_K& block = blocks[b];
    uint8_t codes[kQK_K];
    float scales[16], mins[16], w[16], max_scale = 0, max_min = 0;
    for (int j = 0; j < 16; ++j) {
      for (int l = 0; l < 16; ++l) w[l] = std::fabs(x[16 * j + l]);
      scales[j] = fit_with_minimum(16, 3, x + 16 * j, w, codes + 16 * j, mins[j], {-0.5f, 0.1f, 15, true});
      max_scale = std::max(max_scale, scales[j]);
      max_min = std::max(max_min, mins[j]);
    }
    // Scales in the low nibbles, minimums in the high, each against the largest over 15.
    for (int j = 0; j < 16; ++j) {
      block.scales[j] = max_scale > 0 ? static_cast<uint8_t>(nearest_int(15.f / max_scale * scales[j])) : 0;
    }
    block.d = f32_to_f16(max_scale > 0 ? max_scale / 15.f : 0.f);
    if (max_min > 0) {
      for (int j = 0; j < 16; ++j) block.scales[j] |= static_cast<uint8_t>(nearest_int(15.f / max_min * mins[j]) << 4);
    }
    block.dmin = f32_to_f16(max_min > 0 ? max_min / 15.f : 0.f);
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

void q3_k_from_f32(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ3_K*>(dst);
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const float* x = src + b * kQK_K;
    BlockQ3_K& block = blocks[b];
    int8_t codes[kQK_K];
    float scales[16], max_scale = 0, amax = 0;
    for (int j = 0; j < 16; ++j) {
      scales[j] = fit_symmetric_by_sweeps(16, 4, x + 16 * j, codes + 16 * j);
      if (std::fabs(scales[j]) > amax) {
        amax = std::fabs(scales[j]);
        max_scale = scales[j];
      }
    }
    // Signed 6-bit scales against the largest over -32, stored biased by 32 (q3_k_scale's layout).
    std::memset(block.scales, 0, sizeof block.scales);
    if (max_scale != 0.0f) {
      const float iscale = -32.f / max_scale;
      for (int j = 0; j < 16; ++j) {
        const int l = std::clamp(static_cast<int>(static_cast<int8_t>(nearest_int(iscale * scales[j]))), -32, 31) + 32;
        block.scales[j % 8] |= static_cast<uint8_t>((l & 0xF) << (4 * (j / 8)));
        block.scales[j % 4 + 8] |= static_cast<uint8_t>((l >> 4) << (2 * (j / 4)));
      }
      block.d = f32_to_f16(1 / iscale);
    } else {
      block.d = f32_to_f16(0.f);
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

void q4_k_from_f32(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ4_K*>(dst);
  uint8_t codes[kQK_K];
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    BlockQ4_K& block = blocks[b];
    fit_k4_super_block(src + b * kQK_K, 15, {-1.f, 0.1f, 20, false}, block.scales, block.d, block.dmin, codes);
    // Byte l of each 32-byte run: code l of its 64 in the low nibble, code l + 32 in the high.
    for (int j = 0; j < kQK_K; j += 64) {
      for (int l = 0; l < 32; ++l) block.qs[j / 2 + l] = static_cast<uint8_t>(codes[j + l] | (codes[j + l + 32] << 4));
    }
  }
}

void q5_k_from_f32(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ5_K*>(dst);
  uint8_t codes[kQK_K];
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    BlockQ5_K& block = blocks[b];
    fit_k4_super_block(src + b * kQK_K, 31, {-0.5f, 0.1f, 15, false}, block.scales, block.d, block.dmin, codes);
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

void q6_k_from_f32(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockQ6_K*>(dst);
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const float* x = src + b * kQK_K;
    BlockQ6_K& block = blocks[b];
    int8_t codes[kQK_K];
    float scales[16], w[16], max_scale = 0, max_abs_scale = 0;
    for (int j = 0; j < 16; ++j) {
      for (int l = 0; l < 16; ++l) w[l] = x[16 * j + l] * x[16 * j + l];
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

void iq4_xs_from_f32(const float* src, void* dst, int64_t n) {
  auto* blocks = static_cast<BlockIQ4_XS*>(dst);
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const float* x = src + b * kQK_K;
    BlockIQ4_XS& block = blocks[b];
    float scales[8], max_scale = 0, amax = 0;
    for (int j = 0; j < 8; ++j) {
      scales[j] = fit_iq4_group(x + 32 * j);
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
