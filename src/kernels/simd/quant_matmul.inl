// The integer dot products of block-quantized weights (kernels/quant_dot.hpp), compiled once per
// kernel set (kernels/simd/target.hpp). Every set uses 256-bit integer arithmetic (AVX2's
// maddubs/madd; the VNNI set's dpbusd for the 32-element types); the AVX-512 sets get the wider
// register file. Each group's codes are unpacked in
// registers: quant_groups::group_codes plus the code offset, in one load and a few shifts and masks.
// Both kinds compute tiles of 8 weight rows, one float lane each, as the defining order's float
// steps (per group, or per super-block) are taken.

constexpr int kTileRows = 8;  // weight rows computed together: one float lane each

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
  const __m256i table = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kIQ4Levels)));
  return _mm256_shuffle_epi8(table, indices);
}

// What the kernels multiply instead of a type's signed codes, where it saves work: maddubs takes
// one unsigned side, so codes stored as code + offset (code_offset: q4_0, q5_0, q3_k, q6_k) are
// used as those stored unsigned values, and offset · (the input codes' sum, scaled) is taken off
// the exact integer sum afterwards. Types whose codes are unsigned already have offset 0; q8_0 and
// the iq4 types, whose codes are signed with no such offset, move the sign onto the input instead.
constexpr bool signed_codes(DType D) {
  return D == DType::Q8_0 || D == DType::IQ4_NL || D == DType::IQ4_XS;
}
// log2 of a code offset: the offsets are powers of two, so a shift multiplies by them.
template <DType D>
constexpr int offset_shift() {
  static_assert((code_offset(D) & (code_offset(D) - 1)) == 0, "offsets are powers of two");
  return std::countr_zero(static_cast<unsigned>(code_offset(D)));
}

// The 32 codes of group j of a block as the kernels multiply them: quant_groups::group_codes plus
// code_offset, that is the values as stored (signed for q8_0 and the iq4 types).
template <DType D>
[[gnu::always_inline]] inline __m256i dot_codes_in_block(const typename quant_groups::Layout<D>::Block& block, int j) {
  if constexpr (D == DType::Q8_0) {
    return load32(block.quants);
  } else if constexpr (D == DType::Q4_0) {
    return nibbles_of_16(block.quants);
  } else if constexpr (D == DType::Q4_1) {
    return nibbles_of_16(block.qs);
  } else if constexpr (D == DType::IQ4_NL) {
    return iq4_levels(nibbles_of_16(block.qs));
  } else if constexpr (D == DType::Q5_0 || D == DType::Q5_1) {
    uint32_t qh;
    std::memcpy(&qh, block.qh, sizeof qh);
    return _mm256_or_si256(nibbles_of_16(block.qs), _mm256_and_si256(bit_mask(qh), _mm256_set1_epi8(16)));
  } else if constexpr (D == DType::Q2_K) {
    return _mm256_and_si256(shift_right16(load32(block.qs + 32 * (j / 4)), 2 * (j % 4)), _mm256_set1_epi8(3));
  } else if constexpr (D == DType::Q3_K) {
    const __m256i low =
        _mm256_and_si256(shift_right16(load32(block.qs + 32 * (j / 4)), 2 * (j % 4)), _mm256_set1_epi8(3));
    return _mm256_or_si256(low, _mm256_and_si256(plane_mask(block.hmask, j), _mm256_set1_epi8(4)));
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
    return _mm256_or_si256(low, _mm256_slli_epi16(high2, 4));
  } else {
    static_assert(D == DType::IQ4_XS);
    return iq4_levels(nibbles_of_16(block.qs + 16 * j));
  }
}
template <DType D>
__m256i dot_codes_of_group(const std::byte* row, int64_t g) {
  return dot_codes_in_block<D>(quant_groups::block_of<D>(row, g), quant_groups::group_in_block<D>(g));
}

// The 16 int16 sums of adjacent products of one group's codes with the input codes xg (exact;
// maddubs cannot saturate: |code| ≤ 63 on the unsigned side, or ≤ 128 with the input's
// |code| ≤ 127 for the signed types).
template <DType D>
__m256i pair_products(__m256i codes, __m256i xg) {
  if constexpr (signed_codes(D)) {
    return _mm256_maddubs_epi16(_mm256_abs_epi8(codes), _mm256_sign_epi8(xg, codes));
  } else {
    return _mm256_maddubs_epi16(codes, xg);
  }
}
// Row r's 8 int32 partial sums of one group's products: lanes 0-3 cover the group's first 16
// elements, 4-7 the second. VNNI's dpbusd sums each 4 products in one instruction.
template <DType D>
__m256i group_products(__m256i codes, __m256i xg) {
#if MEDLLM_VNNI
  if constexpr (signed_codes(D)) {
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_abs_epi8(codes), _mm256_sign_epi8(xg, codes));
  } else {
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), codes, xg);
  }
#else
  return _mm256_madd_epi16(pair_products<D>(codes, xg), _mm256_set1_epi16(1));
#endif
}

// The scales of 8 consecutive groups of a tile's 8 rows (32-element types), rows innermost so that
// one load gives a group's value for every row.
struct TileScales {
  alignas(32) float d[8][kTileRows];
  alignas(32) float dmin[8][kTileRows];
  alignas(32) int32_t code_sums[8][kTileRows];  // Σ codes of each group (the VNNI set's prefill of signed codes)
};

// Only what the type uses is filled in: d always, dmin for types with minimums (q4_1 and q5_1,
// whose integer minimum m is 1).
template <DType D>
void tile_scales(const std::byte* const* rows, int64_t g0, int count, TileScales& out) {
  static_assert(quant_groups::groups_per_block(D) == 1, "the super-block types keep their scales per row");
  for (int i = 0; i < count; ++i) {
    for (int r = 0; r < kTileRows; ++r) {
      const GroupScales s = quant_groups::group_scales<D>(rows[r], g0 + i);
      out.d[i][r] = s.d;
      if constexpr (quant_groups::has_minimum(D)) {
        out.dmin[i][r] = s.dmin;
      }
    }
  }
}

// Where a tile's codes come from: unpacked in registers from the rows (one input), or from codes
// unpacked once for many inputs.
template <DType D>
struct RowCodes {
  const std::byte* const* rows;
  int64_t ahead;  // bytes from a row to the same row two tiles on
  __m256i operator()(int r, int64_t g) const { return dot_codes_of_group<D>(rows[r], g); }
  // Groups g0 … g0+7 of row r two tiles on, on their way while this tile computes: the hardware
  // prefetcher does not follow 8 short rows read in turns, and prefetching a whole tile at once
  // stalls on the line fill buffers, so a few lines go out with each row's run of groups. (Past
  // the matrix's end they are harmless: a prefetch never faults.)
  void prefetch(int r, int64_t g0) const {
    constexpr int64_t kGroupBytes =
        static_cast<int64_t>(sizeof(typename quant_groups::Layout<D>::Block)) / quant_groups::groups_per_block(D);
    const std::byte* first = rows[r] + ahead + g0 * kGroupBytes;
    for (int64_t offset = 0; offset < 8 * kGroupBytes; offset += 64) {
      _mm_prefetch(reinterpret_cast<const char*>(first + offset), _MM_HINT_T0);
    }
  }
};
template <DType D>
struct PackedCodes {
  const int8_t* codes;  // kTileRows rows of `length` codes
  int64_t length;
  __m256i operator()(int r, int64_t g) const { return load32(codes + r * length + g * kGroup); }
  void prefetch(int, int64_t) const {}  // in L1 already
};

// Lane r: the sum of v[r]'s 8 lanes (exact while the sums fit in int32).
inline __m256i row_totals(const __m256i* v) {
  // After two rounds of hadd, the low 128 bits hold rows 0-3's sums of lanes 0-3, the high 128 bits
  // their sums of lanes 4-7 (and b the same for rows 4-7).
  const __m256i a = _mm256_hadd_epi32(_mm256_hadd_epi32(v[0], v[1]), _mm256_hadd_epi32(v[2], v[3]));
  const __m256i b = _mm256_hadd_epi32(_mm256_hadd_epi32(v[4], v[5]), _mm256_hadd_epi32(v[6], v[7]));
  return _mm256_add_epi32(_mm256_permute2x128_si256(a, b, 0x20), _mm256_permute2x128_si256(a, b, 0x31));
}
// Lane r: row r's exact integer sum of one group, Σ code_e · xq_e, from its partial sums v[r]
// (group_products): the halves reduced per row and the code offset's share taken off. `halves`:
// the input codes' sums over the group's two halves.
template <DType D>
__m256i group_sums(const __m256i* v, const int16_t* halves) {
  __m256i s = row_totals(v);
  if constexpr (code_offset(D) > 0) {
    s = _mm256_sub_epi32(s, _mm256_set1_epi32((halves[0] + halves[1]) << offset_shift<D>()));
  }
  return s;
}

// The float step of the defining order for group i of a run of 8, its rows' exact sums s and an
// input's scale dx and half sums: acc += (d · dx) · s, and for the types with minimums
// mins += dmin · (Σ codes · dx).
template <DType D>
[[gnu::always_inline]] inline void float_step(const TileScales& ts, int i, float dx, const int16_t* halves, __m256i s,
                                              __m256& acc, __m256& mins) {
  const __m256 step = _mm256_set1_ps(dx);
  acc = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_load_ps(ts.d[i]), step), _mm256_cvtepi32_ps(s), acc);
  if constexpr (quant_groups::has_minimum(D)) {
    const __m256 sum = _mm256_set1_ps(static_cast<float>(halves[0] + halves[1]));
    mins = _mm256_fmadd_ps(_mm256_load_ps(ts.dmin[i]), _mm256_mul_ps(sum, step), mins);
  }
}

// The 8 rows' dot products with input t, in the defining order (kernels/quant_dot.hpp); scales
// holds one TileScales per run of 8 groups.
template <DType D, class Codes>
__m256 tile_dot(const Codes& codes, const TileScales* scales, const QuantizedInputs& x, int64_t t) {
  const int64_t groups = x.length / kGroup;
  const int8_t* xq = x.codes_of(t);
  const float* dx = x.scales_of(t);
  const int16_t* half_sums = x.sums_of(t);
  __m256 acc = _mm256_setzero_ps(), mins = _mm256_setzero_ps();
  for (int64_t g0 = 0; g0 < groups; g0 += 8) {
    const int count = static_cast<int>(std::min<int64_t>(8, groups - g0));
    const TileScales& ts = scales[g0 / 8];
    for (int i = 0; i < count; ++i) {
      const int64_t g = g0 + i;
      codes.prefetch(i, g0);  // one row's run per group: a whole tile at once would stall
      const __m256i xg = load32(xq + g * kGroup);
      __m256i v[kTileRows];
      for (int r = 0; r < kTileRows; ++r) v[r] = group_products<D>(codes(r, g), xg);
      const __m256i s = group_sums<D>(v, half_sums + 2 * g);
      float_step<D>(ts, i, dx[g], half_sums + 2 * g, s, acc, mins);
    }
    for (int r = count; r < kTileRows; ++r) codes.prefetch(r, g0);
  }
  return _mm256_add_ps(acc, mins);
}

#if MEDLLM_VNNI
// Prefill in the VNNI set: the tile's codes interleaved, for group g and chunk k the 4 codes
// 4k … 4k+3 of each of the 8 rows side by side (32 bytes at (8g + k) · 32), so that dpbusd against
// 4 input codes broadcast leaves each row's sum in its own lane: 8 instructions a group and no
// horizontal reduction. N inputs at a time share each load of the codes; each input's float
// steps are those of tile_dot, in its order. The signed-code types' codes meet the inputs made
// unsigned (x + 128), and 128 · Σ codes comes off afterwards; the others' stored (unsigned) codes
// meet the signed inputs.
template <DType D, int N>
void tile_dot_interleaved(const int8_t* codes, const TileScales* scales, const QuantizedInputs& x, int64_t t0,
                          __m256* out) {
  const int64_t groups = x.length / kGroup;
  __m256 acc[N], mins[N];
  for (int n = 0; n < N; ++n) acc[n] = mins[n] = _mm256_setzero_ps();
  alignas(32) int32_t unsigned_x[N][kGroup / 4];
  for (int64_t g = 0; g < groups; ++g) {
    const TileScales& ts = scales[g / 8];
    const int i = static_cast<int>(g % 8);
    const auto* chunks = reinterpret_cast<const __m256i*>(codes + g * kTileRows * kGroup);
    __m256i s[N];
    for (int n = 0; n < N; ++n) s[n] = _mm256_setzero_si256();
    if constexpr (signed_codes(D)) {
      for (int n = 0; n < N; ++n) {
        _mm256_store_si256(
            reinterpret_cast<__m256i*>(unsigned_x[n]),
            _mm256_xor_si256(load32(x.codes_of(t0 + n) + g * kGroup), _mm256_set1_epi8(static_cast<char>(0x80))));
      }
      for (int k = 0; k < kGroup / 4; ++k) {
        const __m256i c = _mm256_load_si256(chunks + k);
        for (int n = 0; n < N; ++n) s[n] = _mm256_dpbusd_epi32(s[n], _mm256_set1_epi32(unsigned_x[n][k]), c);
      }
      const __m256i shift_share =
          _mm256_slli_epi32(_mm256_load_si256(reinterpret_cast<const __m256i*>(ts.code_sums[i])), 7);
      for (int n = 0; n < N; ++n) s[n] = _mm256_sub_epi32(s[n], shift_share);
    } else {
      for (int k = 0; k < kGroup / 4; ++k) {
        const __m256i c = _mm256_load_si256(chunks + k);
        for (int n = 0; n < N; ++n) {
          int32_t four;
          std::memcpy(&four, x.codes_of(t0 + n) + g * kGroup + 4 * k, sizeof four);
          s[n] = _mm256_dpbusd_epi32(s[n], c, _mm256_set1_epi32(four));
        }
      }
      if constexpr (code_offset(D) > 0) {
        for (int n = 0; n < N; ++n) {
          const int16_t* halves = x.sums_of(t0 + n) + 2 * g;
          s[n] = _mm256_sub_epi32(s[n], _mm256_set1_epi32((halves[0] + halves[1]) << offset_shift<D>()));
        }
      }
    }
    for (int n = 0; n < N; ++n) {
      float_step<D>(ts, i, x.scales_of(t0 + n)[g], x.sums_of(t0 + n) + 2 * g, s[n], acc[n], mins[n]);
    }
  }
  for (int n = 0; n < N; ++n) out[n] = _mm256_add_ps(acc[n], mins[n]);
}

// The tile's codes in tile_dot_interleaved's layout, with each row's code sums per group.
template <DType D>
void interleave_tile_codes(const std::byte* const* rows, int64_t groups, int8_t* out, TileScales* scales) {
  alignas(32) int8_t group[kGroup];
  for (int r = 0; r < kTileRows; ++r) {
    for (int64_t g = 0; g < groups; ++g) {
      _mm256_store_si256(reinterpret_cast<__m256i*>(group), dot_codes_of_group<D>(rows[r], g));
      int8_t* base = out + g * kTileRows * kGroup + 4 * r;
      for (int k = 0; k < kGroup / 4; ++k) std::memcpy(base + k * kTileRows * 4, group + 4 * k, 4);
      if constexpr (signed_codes(D)) {
        int32_t sum = 0;
        for (int e = 0; e < kGroup; ++e) sum += group[e];
        scales[g / 8].code_sums[g % 8][r] = sum;
      }
    }
  }
}
#endif

// Stores a tile's results for input t: lane r is output row r0 + r (those of `live` rows).
inline void store_tile(float* y, int64_t t, int64_t out, int64_t r0, int live, __m256 results) {
  alignas(32) float lanes[kTileRows];
  _mm256_store_ps(lanes, results);
  for (int r = 0; r < live; ++r) y[t * out + r0 + r] = lanes[r];
}

// A weight matrix's rows, with the row size worked out once per matmul rather than per row.
struct WeightRows {
  const std::byte* data;
  size_t row_bytes;
  int64_t count;
  explicit WeightRows(const TensorView& weight)
      : data(weight.data), row_bytes(weight.row_bytes()), count(weight.rows()) {}
  const std::byte* row(int64_t r) const { return data + static_cast<size_t>(r) * row_bytes; }
  // The tile's rows from r0; past the last row, the last one again (its results are not stored).
  void tile(int64_t r0, const std::byte** rows) const {
    for (int r = 0; r < kTileRows; ++r) rows[r] = row(std::min(r0 + r, count - 1));
  }
};

// What one thread keeps for its current tile.
struct TileBuffer {
  std::vector<TileScales> scales;
  std::vector<int8_t> codes;  // kTileRows × length, when unpacked once for many inputs
};

template <DType D>
void tile_of_outputs(const WeightRows& weight, int64_t r0, const QuantizedInputs& x, float* y, TileBuffer& buffer) {
  const int64_t out = weight.count, groups = x.length / kGroup;
  const std::byte* rows[kTileRows];
  weight.tile(r0, rows);
  buffer.scales.resize(static_cast<size_t>((groups + 7) / 8));
  for (int64_t g0 = 0; g0 < groups; g0 += 8) {
    tile_scales<D>(rows, g0, static_cast<int>(std::min<int64_t>(8, groups - g0)), buffer.scales[g0 / 8]);
  }
  const int live = static_cast<int>(std::min<int64_t>(kTileRows, out - r0));
  const auto store = [&](int64_t t, __m256 results) { store_tile(y, t, out, r0, live, results); };
  if (x.rows == 1) {  // decoding: unpack in registers, each weight read once
    const auto ahead = static_cast<int64_t>(2 * kTileRows * weight.row_bytes);
    store(0, tile_dot<D>(RowCodes<D>{rows, ahead}, buffer.scales.data(), x, 0));
    return;
  }
#if MEDLLM_VNNI
  buffer.codes.resize(static_cast<size_t>(kTileRows * x.length) + 32);
  auto* aligned = reinterpret_cast<int8_t*>((reinterpret_cast<uintptr_t>(buffer.codes.data()) + 31) & ~uintptr_t{31});
  interleave_tile_codes<D>(rows, groups, aligned, buffer.scales.data());
  // Two inputs at a time share each load of the codes.
  __m256 results[2];
  int64_t t = 0;
  for (; t + 2 <= x.rows; t += 2) {
    tile_dot_interleaved<D, 2>(aligned, buffer.scales.data(), x, t, results);
    store(t, results[0]);
    store(t + 1, results[1]);
  }
  if (t < x.rows) {
    tile_dot_interleaved<D, 1>(aligned, buffer.scales.data(), x, t, results);
    store(t, results[0]);
  }
#else
  buffer.codes.resize(static_cast<size_t>(kTileRows * x.length));
  for (int r = 0; r < kTileRows; ++r) {
    for (int64_t g = 0; g < groups; ++g) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(buffer.codes.data() + r * x.length + g * kGroup),
                          dot_codes_of_group<D>(rows[r], g));
    }
  }
  const PackedCodes<D> packed{buffer.codes.data(), x.length};
  for (int64_t t = 0; t < x.rows; ++t) store(t, tile_dot<D>(packed, buffer.scales.data(), x, t));
#endif
}

// ---- The super-block types ----

// A super-block's scales in registers. by_group holds sc as int16, the even halves' in the low 128
// bits and the odd halves' in the high, so that one byte shuffle gives group i's multipliers
// [sc[2i] × 8 | sc[2i+1] × 8]; sc and m hold the halves' scales and minimums in order.
struct SuperBlockScales {
  __m256i by_group, sc, m;
  float d, dmin;
};

// The same values quant_groups::group_scales gives, a super-block at a time and in registers.
template <DType D>
[[gnu::always_inline]] inline SuperBlockScales super_block_scales(
    const typename quant_groups::Layout<D>::Block& block) {
  __m128i sc8, m8 = _mm_setzero_si128();  // per 16-element half, as int8
  float dmin = 0.0f;
  if constexpr (D == DType::Q4_K || D == DType::Q5_K) {
    // The 8 six-bit scales and minimums of 12 bytes, four at a time (as scale_min_k4 reads them).
    uint32_t a[3];
    std::memcpy(a, block.scales, sizeof a);
    const __m128i packed =
        _mm_setr_epi32(static_cast<int>(a[0] & 0x3f3f3f3fu),
                       static_cast<int>((a[2] & 0x0f0f0f0fu) | (((a[0] >> 6) & 0x03030303u) << 4)),
                       static_cast<int>(a[1] & 0x3f3f3f3fu),
                       static_cast<int>(((a[2] >> 4) & 0x0f0f0f0fu) | (((a[1] >> 6) & 0x03030303u) << 4)));
    sc8 = _mm_unpacklo_epi8(packed, packed);  // group j's scale for both its halves
    m8 = _mm_unpackhi_epi8(packed, packed);
    dmin = -quant_groups::half_to_float(block.dmin);
  } else if constexpr (D == DType::Q6_K) {
    sc8 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block.scales));
  } else if constexpr (D == DType::Q2_K) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block.scales));
    sc8 = _mm_and_si128(v, _mm_set1_epi8(0x0F));
    m8 = _mm_and_si128(_mm_srli_epi16(v, 4), _mm_set1_epi8(0x0F));
    dmin = -quant_groups::half_to_float(block.dmin);
  } else if constexpr (D == DType::Q3_K) {
    alignas(16) int8_t scales[16];
    for (int h = 0; h < 16; ++h) scales[h] = static_cast<int8_t>(q3_k_scale(block.scales, h));
    sc8 = _mm_load_si128(reinterpret_cast<const __m128i*>(scales));
  } else {
    static_assert(D == DType::IQ4_XS);
    alignas(16) int8_t scales[16] = {};
    for (int j = 0; j < 8; ++j) scales[j] = static_cast<int8_t>(iq4_xs_scale(block, j));
    const __m128i v = _mm_load_si128(reinterpret_cast<const __m128i*>(scales));
    sc8 = _mm_unpacklo_epi8(v, v);
  }
  const __m128i even_then_odd = _mm_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
  return {_mm256_cvtepi8_epi16(_mm_shuffle_epi8(sc8, even_then_odd)), _mm256_cvtepi8_epi16(sc8),
          _mm256_cvtepi8_epi16(m8), quant_groups::half_to_float(block.d), dmin};
}

// The defining order's float steps for super-block b of a tile's 8 rows (lanes) and one input:
// its exact sums n and Σ m · S per row, the rows' d and dmin.
template <DType D>
[[gnu::always_inline]] inline __m256 super_block_float_step(const float* d, const float* dmin, float dx, __m256i n,
                                                            __m256i minimums, __m256 acc) {
  const __m256 step = _mm256_set1_ps(dx);
  acc = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_load_ps(d), step), _mm256_cvtepi32_ps(n), acc);
  if constexpr (quant_groups::has_minimum(D)) {
    acc = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_load_ps(dmin), step), _mm256_cvtepi32_ps(minimums), acc);
  }
  return acc;
}

// Decoding. Each row is read on its own, one stream the prefetcher follows, and leaves per
// super-block 8 lanes of partial sums; the tile's rows then meet side by side for the float steps.
struct SuperBlockLanes {  // super-block b of the tile's rows
  alignas(32) int32_t n[kTileRows][8];
  alignas(32) int32_t minimums[kTileRows][8];
  alignas(32) float d[kTileRows];
  alignas(32) float dmin[kTileRows];
};

// One row's super-block against input codes xq and half sums: 8 lanes whose totals are n and
// Σ m · S of the defining order.
template <DType D>
[[gnu::always_inline]] inline void super_block_lanes(const typename quant_groups::Layout<D>::Block& block,
                                                     const int8_t* xq, const int16_t* half_sums, int r,
                                                     SuperBlockLanes& out) {
  const SuperBlockScales s = super_block_scales<D>(block);
  __m256i n = _mm256_setzero_si256();
  for (int i = 0; i < 8; ++i) {
    const __m256i sc =
        _mm256_shuffle_epi8(s.by_group, _mm256_set1_epi16(static_cast<int16_t>(2 * i | (2 * i + 1) << 8)));
    const __m256i products = pair_products<D>(dot_codes_in_block<D>(block, i), load32(xq + i * kGroup));
    n = _mm256_add_epi32(n, _mm256_madd_epi16(products, sc));
  }
  const __m256i halves = load32(half_sums);
  if constexpr (code_offset(D) > 0) {
    n = _mm256_sub_epi32(n, _mm256_slli_epi32(_mm256_madd_epi16(s.sc, halves), offset_shift<D>()));
  }
  _mm256_store_si256(reinterpret_cast<__m256i*>(out.n[r]), n);
  _mm256_store_si256(reinterpret_cast<__m256i*>(out.minimums[r]), _mm256_madd_epi16(s.m, halves));
  out.d[r] = s.d;
  out.dmin[r] = s.dmin;
}

template <DType D>
__m256 super_block_decode(const std::byte* const* rows, const QuantizedInputs& x, std::vector<SuperBlockLanes>& lanes) {
  using Block = typename quant_groups::Layout<D>::Block;
  const int64_t blocks = x.length / kQK_K;
  lanes.resize(static_cast<size_t>(blocks));
  for (int r = 0; r < kTileRows; ++r) {
    const auto* row = reinterpret_cast<const Block*>(rows[r]);
    for (int64_t b = 0; b < blocks; ++b) {
      super_block_lanes<D>(row[b], x.codes_of(0) + b * kQK_K, x.sums_of(0) + b * (kQK_K / 16), r, lanes[b]);
    }
  }
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < blocks; ++b) {
    const SuperBlockLanes& l = lanes[b];
    const __m256i n = row_totals(reinterpret_cast<const __m256i*>(l.n));
    const __m256i minimums = row_totals(reinterpret_cast<const __m256i*>(l.minimums));
    acc = super_block_float_step<D>(l.d, l.dmin, x.scales_of(0)[b], n, minimums, acc);
  }
  return acc;
}

// Prefill: the tile's codes interleaved as for the 32-element types, the 4 codes 4k … 4k+3 of
// group i of each of the 8 rows side by side (32 bytes at ((8b + i) · 8 + k) · 32), so that a
// multiply-add against 4 input codes broadcast leaves each row's products in its own lanes.
// The 16-bit lanes sum several chunks' products before a row's scale is applied (one madd per
// scale instead of one per chunk, as llama.cpp's repacked k-quant kernels do).
struct SuperTileScales {  // super-block b of the tile's rows
  alignas(32) float d[kTileRows];
  alignas(32) float dmin[kTileRows];
  alignas(32) int16_t sc[16][2 * kTileRows];        // half h: row r's scale in lanes 2r and 2r + 1
  alignas(32) int16_t offset_sc[8][2 * kTileRows];  // halves 2p, 2p + 1: code_offset · row r's scales
  alignas(32) int16_t m[8][2 * kTileRows];          // halves 2p, 2p + 1: row r's minimums
};

// The largest code as the prefill multiplies it (stored unsigned, or the magnitude of a signed one).
constexpr int largest_dot_code(DType D) {
  switch (D) {
    case DType::Q2_K:
      return 3;
    case DType::Q3_K:
      return 7;
    case DType::Q4_K:
      return 15;
    case DType::Q5_K:
      return 31;
    case DType::Q6_K:
      return 63;
    case DType::IQ4_XS:
      return 127;  // the magnitude of the levels' extreme, -127
    default:
      return 0;  // not a super-block type: chunks_per_scale refuses it
  }
}
// Chunks whose products one 16-bit lane sums before the row's scale applies: each adds 2
// products of at most largest_dot_code · 127, and the sum must fit in int16. Within a half
// (4 chunks), or within a group (8) where both halves share a scale (q4_k).
template <DType D>
constexpr int chunks_per_scale() {
  static_assert(largest_dot_code(D) > 0, "a super-block type");
  const int fit = 32767 / (2 * largest_dot_code(D) * 127);
  return D == DType::Q4_K && fit >= 8 ? 8 : std::min(fit, 4);
}

template <DType D>
void interleave_super_blocks(const std::byte* const* rows, int64_t blocks, int8_t* codes, SuperTileScales* scales) {
  using Block = typename quant_groups::Layout<D>::Block;
  alignas(32) int8_t group[kGroup];
  alignas(32) int16_t sc[16], m[16];
  for (int r = 0; r < kTileRows; ++r) {
    const auto* row = reinterpret_cast<const Block*>(rows[r]);
    for (int64_t b = 0; b < blocks; ++b) {
      const SuperBlockScales s = super_block_scales<D>(row[b]);
      _mm256_store_si256(reinterpret_cast<__m256i*>(sc), s.sc);
      _mm256_store_si256(reinterpret_cast<__m256i*>(m), s.m);
      SuperTileScales& t = scales[b];
      t.d[r] = s.d;
      t.dmin[r] = s.dmin;
      for (int h = 0; h < 16; ++h) t.sc[h][2 * r] = t.sc[h][2 * r + 1] = sc[h];
      for (int p = 0; p < 8; ++p) {
        for (int h = 0; h < 2; ++h) {
          t.offset_sc[p][2 * r + h] = static_cast<int16_t>(code_offset(D) * sc[2 * p + h]);
          t.m[p][2 * r + h] = m[2 * p + h];
        }
      }
      for (int i = 0; i < 8; ++i) {
        _mm256_store_si256(reinterpret_cast<__m256i*>(group), dot_codes_in_block<D>(row[b], i));
        int8_t* base = codes + ((b * 8 + i) * 8) * 32 + 4 * r;
        for (int k = 0; k < 8; ++k) std::memcpy(base + 32 * k, group + 4 * k, 4);
      }
    }
  }
}

// Σ_p madd(weights[p], (S[2p], S[2p+1])): per row, Σ_h w[h] · S[h] over a super-block's halves.
inline __m256i weighted_half_sums(const int16_t (*weights)[2 * kTileRows], const int16_t* half_sums) {
  __m256i sum = _mm256_setzero_si256();
  for (int p = 0; p < 8; ++p) {
    int32_t pair;
    std::memcpy(&pair, half_sums + 2 * p, sizeof pair);
    sum = _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_load_si256(reinterpret_cast<const __m256i*>(weights[p])),
                                                  _mm256_set1_epi32(pair)));
  }
  return sum;
}

// The 8 rows' products with inputs t0 … t0+T-1 (sharing each load of the codes), in the defining
// order.
template <DType D, int T>
void super_block_tile_dot(const int8_t* codes, const SuperTileScales* scales, const QuantizedInputs& x, int64_t t0,
                          __m256* out) {
  constexpr int kRun = chunks_per_scale<D>();
  static_assert(kRun >= 1 && 2 * kRun * largest_dot_code(D) * 127 <= 32767);
  // A run stays within one half (one sub-scale), or spans a whole group where both halves share
  // their scale (super_block_scales gives q4_k's group scale to both).
  static_assert(4 % kRun == 0 || (kRun == 8 && D == DType::Q4_K));
  const auto* chunks = reinterpret_cast<const __m256i*>(codes);
  __m256 acc[T];
  for (int u = 0; u < T; ++u) acc[u] = _mm256_setzero_ps();
  for (int64_t b = 0; b < x.length / kQK_K; ++b) {
    const SuperTileScales& s = scales[b];
    __m256i n[T];
    for (int u = 0; u < T; ++u) n[u] = _mm256_setzero_si256();
    for (int i = 0; i < 8; ++i) {
      for (int k0 = 0; k0 < 8; k0 += kRun) {
        __m256i run[T];
        for (int u = 0; u < T; ++u) run[u] = _mm256_setzero_si256();
        for (int k = k0; k < k0 + kRun; ++k) {
          const __m256i c = _mm256_load_si256(chunks + (b * 8 + i) * 8 + k);
          for (int u = 0; u < T; ++u) {
            int32_t four;
            std::memcpy(&four, x.codes_of(t0 + u) + b * kQK_K + i * kGroup + 4 * k, sizeof four);
            const __m256i xb = _mm256_set1_epi32(four);
            const __m256i p = signed_codes(D) ? _mm256_maddubs_epi16(_mm256_abs_epi8(c), _mm256_sign_epi8(xb, c))
                                              : _mm256_maddubs_epi16(c, xb);
            run[u] = _mm256_add_epi16(run[u], p);
          }
        }
        const __m256i sc = _mm256_load_si256(reinterpret_cast<const __m256i*>(s.sc[2 * i + k0 / 4]));
        for (int u = 0; u < T; ++u) n[u] = _mm256_add_epi32(n[u], _mm256_madd_epi16(run[u], sc));
      }
    }
    for (int u = 0; u < T; ++u) {
      const int16_t* halves = x.sums_of(t0 + u) + b * (kQK_K / 16);
      if constexpr (code_offset(D) > 0) n[u] = _mm256_sub_epi32(n[u], weighted_half_sums(s.offset_sc, halves));
      __m256i minimums = _mm256_setzero_si256();
      if constexpr (quant_groups::has_minimum(D)) minimums = weighted_half_sums(s.m, halves);
      acc[u] = super_block_float_step<D>(s.d, s.dmin, x.scales_of(t0 + u)[b], n[u], minimums, acc[u]);
    }
  }
  for (int u = 0; u < T; ++u) out[u] = acc[u];
}

// Inputs at a time in prefill: 4 share each load of the codes, in the AVX2 set's 16 registers (4
// sums, 4 runs, 4 accumulators and the operands).
constexpr int kInputsAtOnce = 4;

struct SuperBlockBuffer {
  std::vector<SuperBlockLanes> lanes;  // decoding
  std::vector<int8_t> codes;           // prefill: the tile's codes, interleaved
  std::vector<SuperTileScales> scales;
};

template <DType D>
void super_block_tile(const WeightRows& weight, int64_t r0, const QuantizedInputs& x, float* y,
                      SuperBlockBuffer& buffer) {
  const int64_t out = weight.count, blocks = x.length / kQK_K;
  const int live = static_cast<int>(std::min<int64_t>(kTileRows, out - r0));
  const std::byte* rows[kTileRows];
  weight.tile(r0, rows);
  if (x.rows == 1) {  // decoding: unpack in registers, each weight read once
    store_tile(y, 0, out, r0, live, super_block_decode<D>(rows, x, buffer.lanes));
    return;
  }
  buffer.codes.resize(static_cast<size_t>(kTileRows * x.length) + 32);
  auto* aligned = reinterpret_cast<int8_t*>((reinterpret_cast<uintptr_t>(buffer.codes.data()) + 31) & ~uintptr_t{31});
  buffer.scales.resize(static_cast<size_t>(blocks));
  interleave_super_blocks<D>(rows, blocks, aligned, buffer.scales.data());
  __m256 results[kInputsAtOnce];
  int64_t t = 0;
  for (; t + kInputsAtOnce <= x.rows; t += kInputsAtOnce) {
    super_block_tile_dot<D, kInputsAtOnce>(aligned, buffer.scales.data(), x, t, results);
    for (int u = 0; u < kInputsAtOnce; ++u) store_tile(y, t + u, out, r0, live, results[u]);
  }
  for (; t < x.rows; ++t) {
    super_block_tile_dot<D, 1>(aligned, buffer.scales.data(), x, t, results);
    store_tile(y, t, out, r0, live, results[0]);
  }
}
#endif

// y[n, out] = x · Wᵀ for quantized inputs x: tiles of 8 weight rows shared out among the threads,
// each unpacked once and multiplied with every input. Every output comes from the defining order,
// so neither tiling nor threads change a result.
template <DType D>
void matmul_quantized_as(const TensorView& weight, const QuantizedInputs& x, float* y, ThreadPool& pool) {
  const int64_t out = weight.rows();
  pool.parallel_for((out + kTileRows - 1) / kTileRows, [&](int64_t first_tile, int64_t end_tile) {
#if MEDLLM_AVX512 || defined(__AVX2__)
    const WeightRows rows(weight);
    // Kept by each thread from call to call: a decode step makes hundreds of small matmuls.
    if constexpr (quant_groups::groups_per_block(D) > 1) {
      thread_local SuperBlockBuffer buffer;
      for (int64_t tile = first_tile; tile < end_tile; ++tile)
        super_block_tile<D>(rows, tile * kTileRows, x, y, buffer);
    } else {
      thread_local TileBuffer buffer;
      for (int64_t tile = first_tile; tile < end_tile; ++tile) tile_of_outputs<D>(rows, tile * kTileRows, x, y, buffer);
    }
#else
    for (int64_t r = first_tile * kTileRows; r < std::min(out, end_tile * kTileRows); ++r) {
      for (int64_t t = 0; t < x.rows; ++t) y[t * out + r] = integer_dot_reference(D, weight.row(r), x, t);
    }
#endif
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
