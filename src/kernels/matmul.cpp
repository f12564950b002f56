#include "kernels/matmul.hpp"

#include <cblas.h>

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <type_traits>
#include <vector>

#include "core/error.hpp"
#include "kernels/quant_dot.hpp"
#include "kernels/sgemm_tiles.hpp"
#include "kernels/simd/target.hpp"

namespace medllm::kernels {

namespace {

// Rows of a non-f32 weight converted to f32 for one sgemm call: small enough to stay in L2 while
// sgemm reads them.
constexpr int64_t kGemmColumnBlock = 128;

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

namespace {  // the kernel sets keep internal linkage

#define MEDLLM_SIMD_KERNELS "kernels/simd/matmul_dot.inl"
#include "kernels/simd/kernel_sets.inl"

}  // namespace

void matmul(const TensorView& weight, const float* x, int64_t n, float* y, ThreadPool& pool, BlockMatmul block) {
  check_matrix(weight);
  if (block == BlockMatmul::Int8Inputs && has_integer_dot(weight.dtype)) {
    return matmul_quantized(weight, x, n, y, pool);
  }
  MEDLLM_SIMD_CALL(matmul, weight, x, n, y, pool);
}

void matmul_blas(const TensorView& weight, const float* x, int64_t n, float* y, ThreadPool& pool) {
  blas_single_threaded();
  check_matrix(weight);
  const int64_t out = weight.rows();
  const int64_t in = weight.cols();
  if (n <= 0 || out == 0) return;
  if (weight.dtype == DType::F32) {
    tiled_sgemm(n, out, in, 1.0f, {x, in, Op::None}, {reinterpret_cast<const float*>(weight.data), in, Op::Transpose},
                0.0f, y, out, pool);
    return;
  }
  // Other dtypes: sgemm on fixed blocks of output columns, each converted to f32 first. Blocks do
  // not depend on the thread count, so neither do the results.
  const int64_t blocks = (out + kGemmColumnBlock - 1) / kGemmColumnBlock;
  pool.parallel_for(blocks, [&](int64_t first_block, int64_t end_block) {
    std::vector<float> converted(static_cast<size_t>(kGemmColumnBlock * in));
    for (int64_t block = first_block; block < end_block; ++block) {
      const int64_t first = block * kGemmColumnBlock;
      const int64_t rows = std::min(kGemmColumnBlock, out - first);
      for (int64_t r = 0; r < rows; ++r) to_f32(weight.dtype, weight.row(first + r), converted.data() + r * in, in);
      sgemm_rows(x, n, in, converted.data(), rows, y + first, out);
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
