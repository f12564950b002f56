#pragma once
// Next-token cross-entropy over rows of logits, fused with its gradient.

#include <cstdint>

#include "core/thread_pool.hpp"

namespace medllm::kernels {

// Returns Σ over rows whose target is ≥ 0 of −log softmax(logits[row])[target] (rows with a
// negative target, e.g. -100 as in PyTorch's ignore_index, are masked out). If dlogits is not
// null it receives (softmax − onehot(target)) · grad_scale for counted rows and 0 for masked
// ones; dlogits may be logits. Row losses are summed in row order, in double.
double cross_entropy(const float* logits, const int32_t* targets, int64_t rows, int64_t vocab, float grad_scale,
                     float* dlogits, ThreadPool& pool);

}  // namespace medllm::kernels
