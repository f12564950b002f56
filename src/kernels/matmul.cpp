#include "kernels/matmul.hpp"

#include <cblas.h>

#if defined(__F16C__) && defined(__AVX2__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <vector>

#include "core/error.hpp"

namespace medllm::kernels {

namespace {

// Below this many input rows the weight-streaming dot kernels beat converting weights for sgemm.
constexpr int64_t kGemmMinRows = 4;
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

float dot_f32(const float* w, const float* x, int64_t n) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) acc[j] += w[i + j] * x[i + j];
  }
  float tail = 0.0f;
  for (; i < n; ++i) tail += w[i] * x[i];
  return sum_lanes(acc) + tail;
}

float dot_bf16(const uint16_t* w, const float* x, int64_t n) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) acc[j] += bf16_to_f32(w[i + j]) * x[i + j];
  }
  float tail = 0.0f;
  for (; i < n; ++i) tail += bf16_to_f32(w[i]) * x[i];
  return sum_lanes(acc) + tail;
}

float dot_f16(const uint16_t* w, const float* x, int64_t n) {
  int64_t i = 0;
  float total = 0.0f;
#if defined(__F16C__) && defined(__AVX2__)
  __m256 acc0 = _mm256_setzero_ps();
  __m256 acc1 = _mm256_setzero_ps();
  for (; i + 16 <= n; i += 16) {
    const __m256 w0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i)));
    const __m256 w1 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i + 8)));
    acc0 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + i), acc0);
    acc1 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + i + 8), acc1);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, _mm256_add_ps(acc0, acc1));
  for (float lane : lanes) total += lane;
#endif
  for (; i < n; ++i) total += f16_to_f32(w[i]) * x[i];
  return total;
}

float dot_q8_0(const BlockQ8_0* blocks, const float* x, int64_t n) {
  float total = 0.0f;
  for (int64_t b = 0; b < n / kQ8_0BlockElems; ++b) {
    const float* xb = x + b * kQ8_0BlockElems;
    float acc[kLanes] = {};
    for (int64_t i = 0; i < kQ8_0BlockElems; i += kLanes) {
      for (int j = 0; j < kLanes; ++j) acc[j] += static_cast<float>(blocks[b].quants[i + j]) * xb[i + j];
    }
    total += f16_to_f32(blocks[b].scale_f16) * sum_lanes(acc);
  }
  return total;
}

float dot_q4_0(const BlockQ4_0* blocks, const float* x, int64_t n) {
  constexpr int64_t kHalf = kQ4_0BlockElems / 2;
  float total = 0.0f;
  for (int64_t b = 0; b < n / kQ4_0BlockElems; ++b) {
    const float* xb = x + b * kQ4_0BlockElems;
    float acc[kLanes] = {};
    for (int j = 0; j < kLanes; ++j) {
      const uint8_t q = blocks[b].quants[j];
      acc[j] += static_cast<float>((q & 0x0f) - 8) * xb[j] + static_cast<float>((q >> 4) - 8) * xb[j + kHalf];
    }
    total += f16_to_f32(blocks[b].scale_f16) * sum_lanes(acc);
  }
  return total;
}

float dot_row(const TensorView& weight, int64_t row, const float* x) {
  const std::byte* w = weight.row(row);
  const int64_t n = weight.cols();
  switch (weight.dtype) {
    case DType::F32:
      return dot_f32(reinterpret_cast<const float*>(w), x, n);
    case DType::BF16:
      return dot_bf16(reinterpret_cast<const uint16_t*>(w), x, n);
    case DType::F16:
      return dot_f16(reinterpret_cast<const uint16_t*>(w), x, n);
    case DType::Q8_0:
      return dot_q8_0(reinterpret_cast<const BlockQ8_0*>(w), x, n);
    case DType::Q4_0:
      return dot_q4_0(reinterpret_cast<const BlockQ4_0*>(w), x, n);
  }
  return 0.0f;
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
  if (n < kGemmMinRows) {
    pool.parallel_for(out, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        for (int64_t t = 0; t < n; ++t) y[t * out + r] = dot_row(weight, r, x + t * in);
      }
    });
    return;
  }
  // Many rows: sgemm on fixed blocks of output columns, single-threaded inside our workers, so
  // one set of threads serves BLAS and our kernels, and every output element comes from the
  // same call shape whatever the thread count (BLAS results depend on the call's dimensions).
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
