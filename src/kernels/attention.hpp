#pragma once
// Causal scaled-dot-product attention of new queries over a key/value cache, with grouped
// kv heads, optional sliding window and optional score soft-capping.

#include <cstdint>

#include "core/thread_pool.hpp"

namespace medllm::kernels {

struct AttentionShape {
  int64_t heads = 0;     // query heads
  int64_t kv_heads = 0;  // key/value heads; heads / kv_heads queries share one
  int64_t head_dim = 0;
};

struct AttentionOptions {
  float scale = 1.0f;    // multiplies q·k
  float softcap = 0.0f;  // 0: off
  int64_t window = 0;    // 0: full causal; else a query at p sees keys p - window < j <= p
};

// q: [tokens, heads, head_dim] for positions first_position ... first_position + tokens - 1.
// keys / values: [cache positions, kv_heads, head_dim], already holding those positions.
// out: [tokens, heads, head_dim].
void attention(const float* q, const float* keys, const float* values, int64_t tokens, int64_t first_position,
               const AttentionShape& shape, const AttentionOptions& options, float* out, ThreadPool& pool);

}  // namespace medllm::kernels
