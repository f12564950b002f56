#pragma once
// C = α·op(A)·op(B) + β·C through BLAS sgemm, cut into a fixed grid of tiles that the thread pool
// runs one whole tile at a time. The grid depends only on the matrix shape, never on the thread
// count, so every element of C is computed by the same sgemm call whatever the pool size: a
// training run resumed on another machine computes exactly the numbers of an uninterrupted one.
// Tiles are large (up to kSgemmTile on a side) because each sgemm call packs its operands again:
// 128-wide slices cost 13–17% of sgemm's speed on this machine, 512-wide ones about 2%.

#include <cstdint>

#include "core/thread_pool.hpp"

namespace medllm::kernels {

inline constexpr int64_t kSgemmTile = 512;

// The kernels call BLAS from inside their own thread pool tasks (one sgemm per task, so results
// do not depend on the thread count); BLAS's own threads would only compete for the cores. Every
// kernel that calls BLAS calls this first; it keeps OpenBLAS at one thread for the process
// (OpenBLAS 0.3.21 has no per-call setting). Call it from the calling thread, outside pool tasks.
void blas_single_threaded();

enum class Op { None, Transpose };

struct SgemmOperand {
  const float* data = nullptr;
  int64_t ld = 0;  // leading dimension (row stride) as stored, row-major
  Op op = Op::None;
};

// C[m, n] (row stride ldc) = alpha · op(A)[m, k] · op(B)[k, n] + beta · C.
void tiled_sgemm(int64_t m, int64_t n, int64_t k, float alpha, const SgemmOperand& a, const SgemmOperand& b, float beta,
                 float* c, int64_t ldc, ThreadPool& pool);

// The tile extent along a dimension of size `size`: the dimension is cut into ceil(size / kSgemmTile)
// near-equal tiles (a multiple of 16 wide, the widest vector of floats) so that the threads get
// balanced work. Exposed for tests.
int64_t sgemm_tile_extent(int64_t size);

}  // namespace medllm::kernels
