// The integer dot products of block-quantized weights (kernels/quant_dot.hpp), compiled once per
// kernel set (kernels/simd/target.hpp). Both sets use 256-bit integer arithmetic (AVX2's
// maddubs/madd); the AVX-512 set gets its wider register file. Each group's codes are unpacked in
// registers: the same codes as quant_groups::group_codes, in one load and a few shifts and masks.

#if MEDLLM_AVX512 || defined(__AVX2__)
inline __m256i load32(const void* p) {
  return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}
inline __m256i shift_right16(__m256i v, int bits) {  // per 16-bit lane, by a run-time count
  return _mm256_srl_epi16(v, _mm_cvtsi32_si128(bits));
}
// The low nibbles of 16 bytes (elements 0..15) then their high nibbles (16..31).
inline __m256i nibbles_of_16(const uint8_t* qs) {
  const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m128i mask = _mm_set1_epi8(0x0F);
  return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(q, 4), mask), _mm_and_si128(q, mask));
}
// The low (high = 0) or high nibbles of 32 bytes.
inline __m256i nibbles_of_32(const uint8_t* qs, int high) {
  return _mm256_and_si256(shift_right16(load32(qs), 4 * high), _mm256_set1_epi8(0x0F));
}
// 0xFF in byte e where bit e of `bits` is set.
inline __m256i bit_mask(uint32_t bits) {
  const __m256i spread =
      _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
  const __m256i bytes = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(bits)), spread);
  const __m256i bit = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ULL));
  return _mm256_cmpeq_epi8(_mm256_and_si256(bytes, bit), bit);
}
// 0xFF in byte e where bit `plane` of bytes[e] is set.
inline __m256i plane_mask(const uint8_t* bytes, int plane) {
  const __m256i bit = _mm256_set1_epi8(static_cast<char>(1 << plane));
  return _mm256_cmpeq_epi8(_mm256_and_si256(load32(bytes), bit), bit);
}
inline __m256i iq4_levels(__m256i indices) {
  const __m256i table =
      _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(quant_groups::kIQ4Levels)));
  return _mm256_shuffle_epi8(table, indices);
}

// The 32 signed codes of group g of a row.
template <DType D>
__m256i codes_of_group(const std::byte* row, int64_t g) {
  const auto& block = quant_groups::block_of<D>(row, g);
  const int j = quant_groups::group_in_block<D>(g);
  if constexpr (D == DType::Q8_0) {
    return load32(block.quants);
  } else if constexpr (D == DType::Q4_0) {
    return _mm256_sub_epi8(nibbles_of_16(block.quants), _mm256_set1_epi8(8));
  } else if constexpr (D == DType::Q4_1) {
    return nibbles_of_16(block.qs);
  } else if constexpr (D == DType::IQ4_NL) {
    return iq4_levels(nibbles_of_16(block.qs));
  } else if constexpr (D == DType::Q5_0 || D == DType::Q5_1) {
    uint32_t qh;
    std::memcpy(&qh, block.qh, sizeof qh);
    const __m256i codes =
        _mm256_or_si256(nibbles_of_16(block.qs), _mm256_and_si256(bit_mask(qh), _mm256_set1_epi8(16)));
    return D == DType::Q5_0 ? _mm256_sub_epi8(codes, _mm256_set1_epi8(16)) : codes;
  } else if constexpr (D == DType::Q2_K) {
    return _mm256_and_si256(shift_right16(load32(block.qs + 32 * (j / 4)), 2 * (j % 4)), _mm256_set1_epi8(3));
  } else if constexpr (D == DType::Q3_K) {
    const __m256i low =
        _mm256_and_si256(shift_right16(load32(block.qs + 32 * (j / 4)), 2 * (j % 4)), _mm256_set1_epi8(3));
    return _mm256_sub_epi8(low, _mm256_andnot_si256(plane_mask(block.hmask, j), _mm256_set1_epi8(4)));
  } else if constexpr (D == DType::Q4_K || D == DType::Q5_K) {
    const __m256i low = nibbles_of_32(block.qs + 32 * (j / 2), j % 2);
    if constexpr (D == DType::Q4_K) {
      return low;
    } else {
      return _mm256_or_si256(low, _mm256_and_si256(plane_mask(block.qh, j), _mm256_set1_epi8(16)));
    }
  } else if constexpr (D == DType::Q6_K) {
    const int half = j / 4, plane = j % 4;
    const __m256i low = nibbles_of_32(block.ql + 64 * half + 32 * (plane % 2), plane / 2);
    const __m256i high2 = _mm256_and_si256(shift_right16(load32(block.qh + 32 * half), 2 * plane), _mm256_set1_epi8(3));
    return _mm256_sub_epi8(_mm256_or_si256(low, _mm256_slli_epi16(high2, 4)), _mm256_set1_epi8(32));
  } else {
    static_assert(D == DType::IQ4_XS);
    return iq4_levels(nibbles_of_16(block.qs + 16 * j));
  }
}

// The madd multiplier of group i of a super-group: its first half's scale in lanes 0-3 (int16
// 0-7), its second half's in lanes 4-7.
inline __m256i half_multiplier(const quant_groups::SuperGroup& sg, int i) {
  const uint32_t pair =
      static_cast<uint16_t>(sg.sc[2 * i]) | static_cast<uint32_t>(static_cast<uint16_t>(sg.sc[2 * i + 1])) << 16;
  const __m256i spread =
      _mm256_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3);
  return _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(pair)), spread);
}

// Dot products of one weight row with K consecutive quantized inputs from t0, in the defining
// order of kernels/quant_dot.hpp: groups in runs of 8 (a k-quant super-block, or 8 legacy
// blocks) whose scales are read once; each group unpacked once for all K inputs.
template <DType D, int K>
void dot_inputs(const std::byte* row, const QuantizedInputs& x, int64_t t0, float* out) {
  const int64_t groups = x.length / kGroup;
  __m256 acc[K][2], mins[K];
  for (int k = 0; k < K; ++k) acc[k][0] = acc[k][1] = mins[k] = _mm256_setzero_ps();
  quant_groups::SuperGroup sg;
  for (int64_t g0 = 0; g0 < groups; g0 += 8) {
    const int count = static_cast<int>(std::min<int64_t>(8, groups - g0));
    quant_groups::super_group<D>(row, g0, count, sg);
    const auto step = [&](int i, auto chain) {
      constexpr int c = decltype(chain)::value;  // = (g0 + i) mod 2, as g0 is even
      const int64_t g = g0 + i;
      const __m256i codes = codes_of_group<D>(row, g);
      const __m256i magnitude = _mm256_abs_epi8(codes);
      const __m256i multiplier =
          quant_groups::has_half_scales(D) ? half_multiplier(sg, i) : _mm256_set1_epi16(sg.sc[2 * i]);
#pragma GCC unroll 8
      for (int k = 0; k < K; ++k) {
        // |code| · (±input code): the sign moves onto the input, as maddubs takes one unsigned side.
        const __m256i products =
            _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(load32(x.codes_of(t0 + k) + g * kGroup), codes));
        const __m256i sums = _mm256_madd_epi16(products, multiplier);
        const float dx = x.scales_of(t0 + k)[g];
        acc[k][c] = _mm256_fmadd_ps(_mm256_set1_ps(sg.d[i] * dx), _mm256_cvtepi32_ps(sums), acc[k][c]);
      }
    };
    int i = 0;
    for (; i + 2 <= count; i += 2) {
      step(i, std::integral_constant<int, 0>{});
      step(i + 1, std::integral_constant<int, 1>{});
    }
    if (i < count) step(i, std::integral_constant<int, 0>{});
    if constexpr (quant_groups::has_minimum(D)) {
      // All 8 groups' minimum terms at once: lane i is group g0 + i (lanes past count add 0 · 0).
      const __m256 dmin = _mm256_load_ps(sg.dmin);
      const __m256i m = _mm256_load_si256(reinterpret_cast<const __m256i*>(sg.m));
      for (int k = 0; k < K; ++k) {
        alignas(32) int16_t halves[16] = {};
        alignas(32) float dx[8] = {};
        std::memcpy(halves, x.sums_of(t0 + k) + 2 * g0, sizeof(int16_t) * 2 * count);
        std::memcpy(dx, x.scales_of(t0 + k) + g0, sizeof(float) * count);
        const __m256i terms = _mm256_madd_epi16(m, _mm256_load_si256(reinterpret_cast<const __m256i*>(halves)));
        mins[k] = _mm256_fmadd_ps(dmin, _mm256_mul_ps(_mm256_cvtepi32_ps(terms), _mm256_load_ps(dx)), mins[k]);
      }
    }
  }
  for (int k = 0; k < K; ++k) {
    alignas(32) float lanes[8], minimums[8];
    _mm256_store_ps(lanes, _mm256_add_ps(acc[k][0], acc[k][1]));
    _mm256_store_ps(minimums, mins[k]);
    float total = 0.0f, minimum = 0.0f;
    for (const float lane : lanes) total += lane;
    for (const float lane : minimums) minimum += lane;
    out[k] = total + minimum;
  }
}
#endif

// y[n, out] = x · Wᵀ for quantized inputs x: blocks of weight rows (shared out among the threads),
// each multiplied with the inputs four at a time, then one at a time. Every output comes from
// dot_inputs' fixed order, so neither blocking nor threads change a result.
template <DType D>
void matmul_quantized_as(const TensorView& weight, const QuantizedInputs& x, float* y, ThreadPool& pool) {
  constexpr int64_t kBlockRows = 16;
  const int64_t out = weight.rows(), n = x.rows;
  pool.parallel_for((out + kBlockRows - 1) / kBlockRows, [&](int64_t first_block, int64_t end_block) {
    for (int64_t r0 = first_block * kBlockRows; r0 < std::min(out, end_block * kBlockRows); r0 += kBlockRows) {
      const int64_t rows = std::min(kBlockRows, out - r0);
      int64_t t = 0;
      float results[4];
#if MEDLLM_AVX512 || defined(__AVX2__)
      for (; t + 4 <= n; t += 4) {
        for (int64_t r = r0; r < r0 + rows; ++r) {
          dot_inputs<D, 4>(weight.row(r), x, t, results);
          for (int k = 0; k < 4; ++k) y[(t + k) * out + r] = results[k];
        }
      }
      for (; t < n; ++t) {
        for (int64_t r = r0; r < r0 + rows; ++r) dot_inputs<D, 1>(weight.row(r), x, t, y + t * out + r);
      }
#else
      for (; t < n; ++t) {
        for (int64_t r = r0; r < r0 + rows; ++r) y[t * out + r] = integer_dot_reference(D, weight.row(r), x, t);
      }
#endif
    }
  });
}

void matmul_quantized(const TensorView& weight, const QuantizedInputs& x, float* y, ThreadPool& pool) {
  using Kernel = void (*)(const TensorView&, const QuantizedInputs&, float*, ThreadPool&);
  // One entry per DType, in DType order; null for the plain float types.
  static constexpr Kernel kKernels[] = {nullptr,
                                        nullptr,
                                        nullptr,
                                        matmul_quantized_as<DType::Q8_0>,
                                        matmul_quantized_as<DType::Q4_0>,
                                        matmul_quantized_as<DType::Q4_1>,
                                        matmul_quantized_as<DType::Q5_0>,
                                        matmul_quantized_as<DType::Q5_1>,
                                        matmul_quantized_as<DType::Q2_K>,
                                        matmul_quantized_as<DType::Q3_K>,
                                        matmul_quantized_as<DType::Q4_K>,
                                        matmul_quantized_as<DType::Q5_K>,
                                        matmul_quantized_as<DType::Q6_K>,
                                        matmul_quantized_as<DType::IQ4_NL>,
                                        matmul_quantized_as<DType::IQ4_XS>};
  static_assert(std::size(kKernels) == kDTypeCount);
  kKernels[static_cast<size_t>(weight.dtype)](weight, x, y, pool);
}
