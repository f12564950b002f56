#include "machine_reference.hpp"

#include <cblas.h>

#include <random>

#include "timing.hpp"

namespace medllm::bench {

namespace {

// Independent accumulators keep several loads in flight and let the compiler vectorise the sum
// (the same pattern as medllm's dot kernels), so the loop is limited by memory, not by adds.
constexpr int kLanes = 16;

float sum(const float* values, int64_t n) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) acc[j] += values[i + j];
  }
  float total = 0.0f;
  for (; i < n; ++i) total += values[i];
  for (float a : acc) total += a;
  return total;
}

// The sums are stored here so the compiler cannot drop the reads.
volatile float g_sink = 0.0f;

std::vector<float> random_values(int64_t n, uint64_t seed) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> values(static_cast<size_t>(n));
  for (float& v : values) v = uniform(rng);
  return values;
}

}  // namespace

MemoryReadProbe::MemoryReadProbe(size_t bytes, ThreadPool& pool) : buffer_(bytes / sizeof(float), 1.0f), pool_(pool) {}

double MemoryReadProbe::read_bytes_per_second() {
  const int parts = pool_.size();
  const int64_t n = static_cast<int64_t>(buffer_.size());
  std::vector<float> partial(static_cast<size_t>(parts));
  const double seconds = time_seconds([&] {
    // One range per thread, like the row ranges of the decode matmuls.
    pool_.parallel_for(parts, [&](int64_t begin, int64_t end) {
      for (int64_t part = begin; part < end; ++part) {
        const int64_t first = n * part / parts;
        const int64_t last = n * (part + 1) / parts;
        partial[static_cast<size_t>(part)] = sum(buffer_.data() + first, last - first);
      }
    });
  });
  for (float p : partial) g_sink = g_sink + p;
  return static_cast<double>(buffer_.size() * sizeof(float)) / seconds;
}

SgemmProbe::SgemmProbe(int64_t m, int64_t n, int64_t k, int threads)
    : m_(m), n_(n), k_(k), threads_(threads), x_(random_values(m * k, 1)), w_(random_values(n * k, 2)), y_(m * n) {}

double SgemmProbe::flops_per_second() {
  // OpenBLAS's thread count is global: restore medllm's setting (it runs BLAS single-threaded
  // inside its own pool) so the model measured next is not oversubscribed.
  const int previous_threads = openblas_get_num_threads();
  openblas_set_num_threads(threads_);
  auto call = [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m_), static_cast<int>(n_),
                static_cast<int>(k_), 1.0f, x_.data(), static_cast<int>(k_), w_.data(), static_cast<int>(k_), 0.0f,
                y_.data(), static_cast<int>(n_));
  };
  call();
  const double seconds = time_seconds([&] {
    for (int i = 0; i < kCallsPerSample; ++i) call();
  });
  g_sink = g_sink + y_[0];
  openblas_set_num_threads(previous_threads);
  return 2.0 * static_cast<double>(m_ * n_ * k_) * kCallsPerSample / seconds;
}

}  // namespace medllm::bench
