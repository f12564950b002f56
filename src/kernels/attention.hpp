#pragma once
// Scaled-dot-product attention of queries over a key/value cache, with grouped kv heads and
// optional score soft-capping. Which cache slots a query sees is given per query as up to two
// slot ranges (a shared prompt and the query's own sequence), so several sequences, or several
// continuations of one prompt, can share one cache in one forward pass.

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
};

// Cache slots [begin, end) a query attends to; the keys are visited in the order of the ranges.
struct SlotRange {
  int64_t begin = 0;
  int64_t end = 0;
};
struct QuerySlots {
  SlotRange ranges[2];
};

// q: [tokens, heads, head_dim]; keys / values: [cache slots, kv_heads, head_dim];
// out: [tokens, heads, head_dim]. A query's result depends only on its own q and visible keys:
// each score q·k is summed in one fixed order on every kernel set (kernels/simd/attention.inl).
void attention(const float* q, const float* keys, const float* values, int64_t tokens, const QuerySlots* slots,
               const AttentionShape& shape, const AttentionOptions& options, float* out, ThreadPool& pool);

}  // namespace medllm::kernels
