#pragma once
// The scale searches and code packers ggml's quantizers are built from (ggml-quants.c's
// make_*_quants and friends), shared by core/block_quantize.cpp's types. Like that file, its
// source is compiled with -ffp-contract=off: each product is spelt out in ggml's order and
// rounded on its own, so the chosen codes and scales agree with ggml's bit for bit.

#include <cstdint>
#include <cstring>

#include "core/quant_blocks.hpp"

namespace medllm::block_quants {

// Below this largest magnitude a group counts as all zero (ggml's GROUP_MAX_EPS).
inline constexpr float kGroupMaxEps = 1e-15f;

// Round to nearest, ties to even, for |v| < 2^22: adding 1.5·2^23 leaves the rounded integer in
// the low mantissa bits. It is ggml's rounding, kept as such so that out-of-range and NaN
// inputs give ggml's codes too.
inline int nearest_int(float v) {
  const float shifted = v + 12582912.0f;
  int32_t bits;
  std::memcpy(&bits, &shifted, sizeof bits);
  return (bits & 0x007fffff) - 0x00400000;
}

// The value of largest magnitude among n, sign kept (the first such on ties); its magnitude
// through amax.
float signed_absmax(const float* x, int64_t n, float& amax);
float signed_absmax(const float* x, int64_t n);

// Symmetric codes -nmax..nmax-1 (stored + nmax) for n values and the scale minimising the
// squared error weighted by w: the least-squares scale of the codes rounded at -nmax/max, then
// of the codes at 18 nearby step counts, keeping the best (ggml's make_qx_quants, rmse type 1).
float fit_symmetric(int n, int nmax, const float* x, const float* w, int8_t* codes);

// q3_k's symmetric codes -nmax..nmax-1 (stored + nmax) for n values weighted by x²: rounded at
// -nmax/max, then improved one code at a time while that lowers the error, up to 5 sweeps
// (ggml's make_q3_quants with its search).
float fit_symmetric_by_sweeps(int n, int nmax, const float* x, int8_t* codes);

// How fit_with_minimum searches: step counts nmax + rmin + rdelta·k for k = 0..steps, and the
// error it minimises (absolute or squared).
struct MinimumSearch {
  float rmin, rdelta;
  int steps;
  bool absolute_error;
};

// Codes 0..nmax for n ≤ 32 values as scale·code − minimum (minimum ≥ 0 returned through
// `minimum`), choosing the pair with the least error weighted by w among the plain min/max fit
// and the least-squares fits at the searched step counts (ggml's make_qkx2_quants, and its
// make_qkx3_quants, which differs only in searching with other constants).
float fit_with_minimum(int n, int nmax, const float* x, const float* w, uint8_t* codes, float& minimum,
                       const MinimumSearch& search);

// Codes 0..nmax for n ≤ 32 non-negative values (the sub-block scales or minimums of a
// super-block) and their scale, minimising the squared error weighted by w: rounded at nmax/max,
// the best of 8 nearby step counts, then improved one code at a time, up to 5 sweeps (ggml's
// make_qp_quants).
float fit_positive(int n, int nmax, const float* x, const float* w, uint8_t* codes);

// Packs 32 five-bit codes into q5_0 / q5_1's nibbles and high-bit word.
void pack_q5(const uint8_t* codes, uint8_t* qh_bytes, uint8_t* qs);

// Packs 256 two-bit codes as q2_k / q3_k store them: byte l of each 32-byte run holds codes
// l, l+32, l+64, l+96 of its 128.
void pack_2bit(const uint8_t* codes, uint8_t* qs);

// ---- iq4: codes index the 16 non-uniform levels ----

// The level nearest to v (the lower one on ties).
int nearest_level(float v);

// The scale of one group of 32 weighted by w: the least-squares scale of the codes at -max/-127,
// then of those at 15 nearby step counts, keeping the best. 0 for an all-zero group.
float fit_iq4_group(const float* x, const float* w);

// Codes of 32 values at scale d, packed as q4_0's nibbles.
void pack_iq4_group(const float* x, float d, uint8_t* qs);

}  // namespace medllm::block_quants
