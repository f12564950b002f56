#pragma once
// The one transformer forward of every supported family: pre-norm blocks of grouped-query
// self-attention and a gated MLP, the family's features switched on by ModelConfig flags. Each
// flag is read here and nowhere else in a forward.
//
// Inference (KV cache, placed batches: model/transformer) and training (whole sequences, saved
// activations, LoRA: model/trainable_transformer) run this same code. What differs between them
// comes through a ForwardPolicy: how a projection is applied (a stored tensor, or a trained one
// with LoRA), how attention finds its keys (the cache, or the batch's own sequences), and where a
// layer's activations live (one scratch reused by every layer, or kept per layer for the backward).

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include <medllm/config.hpp>
#include "core/tensor.hpp"
#include "core/thread_pool.hpp"
#include "kernels/attention.hpp"
#include "model/weight_table.hpp"

namespace medllm {

using Buffer = std::vector<float>;

// What one block computes, named after its equations ([n × width] each). A policy that trains
// keeps one of these per layer; the backward reads them.
struct LayerActivations {
  Buffer x_in;          // the block's input (kept only when the policy keeps residuals)
  Buffer attn_normed;   // attention_norm(x_in)
  Buffer q_raw, k_raw;  // q and k before their norms (qk_norm families only)
  Buffer q, k, v;       // q and k after norm and rope
  Buffer attended;      // attention(q, k, v)
  Buffer o_out;         // o(attended)
  Buffer x_mid;         // x_in + [post_attention_norm](o_out) (kept only with residuals)
  Buffer ffn_normed;    // ffn_norm(x_mid)
  Buffer gate, up;      // gate(ffn_normed), up(ffn_normed)
  Buffer down_out;      // down(act(gate) ⊙ up)
};

// Buffers a block uses and drops: never kept per layer.
struct BlockScratch {
  Buffer hidden;  // act(gate) ⊙ up
  Buffer branch;  // a branch after its sandwich norm
};

// How one layer attends: its heads, score scale and soft-cap, and sliding window (0: none).
struct AttentionCall {
  kernels::AttentionShape shape;
  kernels::AttentionOptions options;
  int64_t window = 0;
};

// The parts of a forward that differ between inference and training.
class ForwardPolicy {
 public:
  virtual ~ForwardPolicy() = default;
  virtual const TensorView& embedding() const = 0;
  // The norm's weight; only asked for norms the config's family has.
  virtual const float* norm(int64_t layer, Norm which) const = 0;
  virtual const float* final_norm() const = 0;
  // y[n × out] = x[n × in] · Wᵀ (+ bias, + LoRA).
  virtual void project(int64_t layer, Projection which, const float* x, int64_t n, float* y, ThreadPool& pool) = 0;
  virtual void project_head(const float* x, int64_t n, float* logits, ThreadPool& pool) = 0;
  // out = attention of the n tokens' q over the keys and values they see; k and v are this
  // call's tokens' own (q and k after rope).
  virtual void attend(int64_t layer, const AttentionCall& call, const float* q, const float* k, const float* v,
                      int64_t n, float* out, ThreadPool& pool) = 0;
  // Where layer's activations go: the same scratch for every layer, or one per layer.
  virtual LayerActivations& activations(int64_t layer) = 0;
  virtual BlockScratch& scratch() = 0;
  // Whether each block's input and mid-block residual are kept (the backward needs them).
  virtual bool keeps_residuals() const = 0;
};

class TransformerForward {
 public:
  explicit TransformerForward(const ModelConfig& config);

  // x[n × hidden] = embedding rows of tokens · embedding_scale
  void embed(const int32_t* tokens, int64_t n, float* x, const ForwardPolicy& policy) const;
  // One block over n tokens at the given rope positions: x ← block(x).
  void layer(int64_t layer, std::span<const int64_t> positions, float* x, ForwardPolicy& policy,
             ThreadPool& pool) const;
  // logits[n × vocab] = softcap(lm_head(final_norm(hidden))); normed receives final_norm(hidden).
  void logits(const float* hidden, int64_t n, Buffer& normed, float* logits, ForwardPolicy& policy,
              ThreadPool& pool) const;

  // The block's arithmetic pieces, shared with the backward so that it reads the same flags.
  struct Rope {
    std::vector<float> inv_freq;
    float attention_factor;
  };
  const Rope& rope(int64_t layer) const { return rope_[static_cast<size_t>(layer)]; }
  AttentionCall attention_call(int64_t layer) const;
  float norm_offset() const { return config_.norm_offset_one ? 1.0f : 0.0f; }
  float norm_eps() const { return static_cast<float>(config_.rms_norm_eps); }
  // h = act(gate) ⊙ up over n × intermediate elements, in fixed chunks on the pool.
  void gated(const Buffer& gate, const Buffer& up, int64_t count, Buffer& h, ThreadPool& pool) const;

 private:
  void attention(int64_t layer, std::span<const int64_t> positions, LayerActivations& s, ForwardPolicy& policy,
                 ThreadPool& pool) const;
  void feed_forward(int64_t layer, int64_t n, LayerActivations& s, ForwardPolicy& policy, ThreadPool& pool) const;
  // x += [post-norm](branch): the residual add after each half of a block.
  void residual(int64_t layer, Norm post, const Buffer& branch, int64_t n, float* x, ForwardPolicy& policy) const;
  void norm(const float* x, const float* weight, int64_t rows, int64_t dim, float* y) const;

  const ModelConfig& config_;
  std::vector<Rope> rope_;
};

// Runs body(begin, end) over [0, n) in fixed chunks on the pool: for element-wise work, whose
// result then does not depend on the thread count.
void parallel_chunks(ThreadPool& pool, int64_t n, const std::function<void(int64_t, int64_t)>& body);

}  // namespace medllm
