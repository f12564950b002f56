#include "model/forward.hpp"

#include <algorithm>

#include "kernels/elementwise.hpp"
#include "model/kernel_choices.hpp"

namespace medllm {

namespace {

void resize(Buffer& buffer, int64_t size) {
  buffer.resize(static_cast<size_t>(size));
}

}  // namespace

void parallel_chunks(ThreadPool& pool, int64_t n, const std::function<void(int64_t, int64_t)>& body) {
  constexpr int64_t kChunk = 16384;  // a multiple of every vector width: chunk edges never split a vector
  pool.parallel_for((n + kChunk - 1) / kChunk, [&](int64_t first, int64_t end) {
    for (int64_t c = first; c < end; ++c) body(c * kChunk, std::min(n, (c + 1) * kChunk));
  });
}

TransformerForward::TransformerForward(const ModelConfig& config) : config_(config) {
  for (const auto& layer : config.layers) {
    rope_.push_back({rope_inverse_frequencies(layer.rope, config.head_dim, config.rope_freq_factors),
                     static_cast<float>(layer.rope.attention_factor)});
  }
}

void TransformerForward::norm(const float* x, const float* weight, int64_t rows, int64_t dim, float* y) const {
  kernels::rms_norm(x, weight, norm_offset(), norm_eps(), rows, dim, y);
}

void TransformerForward::embed(const int32_t* tokens, int64_t n, float* x, const ForwardPolicy& policy) const {
  const TensorView& table = policy.embedding();
  const int64_t hidden = config_.hidden_size;
  for (int64_t t = 0; t < n; ++t) {
    float* row = x + t * hidden;
    to_f32(table.dtype, table.row(tokens[t]), row, hidden);
    if (config_.embedding_scale != 1.0f) {
      for (int64_t i = 0; i < hidden; ++i) row[i] *= config_.embedding_scale;
    }
  }
}

AttentionCall TransformerForward::attention_call(int64_t layer) const {
  const ModelConfig& c = config_;
  return {{c.num_heads, c.num_kv_heads, c.head_dim},
          {c.attention_scale, c.attn_logit_softcap},
          c.layers[static_cast<size_t>(layer)].sliding ? c.sliding_window : 0};
}

void TransformerForward::layer(int64_t l, std::span<const int64_t> positions, float* x, ForwardPolicy& policy,
                               ThreadPool& pool) const {
  const auto n = static_cast<int64_t>(positions.size());
  const int64_t hidden = config_.hidden_size;
  LayerActivations& s = policy.activations(l);
  const bool keep = policy.keeps_residuals();
  if (keep) s.x_in.assign(x, x + n * hidden);

  // Attention half: x ← x + [post_attention_norm](o(attention(rope(q), rope(k), v)))
  resize(s.attn_normed, n * hidden);
  norm(x, policy.norm(l, Norm::Attention), n, hidden, s.attn_normed.data());
  attention(l, positions, s, policy, pool);
  residual(l, Norm::PostAttention, s.o_out, n, x, policy);
  if (keep) s.x_mid.assign(x, x + n * hidden);

  // Feed-forward half: x ← x + [post_feedforward_norm](down(act(gate(x)) ⊙ up(x)))
  resize(s.ffn_normed, n * hidden);
  norm(x, policy.norm(l, Norm::FeedForward), n, hidden, s.ffn_normed.data());
  feed_forward(l, n, s, policy, pool);
  residual(l, Norm::PostFeedForward, s.down_out, n, x, policy);
}

void TransformerForward::attention(int64_t l, std::span<const int64_t> positions, LayerActivations& s,
                                   ForwardPolicy& policy, ThreadPool& pool) const {
  const ModelConfig& c = config_;
  const auto n = static_cast<int64_t>(positions.size());
  const int64_t q_dim = c.num_heads * c.head_dim, kv_dim = c.num_kv_heads * c.head_dim;
  resize(s.q, n * q_dim);
  resize(s.k, n * kv_dim);
  resize(s.v, n * kv_dim);
  if (c.qk_norm) {  // q = q_norm(q_proj(x)) per head, likewise k
    resize(s.q_raw, n * q_dim);
    resize(s.k_raw, n * kv_dim);
    policy.project(l, Projection::Q, s.attn_normed.data(), n, s.q_raw.data(), pool);
    policy.project(l, Projection::K, s.attn_normed.data(), n, s.k_raw.data(), pool);
    norm(s.q_raw.data(), policy.norm(l, Norm::Query), n * c.num_heads, c.head_dim, s.q.data());
    norm(s.k_raw.data(), policy.norm(l, Norm::Key), n * c.num_kv_heads, c.head_dim, s.k.data());
  } else {
    policy.project(l, Projection::Q, s.attn_normed.data(), n, s.q.data(), pool);
    policy.project(l, Projection::K, s.attn_normed.data(), n, s.k.data(), pool);
  }
  policy.project(l, Projection::V, s.attn_normed.data(), n, s.v.data(), pool);

  const Rope& r = rope_[static_cast<size_t>(l)];
  const auto pairing = rope_pairing(c.rope_layout);
  for (int64_t t = 0; t < n; ++t) {
    kernels::rope(s.q.data() + t * q_dim, c.num_heads, c.head_dim, positions[t], r.inv_freq.data(), r.attention_factor,
                  pairing);
    kernels::rope(s.k.data() + t * kv_dim, c.num_kv_heads, c.head_dim, positions[t], r.inv_freq.data(),
                  r.attention_factor, pairing);
  }
  resize(s.attended, n * q_dim);
  policy.attend(l, attention_call(l), s.q.data(), s.k.data(), s.v.data(), n, s.attended.data(), pool);
  resize(s.o_out, n * c.hidden_size);
  policy.project(l, Projection::O, s.attended.data(), n, s.o_out.data(), pool);
}

void TransformerForward::gated(const Buffer& gate, const Buffer& up, int64_t count, Buffer& h, ThreadPool& pool) const {
  resize(h, count);
  const auto activation = gate_activation(config_.activation);
  parallel_chunks(pool, count, [&](int64_t begin, int64_t end) {
    std::copy(gate.begin() + begin, gate.begin() + end, h.begin() + begin);
    kernels::gated_activation(h.data() + begin, up.data() + begin, end - begin, activation);
  });
}

void TransformerForward::feed_forward(int64_t l, int64_t n, LayerActivations& s, ForwardPolicy& policy,
                                      ThreadPool& pool) const {
  const int64_t ffn = config_.intermediate_size;
  resize(s.gate, n * ffn);
  resize(s.up, n * ffn);
  policy.project(l, Projection::Gate, s.ffn_normed.data(), n, s.gate.data(), pool);
  policy.project(l, Projection::Up, s.ffn_normed.data(), n, s.up.data(), pool);
  Buffer& hidden = policy.scratch().hidden;
  gated(s.gate, s.up, n * ffn, hidden, pool);
  resize(s.down_out, n * config_.hidden_size);
  policy.project(l, Projection::Down, hidden.data(), n, s.down_out.data(), pool);
}

void TransformerForward::residual(int64_t l, Norm post, const Buffer& branch, int64_t n, float* x,
                                  ForwardPolicy& policy) const {
  const int64_t hidden = config_.hidden_size;
  if (!config_.sandwich_norms) {
    kernels::add(x, branch.data(), n * hidden);
    return;
  }
  Buffer& normed = policy.scratch().branch;
  resize(normed, n * hidden);
  norm(branch.data(), policy.norm(l, post), n, hidden, normed.data());
  kernels::add(x, normed.data(), n * hidden);
}

void TransformerForward::logits(const float* hidden, int64_t n, Buffer& normed, float* logits, ForwardPolicy& policy,
                                ThreadPool& pool) const {
  resize(normed, n * config_.hidden_size);
  norm(hidden, policy.final_norm(), n, config_.hidden_size, normed.data());
  policy.project_head(normed.data(), n, logits, pool);
  if (config_.final_logit_softcap > 0.0f) kernels::softcap(logits, n * config_.vocab_size, config_.final_logit_softcap);
}

}  // namespace medllm
