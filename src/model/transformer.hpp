#pragma once
// The decoder-only transformer forward pass shared by every supported family: pre-norm blocks
// of grouped-query self-attention and a gated MLP, with the family's features switched on by
// ModelConfig flags.

#include <cstdint>
#include <span>
#include <vector>

#include <medllm/config.hpp>
#include <medllm/model.hpp>
#include "core/thread_pool.hpp"
#include "kernels/attention.hpp"
#include "model/weights.hpp"

namespace medllm {

// Keys and values of every layer for positions [0, positions), f32, [position][kv_heads][head_dim].
class KVCache {
 public:
  KVCache(int64_t layers, int64_t kv_dim) : keys_(layers), values_(layers), kv_dim_(kv_dim) {}
  void ensure_capacity(int64_t positions);  // grows geometrically
  float* keys(int64_t layer) { return keys_[layer].data(); }
  float* values(int64_t layer) { return values_[layer].data(); }
  int64_t positions = 0;  // filled positions

 private:
  std::vector<std::vector<float>> keys_;
  std::vector<std::vector<float>> values_;
  int64_t kv_dim_;
  int64_t capacity_ = 0;
};

// Where one token of a forward pass sits: its rope position, the cache slot that receives its key
// and value, and what it attends to: a prompt at slots [prompt_slot, prompt_slot + prompt_length)
// holding positions 0 .. prompt_length - 1, then its own sequence from own_slot up to its slot.
// A plain sequence is {position p, slot p, no prompt, own_slot 0}; continuations of a shared
// prompt are placed after it and each sees the prompt plus its own tokens only.
struct TokenPlacement {
  int64_t position = 0;
  int64_t slot = 0;
  int64_t prompt_slot = 0;
  int64_t prompt_length = 0;
  int64_t own_slot = 0;
};

// Activation buffers for a chunk of tokens, reused across calls.
struct ForwardScratch {
  std::vector<float> x, normed, q, k, v, attended, out, gate, up;
  std::vector<kernels::QuerySlots> full_slots, window_slots;  // what each token attends to
  void resize(const ModelConfig& config, int64_t tokens);
};

class Transformer {
 public:
  Transformer(const ModelConfig& config, const ModelWeights& weights);

  // Runs tokens at positions cache.positions ... and appends their keys/values to the cache.
  // logits: [tokens × vocab] for LogitsFor::All, [vocab] for LogitsFor::Last.
  void forward(std::span<const int32_t> tokens, KVCache& cache, ForwardScratch& scratch, ThreadPool& pool,
               LogitsFor which, float* logits) const;

  // One pass over tokens placed anywhere in the cache (see TokenPlacement); writes the logits of
  // the listed token indices to logits ([rows × vocab]). Each token's results are bit-identical
  // to running its sequence alone. The cache must hold every slot named.
  void forward_placed(std::span<const int32_t> tokens, std::span<const TokenPlacement> placements, KVCache& cache,
                      ForwardScratch& scratch, ThreadPool& pool, std::span<const int64_t> logit_rows,
                      float* logits) const;

 private:
  void run_layers(const int32_t* tokens, std::span<const TokenPlacement> placements, KVCache& cache, ForwardScratch& s,
                  ThreadPool& pool) const;
  void embed(const int32_t* tokens, int64_t n, float* x) const;
  void self_attention(int64_t layer, std::span<const TokenPlacement> placements, KVCache& cache, ForwardScratch& s,
                      ThreadPool& pool) const;
  void feed_forward(const LayerWeights& w, int64_t n, ForwardScratch& s, ThreadPool& pool) const;
  void norm(const float* x, const std::vector<float>& weight, int64_t rows, int64_t dim, float* y) const;
  void output_logits(const float* hidden, int64_t n, float* logits, ForwardScratch& s, ThreadPool& pool) const;
  void check_tokens(std::span<const int32_t> tokens) const;

  struct LayerRope {
    std::vector<float> inv_freq;
    float attention_factor;
  };

  const ModelConfig& config_;
  const ModelWeights& weights_;
  std::vector<LayerRope> rope_;
};

}  // namespace medllm
