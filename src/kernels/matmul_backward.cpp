#include "kernels/matmul_backward.hpp"

#include <cblas.h>

#include <algorithm>
#include <vector>

#include "core/error.hpp"
#include "kernels/sgemm_tiles.hpp"

namespace medllm::kernels {

namespace {

// Columns per task: 128, rounded up to whole blocks of the weight's dtype (256-element K-quant
// blocks give 256), so block-quantized rows can be converted a slice at a time.
int64_t columns_per_task(DType type) {
  const int64_t block = dtype_traits(type).block_elems;
  return (128 + block - 1) / block * block;
}

}  // namespace

void matmul_backward_input(const TensorView& weight, const float* dy, int64_t n, float* dx, bool accumulate,
                           ThreadPool& pool) {
  blas_single_threaded();
  if (weight.shape.size() != 2) fail("matmul_backward_input: weight must be a matrix");
  const int64_t out = weight.rows();
  const int64_t in = weight.cols();
  if (n <= 0 || in == 0) return;
  if (out == 0) {
    if (!accumulate) std::fill(dx, dx + n * in, 0.0f);
    return;
  }
  const float beta = accumulate ? 1.0f : 0.0f;
  if (weight.dtype == DType::F32) {
    tiled_sgemm(n, in, out, 1.0f, {dy, out, Op::None}, {reinterpret_cast<const float*>(weight.data), in, Op::None},
                beta, dx, in, pool);
    return;
  }
  const int64_t width = columns_per_task(weight.dtype);
  pool.parallel_for((in + width - 1) / width, [&](int64_t first_block, int64_t end_block) {
    std::vector<float> converted;
    for (int64_t block = first_block; block < end_block; ++block) {
      const int64_t first = block * width;
      const int64_t cols = std::min(width, in - first);
      converted.resize(static_cast<size_t>(out * cols));
      const size_t offset = dtype_bytes(weight.dtype, first);
      for (int64_t r = 0; r < out; ++r) to_f32(weight.dtype, weight.row(r) + offset, converted.data() + r * cols, cols);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(n), static_cast<int>(cols),
                  static_cast<int>(out), 1.0f, dy, static_cast<int>(out), converted.data(), static_cast<int>(cols),
                  beta, dx + first, static_cast<int>(in));
    }
  });
}

void matmul_backward_weight(const float* dy, const float* x, int64_t n, int64_t out, int64_t in, float* dw,
                            ThreadPool& pool) {
  if (n <= 0 || out == 0 || in == 0) return;
  tiled_sgemm(out, in, n, 1.0f, {dy, out, Op::Transpose}, {x, in, Op::None}, 1.0f, dw, in, pool);
}

void bias_backward(const float* dy, int64_t n, int64_t out, float* db) {
  for (int64_t r = 0; r < n; ++r) {
    const float* row = dy + r * out;
    for (int64_t i = 0; i < out; ++i) db[i] += row[i];
  }
}

}  // namespace medllm::kernels
