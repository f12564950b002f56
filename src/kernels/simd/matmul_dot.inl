// The matmul kernels of the float weight types (f32, f16, bf16) with a SIMD form: the fixed-order
// dot products, the decode path that converts weights in registers, and the blocked prefill path,
// compiled once per kernel set (kernels/simd/target.hpp). Block-quantized weights take the
// integer dot products instead (kernels/simd/quant_matmul.inl).

// Independent accumulator lanes: lets the compiler vectorise without reassociating sums, so the
// result is the same on every machine that runs this code.
constexpr int kLanes = 16;

float sum_lanes(const float* acc) {
  float total = 0.0f;
  for (int i = 0; i < kLanes; ++i) total += acc[i];
  return total;
}

// Dot products of R f32 weight rows (stride `stride`) with K input rows (same stride), every
// one computed exactly as the R = K = 1 case computes it: 16 lanes (lane j accumulates the
// elements j, j+16, ... with a fused multiply-add), the lanes summed in order, then the tail
// with fused multiply-adds. The fused operations are written out (intrinsics, std::fma), so
// the result does not depend on whether the compiler contracts a * b + c, and the decode path
// (dot_row_fused) computes the same values. Blocking only saves loads; it never changes a
// result. out[r * K + k].
template <int R, int K>
void dot_block(const float* w, const float* x, int64_t stride, int64_t length, float* out) {
  alignas(64) float lanes[R][K][kLanes];
  int64_t i = 0;
#if MEDLLM_AVX512
  __m512 acc[R][K];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int k = 0; k < K; ++k) acc[r][k] = _mm512_setzero_ps();
  }
  for (; i + kLanes <= length; i += kLanes) {
    __m512 wv[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) wv[r] = _mm512_loadu_ps(w + r * stride + i);
#pragma GCC unroll 8
    for (int k = 0; k < K; ++k) {
      const __m512 xv = _mm512_loadu_ps(x + k * stride + i);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) acc[r][k] = _mm512_fmadd_ps(wv[r], xv, acc[r][k]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int k = 0; k < K; ++k) _mm512_store_ps(lanes[r][k], acc[r][k]);
  }
#elif defined(__AVX2__)
  __m256 acc[R][K][2];
  for (int r = 0; r < R; ++r) {
    for (int k = 0; k < K; ++k) acc[r][k][0] = acc[r][k][1] = _mm256_setzero_ps();
  }
  for (; i + kLanes <= length; i += kLanes) {
    for (int h = 0; h < 2; ++h) {
      __m256 wv[R];
      for (int r = 0; r < R; ++r) wv[r] = _mm256_loadu_ps(w + r * stride + i + 8 * h);
      for (int k = 0; k < K; ++k) {
        const __m256 xv = _mm256_loadu_ps(x + k * stride + i + 8 * h);
        for (int r = 0; r < R; ++r) acc[r][k][h] = _mm256_fmadd_ps(wv[r], xv, acc[r][k][h]);
      }
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int k = 0; k < K; ++k) {
      _mm256_store_ps(lanes[r][k], acc[r][k][0]);
      _mm256_store_ps(lanes[r][k] + 8, acc[r][k][1]);
    }
  }
#else
  for (int r = 0; r < R; ++r) {
    for (int k = 0; k < K; ++k) std::fill(lanes[r][k], lanes[r][k] + kLanes, 0.0f);
  }
  for (; i + kLanes <= length; i += kLanes) {
    for (int r = 0; r < R; ++r) {
      for (int k = 0; k < K; ++k) {
        for (int j = 0; j < kLanes; ++j)
          lanes[r][k][j] = std::fma(w[r * stride + i + j], x[k * stride + i + j], lanes[r][k][j]);
      }
    }
  }
#endif
  for (int r = 0; r < R; ++r) {
    for (int k = 0; k < K; ++k) {
      float tail = 0.0f;
      for (int64_t t = i; t < length; ++t) tail = std::fma(w[r * stride + t], x[k * stride + t], tail);
      out[r * K + k] = sum_lanes(lanes[r][k]) + tail;
    }
  }
}

#if MEDLLM_AVX512 || defined(__AVX2__)
// 16 lanes of f32: one AVX-512 register, or two AVX2 registers holding lanes 0-7 and 8-15 (the
// lane layout dot_block's AVX2 branch uses, so both sets add in the same order).
#if MEDLLM_AVX512
using Vec16 = __m512;
inline Vec16 v_zero() {
  return _mm512_setzero_ps();
}
inline Vec16 v_load(const float* p) {
  return _mm512_loadu_ps(p);
}
inline void v_store(float* p, Vec16 v) {
  _mm512_storeu_ps(p, v);
}
inline Vec16 v_fma(Vec16 a, Vec16 b, Vec16 c) {
  return _mm512_fmadd_ps(a, b, c);
}
inline Vec16 v_bf16(__m256i bits) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(bits), 16));
}
inline Vec16 v_f16(__m256i bits) {
  return _mm512_cvtph_ps(bits);
}
#else
struct Vec16 {
  __m256 lo, hi;
};
inline Vec16 v_zero() {
  return {_mm256_setzero_ps(), _mm256_setzero_ps()};
}
inline Vec16 v_load(const float* p) {
  return {_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)};
}
inline void v_store(float* p, Vec16 v) {
  _mm256_storeu_ps(p, v.lo);
  _mm256_storeu_ps(p + 8, v.hi);
}
inline Vec16 v_fma(Vec16 a, Vec16 b, Vec16 c) {
  return {_mm256_fmadd_ps(a.lo, b.lo, c.lo), _mm256_fmadd_ps(a.hi, b.hi, c.hi)};
}
inline __m256 bf16_8(__m128i bits) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(bits), 16));
}
inline Vec16 v_bf16(__m256i bits) {
  return {bf16_8(_mm256_castsi256_si128(bits)), bf16_8(_mm256_extracti128_si256(bits, 1))};
}
inline Vec16 v_f16(__m256i bits) {
  return {_mm256_cvtph_ps(_mm256_castsi256_si128(bits)), _mm256_cvtph_ps(_mm256_extracti128_si256(bits, 1))};
}
#endif

// 16 weights of a row, from element i (a multiple of 16), as f32: exactly the values to_f32 gives
// (conversion is exact, or the same scale · code product).
template <DType D>
Vec16 load_weights(const std::byte* data, int64_t i) {
  if constexpr (D == DType::F32) {
    return v_load(reinterpret_cast<const float*>(data) + i);
  } else {
    static_assert(D == DType::BF16 || D == DType::F16, "load_weights: no loader for this dtype");
    const __m256i bits =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(reinterpret_cast<const uint16_t*>(data) + i));
    if constexpr (D == DType::BF16) return v_bf16(bits);
    return v_f16(bits);
  }
}

template <DType D>
float dot_row_fused_as(const std::byte* data, const float* x, int64_t length) {
  Vec16 acc = v_zero();
  int64_t i = 0;
  for (; i + kLanes <= length; i += kLanes) acc = v_fma(load_weights<D>(data, i), v_load(x + i), acc);
  alignas(64) float lanes[kLanes];
  v_store(lanes, acc);
  float tail = 0.0f;
  if (i < length) {
    float rest[kLanes];
    to_f32(D, data + dtype_bytes(D, i), rest, length - i);
    for (int64_t t = i; t < length; ++t) tail = std::fma(rest[t - i], x[t], tail);
  }
  return sum_lanes(lanes) + tail;
}

#endif

// One weight row of a float dtype as f32, for the blocked prefill path: the values to_f32 gives,
// the 16-bit float rows converted in this kernel set's registers.
void convert_row(const TensorView& weight, int64_t row, float* out) {
  const int64_t length = weight.cols();
  const std::byte* data = weight.row(row);
#if MEDLLM_AVX512 || defined(__AVX2__)
  const auto convert = [&](auto dtype) {
    constexpr DType D = decltype(dtype)::value;
    int64_t i = 0;
    for (; i + kLanes <= length; i += kLanes) v_store(out + i, load_weights<D>(data, i));
    if (i < length) to_f32(D, data + dtype_bytes(D, i), out + i, length - i);
  };
  if (weight.dtype == DType::BF16) return convert(std::integral_constant<DType, DType::BF16>{});
  if (weight.dtype == DType::F16) return convert(std::integral_constant<DType, DType::F16>{});
#endif
  to_f32(weight.dtype, data, out, length);
}

// One weight row of a float dtype dotted with one input, converting weights in registers: the
// same arithmetic as to_f32 followed by dot_block<1, 1> (conversion is exact), without writing the
// row out. Decoding reads each weight once from memory.
float dot_row_fused(const TensorView& weight, int64_t row, const float* x) {
  const int64_t length = weight.cols();
  const std::byte* data = weight.row(row);
#if MEDLLM_AVX512 || defined(__AVX2__)
  switch (weight.dtype) {
    case DType::F32:
      return dot_row_fused_as<DType::F32>(data, x, length);
    case DType::F16:
      return dot_row_fused_as<DType::F16>(data, x, length);
    case DType::BF16:
      return dot_row_fused_as<DType::BF16>(data, x, length);
    default:
      fail("internal: {} weights take the integer dot products", dtype_name(weight.dtype));
  }
#else
  std::vector<float> converted(static_cast<size_t>(length));
  to_f32(weight.dtype, data, converted.data(), length);
  float result;
  dot_block<1, 1>(converted.data(), x, length, length, &result);
  return result;
#endif
}

void matmul(const TensorView& weight, const float* x, int64_t n, float* y, ThreadPool& pool) {
  const int64_t out = weight.rows();
  const int64_t in = weight.cols();
  if (n <= 0 || out == 0) return;
  // Decoding float weights: stream each weight row once, converting in registers. (Block-quantized
  // weights come here only to be dequantized exactly, BlockMatmul::Exact: the blocked path below.)
  if (n < 4 && dtype_traits(weight.dtype).block_elems == 1) {
    pool.parallel_for(out, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        for (int64_t t = 0; t < n; ++t) y[t * out + r] = dot_row_fused(weight, r, x + t * in);
      }
    });
    return;
  }
  // Blocks of weight rows small enough to stay in L2 (converted to f32 once when stored
  // otherwise), each multiplied with groups of 8, 4 or 1 inputs (which stay in L1), two rows at
  // a time. Every element still comes from dot_block's fixed per-lane order.
  const int64_t block_rows = std::clamp<int64_t>((int64_t{64} << 10) / std::max<int64_t>(1, in) / 2 * 2, 2, 256);
  const int64_t blocks = (out + block_rows - 1) / block_rows;
  pool.parallel_for(blocks, [&](int64_t first_block, int64_t end_block) {
    std::vector<float> converted(weight.dtype == DType::F32 ? 0 : static_cast<size_t>(block_rows * in));
    float results[2 * 8];
    for (int64_t block = first_block; block < end_block; ++block) {
      const int64_t r0 = block * block_rows;
      const int64_t rows = std::min(block_rows, out - r0);
      const float* w = reinterpret_cast<const float*>(weight.row(r0));
      if (weight.dtype != DType::F32) {
        for (int64_t r = 0; r < rows; ++r) convert_row(weight, r0 + r, converted.data() + r * in);
        w = converted.data();
      }
      int64_t t = 0;
      const auto inputs = [&](auto group) {
        constexpr int K = decltype(group)::value;
        for (; t + K <= n; t += K) {
          for (int64_t r = 0; r < rows; r += 2) {
            const float* wr = w + r * in;
            const bool pair = K > 1 && r + 1 < rows;  // pairs help only when inputs are reused
            if (pair)
              dot_block<2, K>(wr, x + t * in, in, in, results);
            else
              dot_block<1, K>(wr, x + t * in, in, in, results);
            for (int64_t i = 0; i < (pair ? 2 : 1); ++i) {
              for (int k = 0; k < K; ++k) y[(t + k) * out + r0 + r + i] = results[i * K + k];
            }
            if (!pair) --r;  // advance by one row
          }
        }
      };
      inputs(std::integral_constant<int, 8>{});
      inputs(std::integral_constant<int, 4>{});
      inputs(std::integral_constant<int, 1>{});
    }
  });
}
