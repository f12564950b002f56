#pragma once
// What the machine itself can do, measured in the same run as the model so that the model's
// figures can be given as fractions of it: memory-read bandwidth (the roofline of decoding,
// which streams every weight once per token) and OpenBLAS sgemm throughput (the roofline of
// prefill, whose matmuls go through sgemm).

#include <cstdint>
#include <vector>

#include "core/thread_pool.hpp"

namespace medllm::bench {

// Reads a buffer of a given size with the pool's threads, each summing its own contiguous part.
class MemoryReadProbe {
 public:
  MemoryReadProbe(size_t bytes, ThreadPool& pool);
  // Bytes per second of one full read of the buffer.
  double read_bytes_per_second();

 private:
  std::vector<float> buffer_;
  ThreadPool& pool_;
};

// Times cblas_sgemm for y[m, n] = x[m, k] · W[n, k]ᵀ, the call medllm's matmul makes for
// prefill, with OpenBLAS set to `threads` threads.
class SgemmProbe {
 public:
  SgemmProbe(int64_t m, int64_t n, int64_t k, int threads);
  // FLOP per second (2·m·n·k per call), timed over kCallsPerSample calls after a warm-up call.
  double flops_per_second();
  // Enough calls that one sample lasts a few tens of milliseconds at typical speeds.
  static constexpr int kCallsPerSample = 10;

 private:
  int64_t m_, n_, k_;
  int threads_;
  std::vector<float> x_, w_, y_;
};

}  // namespace medllm::bench
