#include "model/transformer.hpp"

#include <algorithm>
#include <cstring>

#include "core/error.hpp"
#include "kernels/attention.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/matmul.hpp"

namespace medllm {

void KVCache::ensure_capacity(int64_t needed) {
  if (needed <= capacity_) return;
  const int64_t capacity = std::max(needed, std::max<int64_t>(64, capacity_ * 2));
  for (auto& k : keys_) k.grow(static_cast<size_t>(capacity * kv_dim_));
  for (auto& v : values_) v.grow(static_cast<size_t>(capacity * kv_dim_));
  capacity_ = capacity;
}

namespace {

// Long prompts run in chunks so activation memory stays bounded.
constexpr int64_t kChunkTokens = 512;

// The slots a token attends to, with or without a sliding window over positions.
kernels::QuerySlots visible_slots(const TokenPlacement& p, int64_t window) {
  const int64_t lowest = window > 0 ? p.position - window + 1 : 0;  // lowest visible position
  const int64_t own_first_position = p.position - (p.slot - p.own_slot);
  kernels::QuerySlots out;
  out.ranges[0] = {p.prompt_slot + std::clamp<int64_t>(lowest, 0, p.prompt_length), p.prompt_slot + p.prompt_length};
  out.ranges[1] = {p.own_slot + std::max<int64_t>(0, lowest - own_first_position), p.slot + 1};
  return out;
}

}  // namespace

// The forward with stored weights, one scratch for every layer, and attention over the cache:
// each token's key and value go to its slot, and it attends to the slots its placement names.
class Transformer::Policy final : public ForwardPolicy {
 public:
  Policy(const ModelWeights& weights, std::span<const TokenPlacement> placements, KVCache& cache, ForwardScratch& s,
         const ProjectionObserver& observer)
      : weights_(weights), placements_(placements), cache_(cache), s_(s), observer_(observer) {
    s.full_slots.resize(placements.size());
    for (size_t t = 0; t < placements.size(); ++t) s.full_slots[t] = visible_slots(placements[t], 0);
    s.window_slots_for = -1;
  }

  const TensorView& embedding() const override { return weights_.embed; }
  const float* norm(int64_t layer, Norm which) const override { return weights_.layers[layer].norm(which).data(); }
  const float* final_norm() const override { return weights_.final_norm.data(); }
  void project(int64_t layer, Projection which, const float* x, int64_t n, float* y, ThreadPool& pool) override {
    if (observer_) observer_(layer, which, x, n);
    const LayerWeights& w = weights_.layers[layer];
    kernels::matmul(w.weight(which), x, n, y, pool, weights_.block_matmul);
    const std::vector<float>& bias = w.bias(which);
    if (bias.empty()) return;
    const auto out = static_cast<int64_t>(bias.size());
    for (int64_t t = 0; t < n; ++t) kernels::add(y + t * out, bias.data(), out);
  }
  void project_head(const float* x, int64_t n, float* logits, ThreadPool& pool) override {
    kernels::matmul(weights_.lm_head, x, n, logits, pool, weights_.block_matmul);
  }
  void attend(int64_t layer, const AttentionCall& call, const float* q, const float* k, const float* v, int64_t n,
              float* out, ThreadPool& pool) override {
    const int64_t kv_dim = call.shape.kv_heads * call.shape.head_dim;
    for (int64_t t = 0; t < n; ++t) {
      const int64_t slot = placements_[static_cast<size_t>(t)].slot;
      std::memcpy(cache_.keys(layer) + slot * kv_dim, k + t * kv_dim, sizeof(float) * kv_dim);
      std::memcpy(cache_.values(layer) + slot * kv_dim, v + t * kv_dim, sizeof(float) * kv_dim);
    }
    kernels::attention(q, cache_.keys(layer), cache_.values(layer), n, slots(call.window).data(), call.shape,
                       call.options, out, pool);
  }
  LayerActivations& activations(int64_t) override { return s_.layer; }
  BlockScratch& scratch() override { return s_.block; }
  bool keeps_residuals() const override { return false; }

 private:
  const std::vector<kernels::QuerySlots>& slots(int64_t window) {
    if (window == 0) return s_.full_slots;
    if (s_.window_slots_for != window) {
      s_.window_slots.resize(placements_.size());
      for (size_t t = 0; t < placements_.size(); ++t) s_.window_slots[t] = visible_slots(placements_[t], window);
      s_.window_slots_for = window;
    }
    return s_.window_slots;
  }

  const ModelWeights& weights_;
  std::span<const TokenPlacement> placements_;
  KVCache& cache_;
  ForwardScratch& s_;
  const ProjectionObserver& observer_;
};

Transformer::Transformer(const ModelConfig& config, const ModelWeights& weights)
    : config_(config), weights_(weights), forward_(config) {}

void Transformer::run_layers(const int32_t* tokens, std::span<const TokenPlacement> placements, Policy& policy,
                             ForwardScratch& s, ThreadPool& pool) const {
  const auto n = static_cast<int64_t>(placements.size());
  s.positions.resize(placements.size());
  for (size_t t = 0; t < placements.size(); ++t) s.positions[t] = placements[t].position;
  s.x.resize(static_cast<size_t>(n * config_.hidden_size));
  forward_.embed(tokens, n, s.x.data(), policy);
  for (int64_t l = 0; l < config_.num_layers; ++l) forward_.layer(l, s.positions, s.x.data(), policy, pool);
}

void Transformer::check_tokens(std::span<const int32_t> tokens) const {
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] < 0 || tokens[i] >= config_.vocab_size) {
      fail("token id {} at index {} is outside the vocabulary (0..{})", tokens[i], i, config_.vocab_size - 1);
    }
  }
}

void Transformer::forward(std::span<const int32_t> tokens, KVCache& cache, ForwardScratch& scratch, ThreadPool& pool,
                          LogitsFor which, float* logits) const {
  check_tokens(tokens);
  const auto total = static_cast<int64_t>(tokens.size());
  cache.ensure_capacity(cache.positions + total);
  std::vector<TokenPlacement> placements;
  for (int64_t begin = 0; begin < total; begin += kChunkTokens) {
    const int64_t n = std::min(kChunkTokens, total - begin);
    placements.resize(static_cast<size_t>(n));
    for (int64_t t = 0; t < n; ++t) {
      const int64_t position = cache.positions + t;
      placements[static_cast<size_t>(t)] = {position, position, 0, 0, 0};
    }
    Policy policy(weights_, placements, cache, scratch, observer_);
    run_layers(tokens.data() + begin, placements, policy, scratch, pool);
    cache.positions += n;
    const int64_t hidden = config_.hidden_size;
    if (which == LogitsFor::All) {
      forward_.logits(scratch.x.data(), n, scratch.normed, logits + begin * config_.vocab_size, policy, pool);
    } else if (begin + n == total) {
      forward_.logits(scratch.x.data() + (n - 1) * hidden, 1, scratch.normed, logits, policy, pool);
    }
  }
}

void Transformer::forward_placed(std::span<const int32_t> tokens, std::span<const TokenPlacement> placements,
                                 KVCache& cache, ForwardScratch& scratch, ThreadPool& pool,
                                 std::span<const int64_t> logit_rows, float* logits) const {
  if (tokens.size() != placements.size())
    fail("forward_placed: {} tokens but {} placements", tokens.size(), placements.size());
  check_tokens(tokens);
  int64_t slots = 0;
  for (const auto& p : placements) slots = std::max({slots, p.slot + 1, p.prompt_slot + p.prompt_length});
  cache.ensure_capacity(slots);
  const auto n = static_cast<int64_t>(tokens.size());
  Policy policy(weights_, placements, cache, scratch, observer_);
  run_layers(tokens.data(), placements, policy, scratch, pool);
  // Gather the rows whose logits are wanted, then one lm_head product for all of them.
  const int64_t hidden = config_.hidden_size;
  std::vector<float> rows(logit_rows.size() * static_cast<size_t>(hidden));
  for (size_t i = 0; i < logit_rows.size(); ++i) {
    if (logit_rows[i] < 0 || logit_rows[i] >= n)
      fail("forward_placed: logit row {} is not a token index", logit_rows[i]);
    std::memcpy(rows.data() + i * hidden, scratch.x.data() + logit_rows[i] * hidden, sizeof(float) * hidden);
  }
  forward_.logits(rows.data(), static_cast<int64_t>(logit_rows.size()), scratch.normed, logits, policy, pool);
}

}  // namespace medllm
