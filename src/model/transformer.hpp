#pragma once
// Inference over a key/value cache: runs the one transformer forward (model/forward.hpp) on
// tokens placed anywhere in the cache, with the weights as stored (any dtype, memory-mapped).

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include <medllm/config.hpp>
#include <medllm/model.hpp>
#include "core/growable_floats.hpp"
#include "core/thread_pool.hpp"
#include "kernels/attention.hpp"
#include "model/forward.hpp"
#include "model/weights.hpp"

namespace medllm {

// Keys and values of every layer for positions [0, positions), f32, [position][kv_heads][head_dim].
class KVCache {
 public:
  KVCache(int64_t layers, int64_t kv_dim) : keys_(layers), values_(layers), kv_dim_(kv_dim) {}
  void ensure_capacity(int64_t positions);  // grows geometrically, in place where the kernel can
  float* keys(int64_t layer) { return keys_[layer].data(); }
  float* values(int64_t layer) { return values_[layer].data(); }
  int64_t positions = 0;  // filled positions

 private:
  std::vector<GrowableFloats> keys_;
  std::vector<GrowableFloats> values_;
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

// Activation buffers for a chunk of tokens, reused by every layer and across calls.
struct ForwardScratch {
  std::vector<float> x, normed;
  std::vector<int64_t> positions;  // the placements' rope positions
  LayerActivations layer;
  BlockScratch block;
  std::vector<kernels::QuerySlots> full_slots, window_slots;  // what each token attends to
  int64_t window_slots_for = -1;                              // the window window_slots were made for
};

class Transformer {
 public:
  Transformer(const ModelConfig& config, const ModelWeights& weights);

  // Runs tokens at positions cache.positions ... and appends their keys/values to the cache.
  // logits: [tokens × vocab] for LogitsFor::All, [vocab] for LogitsFor::Last.
  void forward(std::span<const int32_t> tokens, KVCache& cache, ForwardScratch& scratch, ThreadPool& pool,
               LogitsFor which, float* logits) const;

  // Called with every layer projection's input (x: n rows of the weight's column count), in the
  // forward's order, from the thread that runs the forward: what `medllm imatrix` collects. An
  // empty function stops the calls. Not for use while another thread runs a forward.
  using ProjectionObserver = std::function<void(int64_t layer, Projection which, const float* x, int64_t n)>;
  void set_projection_observer(ProjectionObserver observer) { observer_ = std::move(observer); }

  // One pass over tokens placed anywhere in the cache (see TokenPlacement); writes the logits of
  // the listed token indices to logits ([rows × vocab]). Each token's results are bit-identical
  // to running its sequence alone. The cache must hold every slot named.
  void forward_placed(std::span<const int32_t> tokens, std::span<const TokenPlacement> placements, KVCache& cache,
                      ForwardScratch& scratch, ThreadPool& pool, std::span<const int64_t> logit_rows,
                      float* logits) const;

 private:
  class Policy;
  void run_layers(const int32_t* tokens, std::span<const TokenPlacement> placements, Policy& policy, ForwardScratch& s,
                  ThreadPool& pool) const;
  void check_tokens(std::span<const int32_t> tokens) const;

  const ModelConfig& config_;
  const ModelWeights& weights_;
  TransformerForward forward_;
  ProjectionObserver observer_;
};

}  // namespace medllm
