#include "kernels/matmul.hpp"

#include <cblas.h>

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <vector>

#include "core/error.hpp"

namespace medllm::kernels {

namespace {

// Output columns per sgemm call (and rows of a non-f32 weight converted to f32 at a time: small
// enough to stay in L2 while sgemm reads them).
constexpr int64_t kGemmColumnBlock = 128;
// Independent accumulator lanes: lets the compiler vectorise without reassociating sums, so the
// result is the same on every machine that runs this code.
constexpr int kLanes = 16;

float sum_lanes(const float* acc) {
  float total = 0.0f;
  for (int i = 0; i < kLanes; ++i) total += acc[i];
  return total;
}

// Dot products of R f32 weight rows (stride `stride`) with K input rows (same stride), every
// one computed exactly as the R = K = 1 case computes it: 16 lanes (lane j sums the elements
// j, j+16, ..., multiply then add, no fused multiply-add), the lanes summed in order, then the
// scalar tail. Blocking only saves loads; it never changes a result. out[r * K + k].
template <int R, int K>
void dot_block(const float* w, const float* x, int64_t stride, int64_t length, float* out) {
  alignas(64) float lanes[R][K][kLanes];
  int64_t i = 0;
#if defined(__AVX512F__)
  __m512 acc[R][K];
  for (int r = 0; r < R; ++r) {
    for (int k = 0; k < K; ++k) acc[r][k] = _mm512_setzero_ps();
  }
  for (; i + kLanes <= length; i += kLanes) {
    __m512 wv[R];
    for (int r = 0; r < R; ++r) wv[r] = _mm512_loadu_ps(w + r * stride + i);
    for (int k = 0; k < K; ++k) {
      const __m512 xv = _mm512_loadu_ps(x + k * stride + i);
      for (int r = 0; r < R; ++r) acc[r][k] = _mm512_add_ps(acc[r][k], _mm512_mul_ps(wv[r], xv));
    }
  }
  for (int r = 0; r < R; ++r) {
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
        for (int r = 0; r < R; ++r) acc[r][k][h] = _mm256_add_ps(acc[r][k][h], _mm256_mul_ps(wv[r], xv));
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
        for (int j = 0; j < kLanes; ++j) lanes[r][k][j] += w[r * stride + i + j] * x[k * stride + i + j];
      }
    }
  }
#endif
  for (int r = 0; r < R; ++r) {
    for (int k = 0; k < K; ++k) {
      float tail = 0.0f;
      for (int64_t t = i; t < length; ++t) tail += w[r * stride + t] * x[k * stride + t];
      out[r * K + k] = sum_lanes(lanes[r][k]) + tail;
    }
  }
}

// y[n, ldy] (columns 0..rows) = x[n, in] · w[rows, in]ᵀ
void sgemm_rows(const float* x, int64_t n, int64_t in, const float* w, int64_t rows, float* y, int64_t ldy) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n), static_cast<int>(rows),
              static_cast<int>(in), 1.0f, x, static_cast<int>(in), w, static_cast<int>(in), 0.0f, y,
              static_cast<int>(ldy));
}

void check_matrix(const TensorView& weight) {
  if (weight.shape.size() != 2) fail("matmul needs a 2-D weight, got shape {}", shape_to_string(weight.shape));
}

}  // namespace

void use_single_threaded_blas() {
  openblas_set_num_threads(1);
}

void matmul(const TensorView& weight, const float* x, int64_t n, float* y, ThreadPool& pool) {
  check_matrix(weight);
  const int64_t out = weight.rows();
  const int64_t in = weight.cols();
  if (n <= 0 || out == 0) return;
  // Pairs of weight rows (converted to f32 when stored otherwise) against groups of 4 inputs.
  constexpr int64_t kRows = 2;
  const int64_t pairs = (out + kRows - 1) / kRows;
  pool.parallel_for(pairs, [&](int64_t begin, int64_t end) {
    std::vector<float> converted(weight.dtype == DType::F32 ? 0 : static_cast<size_t>(kRows * in));
    float results[kRows * 4];
    for (int64_t pair = begin; pair < end; ++pair) {
      const int64_t r0 = pair * kRows;
      const int64_t rows = std::min(kRows, out - r0);
      const float* w = reinterpret_cast<const float*>(weight.row(r0));
      if (weight.dtype != DType::F32) {
        for (int64_t r = 0; r < rows; ++r) to_f32(weight.dtype, weight.row(r0 + r), converted.data() + r * in, in);
        w = converted.data();
      }
      int64_t t = 0;
      for (; t + 4 <= n; t += 4) {
        if (rows == 2)
          dot_block<2, 4>(w, x + t * in, in, in, results);
        else
          dot_block<1, 4>(w, x + t * in, in, in, results);
        for (int64_t r = 0; r < rows; ++r) {
          for (int k = 0; k < 4; ++k) y[(t + k) * out + r0 + r] = results[r * 4 + k];
        }
      }
      for (; t < n; ++t) {
        if (rows == 2)
          dot_block<2, 1>(w, x + t * in, in, in, results);
        else
          dot_block<1, 1>(w, x + t * in, in, in, results);
        for (int64_t r = 0; r < rows; ++r) y[t * out + r0 + r] = results[r];
      }
    }
  });
}

void matmul_blas(const TensorView& weight, const float* x, int64_t n, float* y, ThreadPool& pool) {
  check_matrix(weight);
  const int64_t out = weight.rows();
  const int64_t in = weight.cols();
  if (n <= 0 || out == 0) return;
  // sgemm on fixed blocks of output columns, single-threaded inside our workers, so one set of
  // threads serves BLAS and our kernels and results do not depend on the thread count.
  const int64_t blocks = (out + kGemmColumnBlock - 1) / kGemmColumnBlock;
  pool.parallel_for(blocks, [&](int64_t first_block, int64_t end_block) {
    std::vector<float> converted;
    if (weight.dtype != DType::F32) converted.resize(static_cast<size_t>(kGemmColumnBlock * in));
    for (int64_t block = first_block; block < end_block; ++block) {
      const int64_t first = block * kGemmColumnBlock;
      const int64_t rows = std::min(kGemmColumnBlock, out - first);
      const float* w = reinterpret_cast<const float*>(weight.row(first));
      if (weight.dtype != DType::F32) {
        for (int64_t r = 0; r < rows; ++r) to_f32(weight.dtype, weight.row(first + r), converted.data() + r * in, in);
        w = converted.data();
      }
      sgemm_rows(x, n, in, w, rows, y + first, out);
    }
  });
}

void matmul_reference(const TensorView& weight, const float* x, int64_t n, float* y) {
  check_matrix(weight);
  const int64_t out = weight.rows();
  const int64_t in = weight.cols();
  std::vector<float> row(static_cast<size_t>(in));
  for (int64_t r = 0; r < out; ++r) {
    to_f32(weight.dtype, weight.row(r), row.data(), in);
    for (int64_t t = 0; t < n; ++t) {
      double sum = 0.0;
      for (int64_t i = 0; i < in; ++i) sum += static_cast<double>(row[i]) * x[t * in + i];
      y[t * out + r] = static_cast<float>(sum);
    }
  }
}

}  // namespace medllm::kernels
