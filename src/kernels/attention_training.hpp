#pragma once
// Causal self-attention over whole sequences for training, and its gradient. The forward keeps
// only each query's log-sum-exp of the scores; the backward recomputes the probabilities from it
// one query at a time, so memory grows with the sequence length, never with its square.

#include <cstdint>

#include "core/thread_pool.hpp"
#include "kernels/attention.hpp"

namespace medllm::kernels {

struct CausalAttentionShape {
  int64_t batch = 0;  // independent sequences
  int64_t seq = 0;    // tokens per sequence; token i sits at position i
  AttentionShape heads;
  int64_t window = 0;  // 0: full causal; else query i sees keys i - window < j <= i
};

// q, out: [batch·seq, heads, head_dim]; k, v: [batch·seq, kv_heads, head_dim];
// lse: [batch·seq, heads], log Σ_j exp(score_ij) after scaling and soft-capping. Queries go in
// blocks of 64 through sgemm; each block's scores are the only buffer that grows with seq.
void causal_attention_forward(const float* q, const float* k, const float* v, const CausalAttentionShape& shape,
                              const AttentionOptions& options, float* out, float* lse, ThreadPool& pool);

// Given dout = ∂L/∂out, writes (overwrites) dq, dk, dv. Work is split by (sequence, kv head), so
// each gradient element has one writer and the result does not depend on the thread count.
void causal_attention_backward(const float* q, const float* k, const float* v, const float* out, const float* lse,
                               const float* dout, const CausalAttentionShape& shape, const AttentionOptions& options,
                               float* dq, float* dk, float* dv, ThreadPool& pool);

}  // namespace medllm::kernels
