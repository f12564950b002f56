// The scale searches and packers of core/block_quantize_fit.hpp, each in ggml's order of
// operations (this file is compiled with -ffp-contract=off).

#include "core/block_quantize_fit.hpp"

#include <algorithm>
#include <cmath>

namespace medllm::block_quants {

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

float fit_positive(int n, int nmax, const float* x, const float* w, uint8_t* codes) {
  float max = 0;
  for (int i = 0; i < n; ++i) max = std::max(max, x[i]);
  if (max < kGroupMaxEps) {
    std::fill(codes, codes + n, uint8_t{0});
    return 0.0f;
  }
  // The first rounding and the chosen codes are held in bytes, as ggml holds them, so that even a
  // negative rounding (a negative input) wraps as it does there; the trial roundings are not.
  const auto code_at = [&](float iscale, int i) { return std::min(nmax, nearest_int(iscale * x[i])); };
  const auto error_at = [&](float iscale, auto code) {
    const float scale = 1 / iscale;
    float error = 0;
    for (int i = 0; i < n; ++i) {
      const float diff = x[i] - scale * static_cast<float>(code(i));
      error += w[i] * diff * diff;
    }
    return error;
  };
  float iscale = static_cast<float>(nmax) / max;
  for (int i = 0; i < n; ++i) codes[i] = static_cast<uint8_t>(nearest_int(iscale * x[i]));
  float best = error_at(iscale, [&](int i) { return codes[i]; });
  for (int step = -4; step <= 4; ++step) {
    if (step == 0) continue;
    const float trial = (0.1f * static_cast<float>(step) + static_cast<float>(nmax)) / max;
    const float error = error_at(trial, [&](int i) { return code_at(trial, i); });
    if (error < best) {
      best = error;
      iscale = trial;
    }
  }
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    codes[i] = static_cast<uint8_t>(code_at(iscale, i));
    const float l = codes[i];
    sumlx += w[i] * x[i] * l;
    suml2 += w[i] * l * l;
  }
  for (int sweep = 0; sweep < 5; ++sweep) {
    int changed = 0;
    for (int i = 0; i < n; ++i) {
      const float old = codes[i];
      float slx = sumlx - w[i] * x[i] * old, sl2 = suml2 - w[i] * old * old;
      if (!(slx > 0 && sl2 > 0)) continue;
      const int l = std::min(nmax, nearest_int(x[i] * sl2 / slx));
      if (l == codes[i]) continue;
      slx += w[i] * x[i] * static_cast<float>(l);
      sl2 += w[i] * static_cast<float>(l) * static_cast<float>(l);
      if (slx * slx * suml2 > sumlx * sumlx * sl2) {
        codes[i] = static_cast<uint8_t>(l);
        sumlx = slx;
        suml2 = sl2;
        ++changed;
      }
    }
    if (changed == 0) break;
  }
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

void pack_2bit(const uint8_t* codes, uint8_t* qs) {
  for (int j = 0; j < kQK_K; j += 128) {
    for (int l = 0; l < 32; ++l) {
      qs[j / 4 + l] = static_cast<uint8_t>(codes[j + l] | (codes[j + l + 32] << 2) | (codes[j + l + 64] << 4) |
                                           (codes[j + l + 96] << 6));
    }
  }
}

// ---- iq4: codes index the 16 non-uniform levels ----

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

float fit_iq4_group(const float* x, const float* w) {
  float amax;
  const float max = signed_absmax(x, 32, amax);
  if (amax < kGroupMaxEps) return 0.0f;
  const auto sums = [&](float id, float& sumqx, float& sumq2) {
    sumqx = sumq2 = 0;
    for (int j = 0; j < 32; ++j) {
      const float q = kIQ4Levels[nearest_level(id * x[j])];
      sumqx += w[j] * q * x[j];
      sumq2 += w[j] * q * q;
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

void pack_iq4_group(const float* x, float d, uint8_t* qs) {
  const float id = d != 0.0f ? 1 / d : 0.0f;
  for (int j = 0; j < 16; ++j) {
    qs[j] = static_cast<uint8_t>(nearest_level(id * x[j]) | (nearest_level(id * x[j + 16]) << 4));
  }
}

}  // namespace medllm::block_quants
