// Attention's scores q·k and weighted sums of values, compiled once per kernel set
// (kernels/simd/target.hpp), in one fixed order whatever the set. A score: element i goes to lane
// i mod 16 by fused multiply-add, the 16 lanes are summed pairwise (lane l with lane l + 8, then
// l + 4, l + 2, l + 1), and the elements past the last whole 16 (head_dim mod 16) are added after,
// in order, by fused multiply-adds. An output element: from 0, one fused multiply-add per key, in
// the keys' order.

#if MEDLLM_AVX512 || defined(__AVX2__)
inline float sum_8_lanes(__m256 s8) {  // s8[l] = lane l + lane l + 8
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  return _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)));
}
#endif

inline float score_dot(const float* q, const float* k, int64_t n) {
  int64_t i = 0;
  float total;
#if MEDLLM_AVX512
  __m512 acc = _mm512_setzero_ps();
  for (; i + 16 <= n; i += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), _mm512_loadu_ps(k + i), acc);
  total = sum_8_lanes(_mm256_add_ps(_mm512_castps512_ps256(acc), _mm512_extractf32x8_ps(acc, 1)));
#elif defined(__AVX2__)
  __m256 low = _mm256_setzero_ps(), high = _mm256_setzero_ps();
  for (; i + 16 <= n; i += 16) {
    low = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(k + i), low);
    high = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), _mm256_loadu_ps(k + i + 8), high);
  }
  total = sum_8_lanes(_mm256_add_ps(low, high));
#else
  float lanes[16] = {};
  for (; i + 16 <= n; i += 16) {
    for (int l = 0; l < 16; ++l) lanes[l] = std::fma(q[i + l], k[i + l], lanes[l]);
  }
  for (int width = 8; width >= 1; width /= 2) {
    for (int l = 0; l < width; ++l) lanes[l] += lanes[l + width];
  }
  total = lanes[0];
#endif
  for (; i < n; ++i) total = std::fma(q[i], k[i], total);
  return total;
}

#if MEDLLM_AVX512
// The pairwise sum of the lanes, for 16 keys at once: the same additions as score_dot's, each
// level done for several keys by one shuffle pair and one add.
// Level 1 for keys a and b: [a_l + a_{l+8} (l < 8) | b_l + b_{l+8}].
inline __m512 fold_eights(__m512 a, __m512 b) {
  return _mm512_add_ps(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(1, 0, 1, 0)),
                       _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
}
// Level 2, from two level-1 results of keys (a, b) and (c, d): 128-bit block k holds key k's 4 sums.
inline __m512 fold_fours(__m512 ab, __m512 cd) {
  return _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, _MM_SHUFFLE(2, 0, 2, 0)),
                       _mm512_shuffle_f32x4(ab, cd, _MM_SHUFFLE(3, 1, 3, 1)));
}
// Level 3 of keys P (block k: key k) and Q: block k holds [P_k's 2 sums, Q_k's 2 sums].
inline __m512 fold_twos(__m512 p, __m512 q) {
  return _mm512_add_ps(_mm512_shuffle_ps(p, q, _MM_SHUFFLE(1, 0, 1, 0)),
                       _mm512_shuffle_ps(p, q, _MM_SHUFFLE(3, 2, 3, 2)));
}
// Level 4: from [P_k, Q_k] and [P'_k, Q'_k], block k holds the totals [P_k, Q_k, P'_k, Q'_k].
inline __m512 fold_ones(__m512 r, __m512 s) {
  return _mm512_add_ps(_mm512_shuffle_ps(r, s, _MM_SHUFFLE(2, 0, 2, 0)),
                       _mm512_shuffle_ps(r, s, _MM_SHUFFLE(3, 1, 3, 1)));
}

// Scores of 16 keys, equal bit for bit to score_dot's of each.
inline void score_dots_16(const float* q, const float* keys, const int64_t* visible, int64_t stride, int64_t n,
                          float scale, float* scores) {
  // The keys innermost: 16 independent chains of fused multiply-adds, where one key at a time
  // would wait on each addition's latency.
  const float* k[16];
  __m512 acc[16];
  for (int j = 0; j < 16; ++j) {
    k[j] = keys + visible[j] * stride;
    acc[j] = _mm512_setzero_ps();
  }
  for (int64_t i = 0; i + 16 <= n; i += 16) {
    const __m512 qi = _mm512_loadu_ps(q + i);
    for (int j = 0; j < 16; ++j) acc[j] = _mm512_fmadd_ps(qi, _mm512_loadu_ps(k[j] + i), acc[j]);
  }
  __m512 eights[8], fours[4];
  for (int m = 0; m < 8; ++m) eights[m] = fold_eights(acc[2 * m], acc[2 * m + 1]);
  for (int m = 0; m < 4; ++m) fours[m] = fold_fours(eights[2 * m], eights[2 * m + 1]);
  // Lane 4k + m now holds key 4m + k's total; put key j in lane j.
  const __m512 totals = fold_ones(fold_twos(fours[0], fours[1]), fold_twos(fours[2], fours[3]));
  const __m512i key_lanes = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  alignas(64) float total[16];
  _mm512_store_ps(total, _mm512_permutexvar_ps(key_lanes, totals));
  const int64_t whole = n - n % 16;
  for (int j = 0; j < 16; ++j) {
    for (int64_t i = whole; i < n; ++i) total[j] = std::fma(q[i], k[j][i], total[j]);
    scores[j] = total[j] * scale;
  }
}
#endif

// scores[j] = (query · keys[visible[j] · stride …]) · scale.
void attention_scores(const float* query, const float* keys, const int64_t* visible, int64_t count, int64_t stride,
                      int64_t head_dim, float scale, float* scores) {
  int64_t j = 0;
#if MEDLLM_AVX512
  for (; j + 16 <= count; j += 16) score_dots_16(query, keys, visible + j, stride, head_dim, scale, scores + j);
#endif
  for (; j < count; ++j) scores[j] = score_dot(query, keys + visible[j] * stride, head_dim) * scale;
}

// One output element, a value at a time: Σ_j p[j] · values[visible[j] · stride], from 0 by fused
// multiply-adds in key order.
inline float value_column(const float* p, const float* values, const int64_t* visible, int64_t count, int64_t stride) {
  float o = 0.0f;
  for (int64_t j = 0; j < count; ++j) o = std::fma(p[j], values[visible[j] * stride], o);
  return o;
}

// out[i] = Σ_j p[j] · values[visible[j] · stride + i], each element from 0 by fused multiply-adds
// in key order. The sums stay in registers across the keys, W columns at a time.
template <int W>
void value_columns(const float* p, const float* values, const int64_t* visible, int64_t count, int64_t stride,
                   float* out) {
#if MEDLLM_AVX512
  __m512 acc[W / 16];
  for (auto& a : acc) a = _mm512_setzero_ps();
  for (int64_t j = 0; j < count; ++j) {
    const __m512 pj = _mm512_set1_ps(p[j]);
    const float* v = values + visible[j] * stride;
    for (int k = 0; k < W / 16; ++k) acc[k] = _mm512_fmadd_ps(pj, _mm512_loadu_ps(v + 16 * k), acc[k]);
  }
  for (int k = 0; k < W / 16; ++k) _mm512_storeu_ps(out + 16 * k, acc[k]);
#elif defined(__AVX2__)
  __m256 acc[W / 8];
  for (auto& a : acc) a = _mm256_setzero_ps();
  for (int64_t j = 0; j < count; ++j) {
    const __m256 pj = _mm256_set1_ps(p[j]);
    const float* v = values + visible[j] * stride;
    for (int k = 0; k < W / 8; ++k) acc[k] = _mm256_fmadd_ps(pj, _mm256_loadu_ps(v + 8 * k), acc[k]);
  }
  for (int k = 0; k < W / 8; ++k) _mm256_storeu_ps(out + 8 * k, acc[k]);
#else
  for (int i = 0; i < W; ++i) out[i] = value_column(p, values + i, visible, count, stride);
#endif
}

void attention_values(const float* p, const float* values, const int64_t* visible, int64_t count, int64_t stride,
                      int64_t head_dim, float* out) {
  int64_t i = 0;
  for (; i + 64 <= head_dim; i += 64) value_columns<64>(p, values + i, visible, count, stride, out + i);
  for (; i + 16 <= head_dim; i += 16) value_columns<16>(p, values + i, visible, count, stride, out + i);
  for (; i < head_dim; ++i) out[i] = value_column(p, values + i, visible, count, stride);
}
