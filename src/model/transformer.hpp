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

// Activation buffers for a chunk of tokens, reused across calls.
struct ForwardScratch {
  std::vector<float> x, normed, q, k, v, attended, out, gate, up;
  void resize(const ModelConfig& config, int64_t tokens);
};

class Transformer {
 public:
  Transformer(const ModelConfig& config, const ModelWeights& weights);

  // Runs tokens at positions cache.positions ... and appends their keys/values to the cache.
  // logits: [tokens × vocab] for LogitsFor::All, [vocab] for LogitsFor::Last.
  void forward(std::span<const int32_t> tokens, KVCache& cache, ForwardScratch& scratch, ThreadPool& pool,
               LogitsFor which, float* logits) const;

 private:
  void forward_chunk(const int32_t* tokens, int64_t n, KVCache& cache, ForwardScratch& s, ThreadPool& pool) const;
  void embed(const int32_t* tokens, int64_t n, float* x) const;
  void self_attention(int64_t layer, int64_t n, int64_t first_position, KVCache& cache, ForwardScratch& s,
                      ThreadPool& pool) const;
  void feed_forward(const LayerWeights& w, int64_t n, ForwardScratch& s, ThreadPool& pool) const;
  void norm(const float* x, const std::vector<float>& weight, int64_t rows, int64_t dim, float* y) const;
  void output_logits(const float* hidden, int64_t n, float* logits, ForwardScratch& s, ThreadPool& pool) const;

  struct LayerRope {
    std::vector<float> inv_freq;
    float attention_factor;
  };

  const ModelConfig& config_;
  const ModelWeights& weights_;
  std::vector<LayerRope> rope_;
};

}  // namespace medllm
