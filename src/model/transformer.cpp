#include "model/transformer.hpp"

#include <algorithm>
#include <cstring>

#include "core/error.hpp"
#include "kernels/attention.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/matmul.hpp"
#include "model/kernel_choices.hpp"

namespace medllm {

namespace {

// Long prompts run in chunks so activation memory stays bounded.
constexpr int64_t kChunkTokens = 512;

// y = x · Wᵀ + b
void linear(const TensorView& w, const std::vector<float>& bias, const float* x, int64_t n, float* y,
            ThreadPool& pool) {
  kernels::matmul(w, x, n, y, pool);
  if (bias.empty()) return;
  const int64_t out = w.rows();
  for (int64_t t = 0; t < n; ++t) kernels::add(y + t * out, bias.data(), out);
}

}  // namespace

void KVCache::ensure_capacity(int64_t needed) {
  if (needed <= capacity_) return;
  const int64_t capacity = std::max(needed, std::max<int64_t>(64, capacity_ * 2));
  for (auto& k : keys_) k.resize(static_cast<size_t>(capacity * kv_dim_));
  for (auto& v : values_) v.resize(static_cast<size_t>(capacity * kv_dim_));
  capacity_ = capacity;
}

void ForwardScratch::resize(const ModelConfig& c, int64_t tokens) {
  const auto size = [tokens](int64_t width) { return static_cast<size_t>(tokens * width); };
  x.resize(size(c.hidden_size));
  normed.resize(size(c.hidden_size));
  q.resize(size(c.num_heads * c.head_dim));
  k.resize(size(c.num_kv_heads * c.head_dim));
  v.resize(size(c.num_kv_heads * c.head_dim));
  attended.resize(size(c.num_heads * c.head_dim));
  out.resize(size(std::max(c.hidden_size, c.vocab_size)));
  gate.resize(size(c.intermediate_size));
  up.resize(size(c.intermediate_size));
}

Transformer::Transformer(const ModelConfig& config, const ModelWeights& weights) : config_(config), weights_(weights) {
  for (const auto& layer : config.layers) {
    rope_.push_back({rope_inverse_frequencies(layer.rope, config.head_dim, config.rope_freq_factors),
                     static_cast<float>(layer.rope.attention_factor)});
  }
}

void Transformer::norm(const float* x, const std::vector<float>& weight, int64_t rows, int64_t dim, float* y) const {
  kernels::rms_norm(x, weight.data(), config_.norm_offset_one ? 1.0f : 0.0f, static_cast<float>(config_.rms_norm_eps),
                    rows, dim, y);
}

void Transformer::embed(const int32_t* tokens, int64_t n, float* x) const {
  const int64_t hidden = config_.hidden_size;
  for (int64_t t = 0; t < n; ++t) {
    float* row = x + t * hidden;
    to_f32(weights_.embed.dtype, weights_.embed.row(tokens[t]), row, hidden);
    if (config_.embedding_scale != 1.0f) {
      for (int64_t i = 0; i < hidden; ++i) row[i] *= config_.embedding_scale;
    }
  }
}

void Transformer::self_attention(int64_t layer, std::span<const TokenPlacement> placements, KVCache& cache,
                                 ForwardScratch& s, ThreadPool& pool) const {
  const LayerWeights& w = weights_.layers[layer];
  const auto n = static_cast<int64_t>(placements.size());
  const int64_t head_dim = config_.head_dim;
  const int64_t kv_dim = config_.num_kv_heads * head_dim;

  linear(w.q, w.q_bias, s.normed.data(), n, s.q.data(), pool);
  linear(w.k, w.k_bias, s.normed.data(), n, s.k.data(), pool);
  linear(w.v, w.v_bias, s.normed.data(), n, s.v.data(), pool);
  if (config_.qk_norm) {
    norm(s.q.data(), w.q_norm, n * config_.num_heads, head_dim, s.q.data());
    norm(s.k.data(), w.k_norm, n * config_.num_kv_heads, head_dim, s.k.data());
  }
  const LayerRope& rope = rope_[layer];
  const auto pairing = rope_pairing(config_.rope_layout);
  for (int64_t t = 0; t < n; ++t) {
    const int64_t position = placements[t].position;
    kernels::rope(s.q.data() + t * config_.num_heads * head_dim, config_.num_heads, head_dim, position,
                  rope.inv_freq.data(), rope.attention_factor, pairing);
    kernels::rope(s.k.data() + t * kv_dim, config_.num_kv_heads, head_dim, position, rope.inv_freq.data(),
                  rope.attention_factor, pairing);
    std::memcpy(cache.keys(layer) + placements[t].slot * kv_dim, s.k.data() + t * kv_dim, sizeof(float) * kv_dim);
    std::memcpy(cache.values(layer) + placements[t].slot * kv_dim, s.v.data() + t * kv_dim, sizeof(float) * kv_dim);
  }

  const kernels::AttentionShape shape{config_.num_heads, config_.num_kv_heads, head_dim};
  const kernels::AttentionOptions options{config_.attention_scale, config_.attn_logit_softcap};
  const auto& slots = config_.layers[layer].sliding ? s.window_slots : s.full_slots;
  kernels::attention(s.q.data(), cache.keys(layer), cache.values(layer), n, slots.data(), shape, options,
                     s.attended.data(), pool);
  linear(w.o, w.o_bias, s.attended.data(), n, s.out.data(), pool);
}

void Transformer::feed_forward(const LayerWeights& w, int64_t n, ForwardScratch& s, ThreadPool& pool) const {
  linear(w.gate, w.gate_bias, s.normed.data(), n, s.gate.data(), pool);
  linear(w.up, w.up_bias, s.normed.data(), n, s.up.data(), pool);
  kernels::gated_activation(s.gate.data(), s.up.data(), n * config_.intermediate_size,
                            gate_activation(config_.activation));
  linear(w.down, w.down_bias, s.gate.data(), n, s.out.data(), pool);
}

namespace {

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

void Transformer::run_layers(const int32_t* tokens, std::span<const TokenPlacement> placements, KVCache& cache,
                             ForwardScratch& s, ThreadPool& pool) const {
  const int64_t hidden = config_.hidden_size;
  const auto n = static_cast<int64_t>(placements.size());
  s.full_slots.resize(placements.size());
  s.window_slots.resize(placements.size());
  for (size_t t = 0; t < placements.size(); ++t) {
    s.full_slots[t] = visible_slots(placements[t], 0);
    s.window_slots[t] = visible_slots(placements[t], config_.sliding_window);
  }
  embed(tokens, n, s.x.data());
  for (int64_t l = 0; l < config_.num_layers; ++l) {
    const LayerWeights& w = weights_.layers[l];

    norm(s.x.data(), w.attn_norm, n, hidden, s.normed.data());
    self_attention(l, placements, cache, s, pool);
    if (config_.sandwich_norms) norm(s.out.data(), w.post_attn_norm, n, hidden, s.out.data());
    kernels::add(s.x.data(), s.out.data(), n * hidden);

    norm(s.x.data(), w.ffn_norm, n, hidden, s.normed.data());
    feed_forward(w, n, s, pool);
    if (config_.sandwich_norms) norm(s.out.data(), w.post_ffn_norm, n, hidden, s.out.data());
    kernels::add(s.x.data(), s.out.data(), n * hidden);
  }
}

void Transformer::output_logits(const float* hidden_states, int64_t n, float* logits, ForwardScratch& s,
                                ThreadPool& pool) const {
  norm(hidden_states, weights_.final_norm, n, config_.hidden_size, s.normed.data());
  kernels::matmul(weights_.lm_head, s.normed.data(), n, logits, pool);
  if (config_.final_logit_softcap > 0.0f) {
    kernels::softcap(logits, n * config_.vocab_size, config_.final_logit_softcap);
  }
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
    scratch.resize(config_, n);
    run_layers(tokens.data() + begin, placements, cache, scratch, pool);
    cache.positions += n;
    if (which == LogitsFor::All) {
      output_logits(scratch.x.data(), n, logits + begin * config_.vocab_size, scratch, pool);
    } else if (begin + n == total) {
      output_logits(scratch.x.data() + (n - 1) * config_.hidden_size, 1, logits, scratch, pool);
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
  scratch.resize(config_, n);
  run_layers(tokens.data(), placements, cache, scratch, pool);
  // Gather the rows whose logits are wanted, then one lm_head product for all of them.
  std::vector<float> rows(logit_rows.size() * static_cast<size_t>(config_.hidden_size));
  for (size_t i = 0; i < logit_rows.size(); ++i) {
    if (logit_rows[i] < 0 || logit_rows[i] >= n)
      fail("forward_placed: logit row {} is not a token index", logit_rows[i]);
    std::memcpy(rows.data() + i * config_.hidden_size, scratch.x.data() + logit_rows[i] * config_.hidden_size,
                sizeof(float) * config_.hidden_size);
  }
  output_logits(rows.data(), static_cast<int64_t>(logit_rows.size()), logits, scratch, pool);
}

}  // namespace medllm
