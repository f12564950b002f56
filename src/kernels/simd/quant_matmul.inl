// The integer dot products of block-quantized weights (kernels/quant_dot.hpp), compiled once per
// kernel set (kernels/simd/target.hpp). Both sets use 256-bit integer arithmetic (AVX2's
// maddubs/madd); the AVX-512 set gets its wider register file. Each group's codes are unpacked in
// registers: the same codes as quant_groups::group_codes, in one load and a few shifts and masks.

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

// What the kernels multiply instead of a type's signed codes, where it saves work: maddubs takes
// one unsigned side, so codes stored as code + offset (q4_0, q5_0, q3_k, q6_k) are used as those
// unsigned values, and offset · (the input codes' sum, scaled) is taken off the exact integer sum
// afterwards. Types whose codes are unsigned already have offset 0; q8_0 and the iq4 types, whose
// codes have no such offset, move the sign onto the input instead (kSignedCodes).
constexpr int kSignedCodes = -1;
constexpr int code_offset(DType D) {
  switch (D) {
    case DType::Q4_0:
      return 8;
    case DType::Q5_0:
      return 16;
    case DType::Q3_K:
      return 4;
    case DType::Q6_K:
      return 32;
    case DType::Q8_0:
    case DType::IQ4_NL:
    case DType::IQ4_XS:
      return kSignedCodes;
    default:
      return 0;
  }
}

template <DType D>
__m256i dot_codes_of_group(const std::byte* row, int64_t g) {
  const __m256i codes = codes_of_group<D>(row, g);
  if constexpr (code_offset(D) > 0) return _mm256_add_epi8(codes, _mm256_set1_epi8(code_offset(D)));
  return codes;
}

// Row r's 8 int32 partial sums of one group's products with the input codes xg: lanes 0-3 cover
// the group's first 16 elements, 4-7 the second (exact; maddubs cannot saturate: |code| ≤ 63 on
// the unsigned side, or ≤ 128 with the input's |code| ≤ 127 for the signed types).
template <DType D>
__m256i group_products(__m256i codes, __m256i xg) {
  __m256i products;
  if constexpr (code_offset(D) == kSignedCodes) {
    products = _mm256_maddubs_epi16(_mm256_abs_epi8(codes), _mm256_sign_epi8(xg, codes));
  } else {
    products = _mm256_maddubs_epi16(codes, xg);
  }
  return _mm256_madd_epi16(products, _mm256_set1_epi16(1));
}

// The scales of 8 consecutive groups of a tile's 8 rows, rows innermost so that one load gives a
// group's value for every row. Half-group scales and minimums as int16 pairs (first | second << 16).
struct TileScales {
  alignas(32) float d[8][kTileRows];
  alignas(32) float dmin[8][kTileRows];
  alignas(32) int32_t scales[8][kTileRows];
  alignas(32) int32_t minimums[8][kTileRows];
};

inline int32_t int16_pair(int16_t first, int16_t second) {
  return static_cast<int32_t>(static_cast<uint16_t>(first) | static_cast<uint32_t>(static_cast<uint16_t>(second))
                                                                 << 16);
}

// Only what the type uses is filled in: d always, the minimums for types with minimums, the scales
// for types with sub-scales (the legacy types have neither sub-scales nor, mostly, minimums).
template <DType D>
void tile_scales(const std::byte* const* rows, int64_t g0, int count, TileScales& out) {
  if constexpr (quant_groups::groups_per_block(D) == 1) {
    for (int i = 0; i < count; ++i) {
      for (int r = 0; r < kTileRows; ++r) {
        const GroupScales s = quant_groups::group_scales<D>(rows[r], g0 + i);
        out.d[i][r] = s.d;
        if constexpr (quant_groups::has_minimum(D)) {
          out.dmin[i][r] = s.dmin;
          out.minimums[i][r] = int16_pair(s.m[0], s.m[1]);
        }
      }
    }
  } else {
    quant_groups::SuperGroup sg;
    for (int r = 0; r < kTileRows; ++r) {
      quant_groups::super_group<D>(rows[r], g0, sg);
      for (int i = 0; i < 8; ++i) {
        out.d[i][r] = sg.d[i];
        out.scales[i][r] = int16_pair(sg.sc[2 * i], sg.sc[2 * i + 1]);
        if constexpr (quant_groups::has_minimum(D)) {
          out.dmin[i][r] = sg.dmin[i];
          out.minimums[i][r] = int16_pair(sg.m[2 * i], sg.m[2 * i + 1]);
        }
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
struct PackedCodes {
  const int8_t* codes;  // kTileRows rows of `length` codes
  int64_t length;
  __m256i operator()(int r, int64_t g) const { return load32(codes + r * length + g * kGroup); }
  void prefetch(int, int64_t) const {}  // in L1 already
};

// Lane r: row r's exact integer sum of one group, Σ sc[e / 16] · code_e · xq_e, from its partial
// sums v[r] (group_products): the halves reduced per row, scaled, and the code offset's share
// taken off. `halves`: the input codes' sums over the group's two halves.
template <DType D>
__m256i group_sums(const __m256i* v, const TileScales& ts, int i, const int16_t* halves) {
  // After two rounds of hadd, the low 128 bits hold rows 0-3's first-half sums, the high 128 bits
  // their second-half sums (and b the same for rows 4-7).
  const __m256i a = _mm256_hadd_epi32(_mm256_hadd_epi32(v[0], v[1]), _mm256_hadd_epi32(v[2], v[3]));
  const __m256i b = _mm256_hadd_epi32(_mm256_hadd_epi32(v[4], v[5]), _mm256_hadd_epi32(v[6], v[7]));
  const __m256i first = _mm256_permute2x128_si256(a, b, 0x20), second = _mm256_permute2x128_si256(a, b, 0x31);
  __m256i s;
  [[maybe_unused]] __m256i pairs;  // per row: the halves' int16 scales, first | second << 16
  if constexpr (quant_groups::groups_per_block(D) > 1) {
    pairs = _mm256_load_si256(reinterpret_cast<const __m256i*>(ts.scales[i]));
  }
  if constexpr (quant_groups::has_half_scales(D)) {
    const __m256i sc_first = _mm256_srai_epi32(_mm256_slli_epi32(pairs, 16), 16);
    const __m256i sc_second = _mm256_srai_epi32(pairs, 16);
    s = _mm256_add_epi32(_mm256_mullo_epi32(first, sc_first), _mm256_mullo_epi32(second, sc_second));
  } else if constexpr (quant_groups::groups_per_block(D) > 1) {
    s = _mm256_mullo_epi32(_mm256_add_epi32(first, second), _mm256_srai_epi32(_mm256_slli_epi32(pairs, 16), 16));
  } else {
    s = _mm256_add_epi32(first, second);
  }
  if constexpr (code_offset(D) > 0) {
    static_assert((code_offset(D) & (code_offset(D) - 1)) == 0, "offsets are powers of two: a shift multiplies");
    constexpr int kShift = std::countr_zero(static_cast<unsigned>(code_offset(D)));
    __m256i share;
    if constexpr (quant_groups::groups_per_block(D) > 1) {
      share = _mm256_madd_epi16(pairs, _mm256_set1_epi32(int16_pair(halves[0], halves[1])));
    } else {
      share = _mm256_set1_epi32(halves[0] + halves[1]);
    }
    s = _mm256_sub_epi32(s, _mm256_slli_epi32(share, kShift));
  }
  return s;
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
      const __m256i s = group_sums<D>(v, ts, i, half_sums + 2 * g);
      const __m256 step = _mm256_set1_ps(dx[g]);
      acc = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_load_ps(ts.d[i]), step), _mm256_cvtepi32_ps(s), acc);
      if constexpr (quant_groups::has_minimum(D)) {
        const int16_t* halves = half_sums + 2 * g;
        const __m256i terms = _mm256_madd_epi16(_mm256_load_si256(reinterpret_cast<const __m256i*>(ts.minimums[i])),
                                                _mm256_set1_epi32(int16_pair(halves[0], halves[1])));
        mins = _mm256_fmadd_ps(_mm256_load_ps(ts.dmin[i]), _mm256_mul_ps(_mm256_cvtepi32_ps(terms), step), mins);
      }
    }
    for (int r = count; r < kTileRows; ++r) codes.prefetch(r, g0);
  }
  return _mm256_add_ps(acc, mins);
}

// What one thread keeps for its current tile.
struct TileBuffer {
  std::vector<TileScales> scales;
  std::vector<int8_t> codes;  // kTileRows × length, when unpacked once for many inputs
};

template <DType D>
void tile_of_outputs(const TensorView& weight, int64_t r0, const QuantizedInputs& x, float* y, TileBuffer& buffer) {
  const int64_t out = weight.rows(), groups = x.length / kGroup;
  const std::byte* rows[kTileRows];
  for (int r = 0; r < kTileRows; ++r) rows[r] = weight.row(std::min(r0 + r, out - 1));  // past the end: repeats
  buffer.scales.resize(static_cast<size_t>((groups + 7) / 8));
  for (int64_t g0 = 0; g0 < groups; g0 += 8) {
    tile_scales<D>(rows, g0, static_cast<int>(std::min<int64_t>(8, groups - g0)), buffer.scales[g0 / 8]);
  }
  const int live = static_cast<int>(std::min<int64_t>(kTileRows, out - r0));
  const auto store = [&](int64_t t, __m256 results) {
    alignas(32) float lanes[kTileRows];
    _mm256_store_ps(lanes, results);
    for (int r = 0; r < live; ++r) y[t * out + r0 + r] = lanes[r];
  };
  if (x.rows == 1) {  // decoding: unpack in registers, each weight read once
    const auto ahead = static_cast<int64_t>(2 * kTileRows * weight.row_bytes());
    store(0, tile_dot<D>(RowCodes<D>{rows, ahead}, buffer.scales.data(), x, 0));
    return;
  }
  buffer.codes.resize(static_cast<size_t>(kTileRows * x.length));
  for (int r = 0; r < kTileRows; ++r) {
    for (int64_t g = 0; g < groups; ++g) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(buffer.codes.data() + r * x.length + g * kGroup),
                          dot_codes_of_group<D>(rows[r], g));
    }
  }
  const PackedCodes packed{buffer.codes.data(), x.length};
  for (int64_t t = 0; t < x.rows; ++t) store(t, tile_dot<D>(packed, buffer.scales.data(), x, t));
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
    TileBuffer buffer;
    for (int64_t tile = first_tile; tile < end_tile; ++tile) tile_of_outputs<D>(weight, tile * kTileRows, x, y, buffer);
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
