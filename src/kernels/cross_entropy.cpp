#include "kernels/cross_entropy.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "kernels/elementwise.hpp"

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
      const float max = max_value(x, vocab);
      const float target_logit = x[target];  // read before d (which may be x) is written
      float* d = dlogits != nullptr ? dlogits + r * vocab : nullptr;
      const double sum = exp_shifted(x, max, vocab, d);
      row_loss[r] = std::log(sum) - static_cast<double>(target_logit - max);
      if (d != nullptr) {
        const auto scale = static_cast<float>(grad_scale / sum);
        for (int64_t i = 0; i < vocab; ++i) d[i] *= scale;
        d[target] -= grad_scale;  // ∂/∂logit_target of −log softmax: p − 1
      }
    }
  });
  double total = 0.0;
  for (const double loss : row_loss) total += loss;
  return total;
}

}  // namespace medllm::kernels
