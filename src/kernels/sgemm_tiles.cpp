#include "kernels/sgemm_tiles.hpp"

#include <cblas.h>

#include <algorithm>

namespace medllm::kernels {

int64_t sgemm_tile_extent(int64_t size) {
  if (size <= kSgemmTile) return std::max<int64_t>(size, 1);
  const int64_t tiles = (size + kSgemmTile - 1) / kSgemmTile;
  const int64_t even = (size + tiles - 1) / tiles;
  return (even + 15) / 16 * 16;
}

void blas_single_threaded() {
  // Checked at every call, not once: the application may have changed the setting since.
  if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
}

void tiled_sgemm(int64_t m, int64_t n, int64_t k, float alpha, const SgemmOperand& a, const SgemmOperand& b, float beta,
                 float* c, int64_t ldc, ThreadPool& pool) {
  blas_single_threaded();
  if (m <= 0 || n <= 0) return;
  const int64_t tile_m = sgemm_tile_extent(m);
  const int64_t tile_n = sgemm_tile_extent(n);
  const int64_t tiles_m = (m + tile_m - 1) / tile_m;
  const int64_t tiles_n = (n + tile_n - 1) / tile_n;
  // Where row i of op(A) and column j of op(B) start in memory.
  const auto a_rows = [&](int64_t i) { return a.op == Op::None ? a.data + i * a.ld : a.data + i; };
  const auto b_cols = [&](int64_t j) { return b.op == Op::None ? b.data + j : b.data + j * b.ld; };
  const auto transpose = [](Op op) { return op == Op::None ? CblasNoTrans : CblasTrans; };
  pool.parallel_for(tiles_m * tiles_n, [&](int64_t first, int64_t end) {
    for (int64_t tile = first; tile < end; ++tile) {
      const int64_t i = (tile / tiles_n) * tile_m;
      const int64_t j = (tile % tiles_n) * tile_n;
      const int64_t rows = std::min(tile_m, m - i);
      const int64_t cols = std::min(tile_n, n - j);
      if (k == 0) {  // BLAS would still scale C by beta; do the same without it
        for (int64_t r = 0; r < rows; ++r) {
          float* row = c + (i + r) * ldc + j;
          for (int64_t q = 0; q < cols; ++q) row[q] = beta == 0.0f ? 0.0f : beta * row[q];
        }
        continue;
      }
      cblas_sgemm(CblasRowMajor, transpose(a.op), transpose(b.op), static_cast<int>(rows), static_cast<int>(cols),
                  static_cast<int>(k), alpha, a_rows(i), static_cast<int>(a.ld), b_cols(j), static_cast<int>(b.ld),
                  beta, c + i * ldc + j, static_cast<int>(ldc));
    }
  });
}

}  // namespace medllm::kernels
