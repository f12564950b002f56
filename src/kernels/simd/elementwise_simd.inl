// The elementwise kernels that have a SIMD form (SiLU gate and its gradient, max, shifted exp with
// its sum), compiled once per kernel set (kernels/simd/target.hpp); the AVX2 set computes them a
// value at a time with std::exp.

#if MEDLLM_AVX512
inline __m512 sigmoid16(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  return _mm512_div_ps(one, _mm512_add_ps(one, exp16(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}
#endif

// gate[i] ← silu(gate[i]) · up[i]
void silu_gate(float* gate, const float* up, int64_t n) {
#if MEDLLM_AVX512
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = lanes(n - i);
    const __m512 g = _mm512_maskz_loadu_ps(m, gate + i);
    _mm512_mask_storeu_ps(gate + i, m, _mm512_mul_ps(_mm512_mul_ps(g, sigmoid16(g)), _mm512_maskz_loadu_ps(m, up + i)));
  }
#else
  for (int64_t i = 0; i < n; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
#endif
}

void silu_gate_backward(const float* gate, const float* up, const float* dh, int64_t n, float* dgate, float* dup) {
#if MEDLLM_AVX512
  const __m512 one = _mm512_set1_ps(1.0f);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = lanes(n - i);
    const __m512 g = _mm512_maskz_loadu_ps(m, gate + i);
    const __m512 d = _mm512_maskz_loadu_ps(m, dh + i);
    const __m512 sigmoid = sigmoid16(g);
    _mm512_mask_storeu_ps(dup + i, m, _mm512_mul_ps(_mm512_mul_ps(d, g), sigmoid));
    // dh · up · σ · (1 + g·(1 − σ))
    const __m512 slope = _mm512_fmadd_ps(g, _mm512_sub_ps(one, sigmoid), one);
    const __m512 dg = _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(d, _mm512_maskz_loadu_ps(m, up + i)), sigmoid), slope);
    _mm512_mask_storeu_ps(dgate + i, m, dg);
  }
#else
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    const float sigmoid = 1.0f / (1.0f + std::exp(-g));
    dup[i] = dh[i] * g * sigmoid;
    dgate[i] = dh[i] * up[i] * sigmoid * (1.0f + g * (1.0f - sigmoid));
  }
#endif
}

float max_value(const float* x, int64_t n) {
#if MEDLLM_AVX512
  __m512 max = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = lanes(n - i);
    max = _mm512_mask_max_ps(max, m, max, _mm512_maskz_loadu_ps(m, x + i));
  }
  return _mm512_reduce_max_ps(max);
#else
  float max = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) max = std::max(max, x[i]);
  return max;
#endif
}

double exp_shifted(const float* x, float shift, int64_t n, float* y) {
#if MEDLLM_AVX512
  // Σ in double, kept in 16 lanes (two vectors of 8) and added up in a fixed order.
  __m512d low = _mm512_setzero_pd(), high = _mm512_setzero_pd();
  const __m512 s = _mm512_set1_ps(shift);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = lanes(n - i);
    const __m512 e = _mm512_maskz_mov_ps(m, exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), s)));
    if (y != nullptr) _mm512_mask_storeu_ps(y + i, m, e);
    low = _mm512_add_pd(low, _mm512_cvtps_pd(_mm512_castps512_ps256(e)));
    high = _mm512_add_pd(high, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(e), 1))));
  }
  return _mm512_reduce_add_pd(_mm512_add_pd(low, high));
#else
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float e = std::exp(x[i] - shift);
    if (y != nullptr) y[i] = e;
    sum += e;
  }
  return sum;
#endif
}

// One value through the same arithmetic as this set's vector kernels.
float exp1(float x) {
#if MEDLLM_AVX512
  return _mm512_cvtss_f32(exp16(_mm512_set1_ps(x)));
#else
  return std::exp(x);
#endif
}
