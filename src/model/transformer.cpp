#include "model/transformer.hpp"

#include <algorithm>
#include <cstring>

#include "core/error.hpp"
#include "kernels/attention.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/matmul.hpp"

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

kernels::GateActivation gate_activation(Activation activation) {
  switch (activation) {
    case Activation::Silu:
      return kernels::GateActivation::Silu;
    case Activation::GeluTanh:
      return kernels::GateActivation::GeluTanh;
    case Activation::GeluErf:
      return kernels::GateActivation::GeluErf;
  }
  return kernels::GateActivation::Silu;
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

void Transformer::self_attention(int64_t layer, int64_t n, int64_t first_position, KVCache& cache, ForwardScratch& s,
                                 ThreadPool& pool) const {
  const LayerWeights& w = weights_.layers[layer];
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
  const auto pairing =
      config_.rope_layout == RopeLayout::Halves ? kernels::RopePairing::Halves : kernels::RopePairing::Adjacent;
  for (int64_t t = 0; t < n; ++t) {
    const int64_t position = first_position + t;
    kernels::rope(s.q.data() + t * config_.num_heads * head_dim, config_.num_heads, head_dim, position,
                  rope.inv_freq.data(), rope.attention_factor, pairing);
    kernels::rope(s.k.data() + t * kv_dim, config_.num_kv_heads, head_dim, position, rope.inv_freq.data(),
                  rope.attention_factor, pairing);
  }
  std::memcpy(cache.keys(layer) + first_position * kv_dim, s.k.data(), sizeof(float) * n * kv_dim);
  std::memcpy(cache.values(layer) + first_position * kv_dim, s.v.data(), sizeof(float) * n * kv_dim);

  const kernels::AttentionShape shape{config_.num_heads, config_.num_kv_heads, head_dim};
  const kernels::AttentionOptions options{config_.attention_scale, config_.attn_logit_softcap,
                                          config_.layers[layer].sliding ? config_.sliding_window : 0};
  kernels::attention(s.q.data(), cache.keys(layer), cache.values(layer), n, first_position, shape, options,
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

void Transformer::forward_chunk(const int32_t* tokens, int64_t n, KVCache& cache, ForwardScratch& s,
                                ThreadPool& pool) const {
  const int64_t hidden = config_.hidden_size;
  const int64_t first_position = cache.positions;
  embed(tokens, n, s.x.data());
  for (int64_t l = 0; l < config_.num_layers; ++l) {
    const LayerWeights& w = weights_.layers[l];

    norm(s.x.data(), w.attn_norm, n, hidden, s.normed.data());
    self_attention(l, n, first_position, cache, s, pool);
    if (config_.sandwich_norms) norm(s.out.data(), w.post_attn_norm, n, hidden, s.out.data());
    kernels::add(s.x.data(), s.out.data(), n * hidden);

    norm(s.x.data(), w.ffn_norm, n, hidden, s.normed.data());
    feed_forward(w, n, s, pool);
    if (config_.sandwich_norms) norm(s.out.data(), w.post_ffn_norm, n, hidden, s.out.data());
    kernels::add(s.x.data(), s.out.data(), n * hidden);
  }
  cache.positions += n;
}

void Transformer::output_logits(const float* hidden_states, int64_t n, float* logits, ForwardScratch& s,
                                ThreadPool& pool) const {
  norm(hidden_states, weights_.final_norm, n, config_.hidden_size, s.normed.data());
  kernels::matmul(weights_.lm_head, s.normed.data(), n, logits, pool);
  if (config_.final_logit_softcap > 0.0f) {
    kernels::softcap(logits, n * config_.vocab_size, config_.final_logit_softcap);
  }
}

void Transformer::forward(std::span<const int32_t> tokens, KVCache& cache, ForwardScratch& scratch, ThreadPool& pool,
                          LogitsFor which, float* logits) const {
  const int64_t total = static_cast<int64_t>(tokens.size());
  for (int64_t i = 0; i < total; ++i) {
    if (tokens[i] < 0 || tokens[i] >= config_.vocab_size) {
      fail("token id {} at index {} is outside the vocabulary (0..{})", tokens[i], i, config_.vocab_size - 1);
    }
  }
  cache.ensure_capacity(cache.positions + total);
  for (int64_t begin = 0; begin < total; begin += kChunkTokens) {
    const int64_t n = std::min(kChunkTokens, total - begin);
    scratch.resize(config_, n);
    forward_chunk(tokens.data() + begin, n, cache, scratch, pool);
    if (which == LogitsFor::All) {
      output_logits(scratch.x.data(), n, logits + begin * config_.vocab_size, scratch, pool);
    } else if (begin + n == total) {
      output_logits(scratch.x.data() + (n - 1) * config_.hidden_size, 1, logits, scratch, pool);
    }
  }
}

}  // namespace medllm
