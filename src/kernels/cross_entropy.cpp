#include "kernels/cross_entropy.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.hpp"

namespace medllm::kernels {

double cross_entropy(const float* logits, const int32_t* targets, int64_t rows, int64_t vocab, float grad_scale,
                     float* dlogits, ThreadPool& pool) {
  for (int64_t r = 0; r < rows; ++r) {
    if (targets[r] >= vocab)
      fail("cross_entropy: target {} at row {} is outside the vocabulary ({})", targets[r], r, vocab);
  }
  std::vector<double> row_loss(static_cast<size_t>(rows), 0.0);
  pool.parallel_for(rows, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* x = logits + r * vocab;
      const int32_t target = targets[r];
      if (target < 0) {
        if (dlogits != nullptr) std::fill(dlogits + r * vocab, dlogits + (r + 1) * vocab, 0.0f);
        continue;
      }
      const float max = *std::max_element(x, x + vocab);
      double sum = 0.0;
      for (int64_t i = 0; i < vocab; ++i) sum += std::exp(static_cast<double>(x[i] - max));
      const double log_sum = std::log(sum);
      row_loss[r] = log_sum - static_cast<double>(x[target] - max);
      if (dlogits != nullptr) {
        float* d = dlogits + r * vocab;
        const float target_logit = x[target];  // read before d (which may be x) is written
        const float inverse_sum = static_cast<float>(1.0 / sum);
        for (int64_t i = 0; i < vocab; ++i) d[i] = std::exp(x[i] - max) * inverse_sum * grad_scale;
        d[target] = (std::exp(target_logit - max) * inverse_sum - 1.0f) * grad_scale;
      }
    }
  });
  double total = 0.0;
  for (const double loss : row_loss) total += loss;
  return total;
}

}  // namespace medllm::kernels
