#include "model/trainable_transformer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <unordered_map>

#include "core/error.hpp"
#include "kernels/attention_training.hpp"
#include "kernels/cross_entropy.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/matmul_backward.hpp"
#include "model/kernel_choices.hpp"
#include "model/named_weights.hpp"

namespace medllm {

namespace {

using Buffer = std::vector<float>;

void resize(Buffer& buffer, int64_t size) {
  buffer.resize(static_cast<size_t>(size));
}

std::vector<float> to_f32_vector(const TensorView& view) {
  std::vector<float> out(static_cast<size_t>(view.numel()));
  to_f32(view.dtype, view.data, out.data(), view.numel());
  return out;
}

uint64_t seed_for(uint64_t seed, int64_t layer, int module) {
  return seed ^ (static_cast<uint64_t>(layer + 1) * 0x9e3779b97f4a7c15ull) ^ (static_cast<uint64_t>(module) << 56);
}

// Runs body(begin, end) over [0, n) in fixed chunks on the pool: element-wise work, so the
// result does not depend on the thread count.
void parallel_chunks(ThreadPool& pool, int64_t n, const std::function<void(int64_t, int64_t)>& body) {
  constexpr int64_t kChunk = 16384;
  pool.parallel_for((n + kChunk - 1) / kChunk, [&](int64_t first, int64_t end) {
    for (int64_t c = first; c < end; ++c) body(c * kChunk, std::min(n, (c + 1) * kChunk));
  });
}

}  // namespace

void TrainableTransformer::gated(const std::vector<float>& gate, const std::vector<float>& up, std::vector<float>& h,
                                 ThreadPool& pool) const {
  parallel_chunks(pool, static_cast<int64_t>(gate.size()), [&](int64_t begin, int64_t end) {
    std::copy(gate.begin() + begin, gate.begin() + end, h.begin() + begin);
    kernels::gated_activation(h.data() + begin, up.data() + begin, end - begin, gate_activation(config_.activation));
  });
}

float LoraOptions::scale() const {
  return rslora ? alpha / std::sqrt(static_cast<float>(rank)) : alpha / static_cast<float>(rank);
}

struct TrainableTransformer::Layer {
  Parameter *attn_norm = nullptr, *q_norm = nullptr, *k_norm = nullptr;
  Parameter *post_attn_norm = nullptr, *ffn_norm = nullptr, *post_ffn_norm = nullptr;
  TrainableLinear q, k, v, o, gate, up, down;
};

// What the forward keeps for the backward, per layer; names follow the forward's equations.
struct TrainableTransformer::Activations {
  struct LayerActivations {
    Buffer x_in, attn_normed, q_raw, k_raw, q, k, v, attended, lse, o_out, x_mid, ffn_normed, gate, up, down_out;
    LoraActivations lora[7];  // q k v o gate up down
  };
  int64_t batch = 0, seq = 0, n = 0;
  bool training = false;
  uint64_t dropout_seed = 0;
  std::vector<LayerActivations> layers;
  Buffer x_final, final_normed, logits;
  LoraActivations head_lora;
  // Scratch of the forward and the backward. The whole object lives across calls, so a training
  // step reuses the previous step's memory instead of faulting in fresh pages.
  Buffer h, dlogits, d_normed, dx, d_branch, d_tmp, dh, d_gate, d_up, dq, dk, dv, d_attended, d_raw;
};

struct TrainableTransformer::Dims {
  int64_t n, seq, hidden, q_dim, kv_dim, ffn;  // n = batch · seq tokens
  float norm_offset, eps;                      // of every RMSNorm
};

TrainableTransformer::Dims TrainableTransformer::dims(const Activations& a) const {
  const ModelConfig& c = config_;
  return {a.n,
          a.seq,
          c.hidden_size,
          c.num_heads * c.head_dim,
          c.num_kv_heads * c.head_dim,
          c.intermediate_size,
          c.norm_offset_one ? 1.0f : 0.0f,
          static_cast<float>(c.rms_norm_eps)};
}

TrainableTransformer::TrainableTransformer(const ModelConfig& config, const ModelWeights& weights) : config_(config) {
  build(weights, true);
}

TrainableTransformer::TrainableTransformer(const ModelConfig& config, const ModelWeights& weights,
                                           const LoraOptions& lora, uint64_t seed)
    : config_(config), lora_(lora) {
  if (lora.rank <= 0) fail("LoRA rank must be positive, got {}", lora.rank);
  if (!(lora.dropout >= 0.0f && lora.dropout < 1.0f)) fail("LoRA dropout must be in [0, 1), got {}", lora.dropout);
  build(weights, false);
  add_lora(lora, seed);
}

TrainableTransformer::~TrainableTransformer() = default;

TrainableTransformer::Activations& TrainableTransformer::workspace() const {
  if (!workspace_) workspace_ = std::make_unique<Activations>();
  return *workspace_;
}

Parameter* TrainableTransformer::add_parameter(std::string name, Shape shape, std::vector<float> value, bool trainable,
                                               bool decay) {
  auto p = std::make_unique<Parameter>();
  p->name = std::move(name);
  p->shape = std::move(shape);
  p->value = std::move(value);
  if (trainable) p->grad.assign(p->value.size(), 0.0f);
  p->decay = decay;
  parameters_.push_back(std::move(p));
  return parameters_.back().get();
}

Parameter* TrainableTransformer::add_vector(std::string name, const std::vector<float>& value, bool trainable) {
  return add_parameter(std::move(name), Shape{static_cast<int64_t>(value.size())}, value, trainable, false);
}

void TrainableTransformer::build(const ModelWeights& weights, bool full) {
  config_.validate();
  // Every weight under its canonical name from model/named_weights (the list export and
  // checkpoints use too): norms and biases always become Parameters (trained in full mode), matrices
  // only in full mode. The layer structs then find them by the weight they were made from.
  std::unordered_map<const void*, Parameter*> made;
  for (const ConstNamedWeight& w : named_weights(config_, weights)) {
    if (w.vector != nullptr) {
      made[w.vector] = add_vector(w.name, *w.vector, full);
    } else if (full) {
      made[w.matrix] = add_parameter(w.name, w.matrix->shape, to_f32_vector(*w.matrix), true, true);
    }
  }
  const auto vector = [&](const std::vector<float>& v) -> Parameter* {
    const auto it = made.find(&v);
    return it == made.end() ? nullptr : it->second;  // absent in this family
  };
  const auto linear = [&](const TensorView& weight, const std::vector<float>& bias) {
    TrainableLinear l;
    l.weight_param = full ? made.at(&weight) : nullptr;
    l.weight = full ? l.weight_param->view() : weight;
    l.bias = vector(bias);
    return l;
  };
  embed_param_ = full ? made.at(&weights.embed) : nullptr;
  embed_ = full ? embed_param_->view() : weights.embed;
  for (int64_t i = 0; i < config_.num_layers; ++i) {
    const LayerWeights& w = weights.layers[i];
    Layer layer;
    layer.attn_norm = vector(w.attn_norm);
    layer.q_norm = vector(w.q_norm);
    layer.k_norm = vector(w.k_norm);
    layer.post_attn_norm = vector(w.post_attn_norm);
    layer.ffn_norm = vector(w.ffn_norm);
    layer.post_ffn_norm = vector(w.post_ffn_norm);
    layer.q = linear(w.q, w.q_bias);
    layer.k = linear(w.k, w.k_bias);
    layer.v = linear(w.v, w.v_bias);
    layer.o = linear(w.o, w.o_bias);
    layer.gate = linear(w.gate, w.gate_bias);
    layer.up = linear(w.up, w.up_bias);
    layer.down = linear(w.down, w.down_bias);
    layers_.push_back(std::move(layer));
  }
  final_norm_ = vector(weights.final_norm);
  if (config_.tie_word_embeddings) {
    lm_head_.weight = embed_;
    lm_head_.weight_param = embed_param_;
  } else {
    lm_head_ = linear(weights.lm_head, {});
  }
  for (const auto& layer : config_.layers) {
    rope_.push_back({rope_inverse_frequencies(layer.rope, config_.head_dim, config_.rope_freq_factors),
                     static_cast<float>(layer.rope.attention_factor)});
  }
}

void TrainableTransformer::add_lora(const LoraOptions& lora, uint64_t seed) {
  std::mt19937_64 rng(seed);
  bool any = false;
  for (int64_t i = 0; i < config_.num_layers; ++i) {
    Layer& layer = layers_[i];
    const std::pair<const char*, TrainableLinear*> modules[] = {
        {"self_attn.q_proj", &layer.q}, {"self_attn.k_proj", &layer.k}, {"self_attn.v_proj", &layer.v},
        {"self_attn.o_proj", &layer.o}, {"mlp.gate_proj", &layer.gate}, {"mlp.up_proj", &layer.up},
        {"mlp.down_proj", &layer.down}};
    for (const auto& [path, linear] : modules) {
      const std::string module = std::string(path).substr(std::string(path).find('.') + 1);
      if (std::find(lora.target_modules.begin(), lora.target_modules.end(), module) == lora.target_modules.end())
        continue;
      any = true;
      const std::string name = fmt::format("model.layers.{}.{}", i, path);
      const int64_t in = linear->in();
      const int64_t out = linear->out();
      // PEFT: kaiming_uniform_(a=√5) gives U(−1/√in, 1/√in); B starts at zero so training
      // starts from the base model exactly.
      std::vector<float> a(static_cast<size_t>(lora.rank * in));
      const double bound = 1.0 / std::sqrt(static_cast<double>(in));
      for (float& v : a) v = static_cast<float>((static_cast<double>(rng() >> 11) * 0x1.0p-53 * 2.0 - 1.0) * bound);
      linear->lora_a = add_parameter(name + ".lora_A.weight", Shape{lora.rank, in}, std::move(a), true, true);
      linear->lora_b = add_parameter(name + ".lora_B.weight", Shape{out, lora.rank},
                                     std::vector<float>(static_cast<size_t>(out * lora.rank), 0.0f), true, true);
      linear->lora_scale = lora.scale();
      linear->lora_dropout = lora.dropout;
    }
  }
  if (!any) {
    fail(
        "LoRA target modules [{}] match no projection (known: q_proj k_proj v_proj o_proj gate_proj up_proj "
        "down_proj)",
        fmt::join(lora.target_modules, ", "));
  }
}

std::vector<Parameter*> TrainableTransformer::trainable_parameters() const {
  std::vector<Parameter*> out;
  for (const auto& p : parameters_) {
    if (p->trainable()) out.push_back(p.get());
  }
  return out;
}

Parameter* TrainableTransformer::find(const std::string& name) const {
  for (const auto& p : parameters_) {
    if (p->name == name) return p.get();
  }
  return nullptr;
}

void TrainableTransformer::zero_grad() {
  for (const auto& p : parameters_) std::fill(p->grad.begin(), p->grad.end(), 0.0f);
}

void TrainableTransformer::check_batch(std::span<const int32_t> tokens, std::span<const int32_t> targets,
                                       int64_t batch) const {
  if (batch <= 0 || tokens.empty() || tokens.size() % static_cast<size_t>(batch) != 0)
    fail("training batch: {} tokens do not form {} sequences of equal length", tokens.size(), batch);
  if (targets.size() != tokens.size()) fail("training batch: {} targets for {} tokens", targets.size(), tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] < 0 || tokens[i] >= config_.vocab_size)
      fail("training batch: token id {} at index {} is outside the vocabulary (0..{})", tokens[i], i,
           config_.vocab_size - 1);
    if (targets[i] >= config_.vocab_size)
      fail("training batch: target id {} at index {} is outside the vocabulary (0..{})", targets[i], i,
           config_.vocab_size - 1);
  }
}

void TrainableTransformer::forward(std::span<const int32_t> tokens, int64_t batch, bool training, uint64_t dropout_seed,
                                   Activations& a, ThreadPool& pool) const {
  const ModelConfig& c = config_;
  const int64_t n = static_cast<int64_t>(tokens.size());
  const int64_t hidden = c.hidden_size;
  a.batch = batch;
  a.seq = n / batch;
  a.n = n;
  a.training = training;
  a.dropout_seed = dropout_seed;
  a.layers.resize(static_cast<size_t>(c.num_layers));

  // x = embed(tokens) · embedding_scale
  Buffer x(static_cast<size_t>(n * hidden));
  for (int64_t t = 0; t < n; ++t) {
    float* row = x.data() + t * hidden;
    to_f32(embed_.dtype, embed_.row(tokens[t]), row, hidden);
    if (c.embedding_scale != 1.0f) {
      for (int64_t i = 0; i < hidden; ++i) row[i] *= c.embedding_scale;
    }
  }
  for (int64_t l = 0; l < c.num_layers; ++l) {
    auto& s = a.layers[l];
    s.x_in = x;
    layer_forward(l, a, x, pool);
    if (recompute_activations_ && training) {  // keep the input only: the backward recomputes the rest
      Buffer input = std::move(s.x_in);
      s = {};
      s.x_in = std::move(input);
    }
  }

  a.x_final = std::move(x);
  resize(a.final_normed, n * hidden);
  kernels::rms_norm(a.x_final.data(), final_norm_->value.data(), c.norm_offset_one ? 1.0f : 0.0f,
                    static_cast<float>(c.rms_norm_eps), n, hidden, a.final_normed.data());
  resize(a.logits, n * c.vocab_size);
  lm_head_.forward(a.final_normed.data(), n, a.logits.data(), a.head_lora, 0, pool);
  if (c.final_logit_softcap > 0.0f) kernels::softcap(a.logits.data(), n * c.vocab_size, c.final_logit_softcap);
}

void TrainableTransformer::layer_forward(int64_t l, Activations& a, Buffer& x, ThreadPool& pool) const {
  const ModelConfig& c = config_;
  // Plain locals, not a structured binding: the norm lambdas capture them (clang 14 cannot
  // capture bindings).
  const Dims d = dims(a);
  const int64_t n = d.n, seq = d.seq, hidden = d.hidden, q_dim = d.q_dim, kv_dim = d.kv_dim, ffn = d.ffn;
  const float norm_offset = d.norm_offset, eps = d.eps;
  const auto norm = [&](const float* in, const Parameter* w, int64_t rows, int64_t dim, float* y) {
    kernels::rms_norm(in, w->value.data(), norm_offset, eps, rows, dim, y);
  };
  const auto pairing = rope_pairing(c.rope_layout);
  const Layer& w = layers_[l];
  auto& s = a.layers[l];
  const auto seed = [&](int module) { return a.training ? seed_for(a.dropout_seed, l, module) : 0; };
  Buffer& h = a.h;
  resize(h, n * std::max(hidden, ffn));

  // Attention block: x_mid = x_in + [post_attn_norm](o(attention(rope(q), rope(k), v)))
  resize(s.attn_normed, n * hidden);
  norm(s.x_in.data(), w.attn_norm, n, hidden, s.attn_normed.data());
  resize(s.q, n * q_dim);
  resize(s.k, n * kv_dim);
  resize(s.v, n * kv_dim);
  w.q.forward(s.attn_normed.data(), n, s.q.data(), s.lora[0], seed(0), pool);
  w.k.forward(s.attn_normed.data(), n, s.k.data(), s.lora[1], seed(1), pool);
  w.v.forward(s.attn_normed.data(), n, s.v.data(), s.lora[2], seed(2), pool);
  if (c.qk_norm) {
    s.q_raw = s.q;
    s.k_raw = s.k;
    norm(s.q_raw.data(), w.q_norm, n * c.num_heads, c.head_dim, s.q.data());
    norm(s.k_raw.data(), w.k_norm, n * c.num_kv_heads, c.head_dim, s.k.data());
  }
  const LayerRope& rope = rope_[l];
  for (int64_t t = 0; t < n; ++t) {
    kernels::rope(s.q.data() + t * q_dim, c.num_heads, c.head_dim, t % seq, rope.inv_freq.data(), rope.attention_factor,
                  pairing);
    kernels::rope(s.k.data() + t * kv_dim, c.num_kv_heads, c.head_dim, t % seq, rope.inv_freq.data(),
                  rope.attention_factor, pairing);
  }
  const kernels::CausalAttentionShape shape{
      a.batch, seq, {c.num_heads, c.num_kv_heads, c.head_dim}, c.layers[l].sliding ? c.sliding_window : 0};
  const kernels::AttentionOptions options{c.attention_scale, c.attn_logit_softcap};
  resize(s.attended, n * q_dim);
  resize(s.lse, n * c.num_heads);
  kernels::causal_attention_forward(s.q.data(), s.k.data(), s.v.data(), shape, options, s.attended.data(), s.lse.data(),
                                    pool);
  resize(s.o_out, n * hidden);
  w.o.forward(s.attended.data(), n, s.o_out.data(), s.lora[3], seed(3), pool);
  if (c.sandwich_norms) {
    norm(s.o_out.data(), w.post_attn_norm, n, hidden, h.data());
    kernels::add(x.data(), h.data(), n * hidden);
  } else {
    kernels::add(x.data(), s.o_out.data(), n * hidden);
  }
  s.x_mid = x;

  // Feed-forward block: x_out = x_mid + [post_ffn_norm](down(act(gate(x)) · up(x)))
  resize(s.ffn_normed, n * hidden);
  norm(s.x_mid.data(), w.ffn_norm, n, hidden, s.ffn_normed.data());
  resize(s.gate, n * ffn);
  resize(s.up, n * ffn);
  w.gate.forward(s.ffn_normed.data(), n, s.gate.data(), s.lora[4], seed(4), pool);
  w.up.forward(s.ffn_normed.data(), n, s.up.data(), s.lora[5], seed(5), pool);
  gated(s.gate, s.up, h, pool);
  resize(s.down_out, n * hidden);
  w.down.forward(h.data(), n, s.down_out.data(), s.lora[6], seed(6), pool);
  if (c.sandwich_norms) {
    norm(s.down_out.data(), w.post_ffn_norm, n, hidden, h.data());
    kernels::add(x.data(), h.data(), n * hidden);
  } else {
    kernels::add(x.data(), s.down_out.data(), n * hidden);
  }
}

std::vector<float> TrainableTransformer::logits(std::span<const int32_t> tokens, int64_t batch,
                                                ThreadPool& pool) const {
  check_batch(tokens, std::vector<int32_t>(tokens.size(), -100), batch);
  Activations& a = workspace();
  forward(tokens, batch, false, 0, a, pool);
  return a.logits;
}

LossSum TrainableTransformer::loss(std::span<const int32_t> tokens, std::span<const int32_t> targets, int64_t batch,
                                   ThreadPool& pool) {
  check_batch(tokens, targets, batch);
  Activations& a = workspace();
  forward(tokens, batch, false, 0, a, pool);
  LossSum out;
  out.sum = kernels::cross_entropy(a.logits.data(), targets.data(), a.n, config_.vocab_size, 0.0f, nullptr, pool);
  out.tokens = std::count_if(targets.begin(), targets.end(), [](int32_t t) { return t >= 0; });
  return out;
}

LossSum TrainableTransformer::forward_backward(std::span<const int32_t> tokens, std::span<const int32_t> targets,
                                               int64_t batch, float grad_scale, uint64_t dropout_seed,
                                               ThreadPool& pool) {
  check_batch(tokens, targets, batch);
  Activations& a = workspace();
  forward(tokens, batch, true, dropout_seed, a, pool);
  const int64_t vocab = config_.vocab_size;
  LossSum out;
  out.tokens = std::count_if(targets.begin(), targets.end(), [](int32_t t) { return t >= 0; });
  if (config_.final_logit_softcap > 0.0f) {
    // The soft-cap's gradient needs the capped logits, so the loss gradient goes elsewhere.
    a.dlogits.resize(a.logits.size());
    out.sum = kernels::cross_entropy(a.logits.data(), targets.data(), a.n, vocab, grad_scale, a.dlogits.data(), pool);
    kernels::softcap_backward(a.logits.data(), a.dlogits.data(), a.n * vocab, config_.final_logit_softcap);
    std::swap(a.logits, a.dlogits);
  } else {
    out.sum = kernels::cross_entropy(a.logits.data(), targets.data(), a.n, vocab, grad_scale, a.logits.data(), pool);
  }
  backward(tokens, a, pool);  // a.logits now holds ∂L/∂logits
  return out;
}

void TrainableTransformer::backward(std::span<const int32_t> tokens, Activations& a, ThreadPool& pool) {
  const ModelConfig& c = config_;
  // Plain locals, not a structured binding: the norm lambdas capture them (clang 14 cannot
  // capture bindings).
  const Dims d = dims(a);
  const int64_t n = d.n, seq = d.seq, hidden = d.hidden, q_dim = d.q_dim, kv_dim = d.kv_dim, ffn = d.ffn;
  const float norm_offset = d.norm_offset, eps = d.eps;
  // dx = ∂L/∂x of rms_norm(x; w), adding ∂L/∂w when w is trained.
  const auto norm_backward = [&](const float* x, Parameter* w, int64_t rows, int64_t dim, const float* dy, float* dx) {
    kernels::rms_norm_backward(x, w->value.data(), norm_offset, eps, rows, dim, dy, dx,
                               w->trainable() ? w->grad.data() : nullptr);
  };
  const auto pairing = rope_pairing(c.rope_layout);

  Buffer &d_normed = a.d_normed, &dx = a.dx, &d_branch = a.d_branch, &d_tmp = a.d_tmp;
  Buffer &h = a.h, &dh = a.dh, &d_gate = a.d_gate, &d_up = a.d_up;
  Buffer &dq = a.dq, &dk = a.dk, &dv = a.dv, &d_attended = a.d_attended, &d_raw = a.d_raw;
  for (Buffer* buffer : {&d_normed, &dx, &d_branch, &d_tmp})
    resize(*buffer, n * hidden);  // d_branch: ∂L/∂ a block's branch
  for (Buffer* buffer : {&h, &dh, &d_gate, &d_up}) resize(*buffer, n * std::max(hidden, ffn));
  resize(dq, n * q_dim);
  resize(dk, n * kv_dim);
  resize(dv, n * kv_dim);
  resize(d_attended, n * q_dim);
  resize(d_raw, n * std::max(q_dim, kv_dim));

  // Output head and final norm.
  lm_head_.backward(a.final_normed.data(), a.logits.data(), n, d_normed.data(), false, a.head_lora, pool);
  norm_backward(a.x_final.data(), final_norm_, n, hidden, d_normed.data(), dx.data());

  for (int64_t l = c.num_layers - 1; l >= 0; --l) {
    Layer& w = layers_[l];
    auto& s = a.layers[l];
    if (recompute_activations_) {
      Buffer x = s.x_in;
      layer_forward(l, a, x, pool);
    }

    // Feed-forward block (dx is ∂L/∂x_out; the residual passes it to x_mid unchanged).
    const float* d_down_out = dx.data();
    if (c.sandwich_norms) {
      norm_backward(s.down_out.data(), w.post_ffn_norm, n, hidden, dx.data(), d_branch.data());
      d_down_out = d_branch.data();
    }
    gated(s.gate, s.up, h, pool);
    w.down.backward(h.data(), d_down_out, n, dh.data(), false, s.lora[6], pool);
    parallel_chunks(pool, n * ffn, [&](int64_t begin, int64_t end) {
      kernels::gated_activation_backward(s.gate.data() + begin, s.up.data() + begin, dh.data() + begin, end - begin,
                                         gate_activation(c.activation), d_gate.data() + begin, d_up.data() + begin);
    });
    w.gate.backward(s.ffn_normed.data(), d_gate.data(), n, d_normed.data(), false, s.lora[4], pool);
    w.up.backward(s.ffn_normed.data(), d_up.data(), n, d_normed.data(), true, s.lora[5], pool);
    norm_backward(s.x_mid.data(), w.ffn_norm, n, hidden, d_normed.data(), d_tmp.data());
    kernels::add(dx.data(), d_tmp.data(), n * hidden);  // dx is now ∂L/∂x_mid

    // Attention block.
    const float* d_o_out = dx.data();
    if (c.sandwich_norms) {
      norm_backward(s.o_out.data(), w.post_attn_norm, n, hidden, dx.data(), d_branch.data());
      d_o_out = d_branch.data();
    }
    w.o.backward(s.attended.data(), d_o_out, n, d_attended.data(), false, s.lora[3], pool);
    const kernels::CausalAttentionShape shape{
        a.batch, seq, {c.num_heads, c.num_kv_heads, c.head_dim}, c.layers[l].sliding ? c.sliding_window : 0};
    const kernels::AttentionOptions options{c.attention_scale, c.attn_logit_softcap};
    kernels::causal_attention_backward(s.q.data(), s.k.data(), s.v.data(), s.attended.data(), s.lse.data(),
                                       d_attended.data(), shape, options, dq.data(), dk.data(), dv.data(), pool);
    const LayerRope& rope = rope_[l];
    for (int64_t t = 0; t < n; ++t) {
      kernels::rope_backward(dq.data() + t * q_dim, c.num_heads, c.head_dim, t % seq, rope.inv_freq.data(),
                             rope.attention_factor, pairing);
      kernels::rope_backward(dk.data() + t * kv_dim, c.num_kv_heads, c.head_dim, t % seq, rope.inv_freq.data(),
                             rope.attention_factor, pairing);
    }
    if (c.qk_norm) {
      norm_backward(s.q_raw.data(), w.q_norm, n * c.num_heads, c.head_dim, dq.data(), d_raw.data());
      std::copy(d_raw.begin(), d_raw.begin() + n * q_dim, dq.begin());
      norm_backward(s.k_raw.data(), w.k_norm, n * c.num_kv_heads, c.head_dim, dk.data(), d_raw.data());
      std::copy(d_raw.begin(), d_raw.begin() + n * kv_dim, dk.begin());
    }
    w.q.backward(s.attn_normed.data(), dq.data(), n, d_normed.data(), false, s.lora[0], pool);
    w.k.backward(s.attn_normed.data(), dk.data(), n, d_normed.data(), true, s.lora[1], pool);
    w.v.backward(s.attn_normed.data(), dv.data(), n, d_normed.data(), true, s.lora[2], pool);
    norm_backward(s.x_in.data(), w.attn_norm, n, hidden, d_normed.data(), d_tmp.data());
    kernels::add(dx.data(), d_tmp.data(), n * hidden);  // dx is now ∂L/∂x_in
  }

  // Embedding: each token's row receives its gradient (times the embedding scale).
  if (embed_param_ != nullptr) {
    for (int64_t t = 0; t < n; ++t) {
      float* row = embed_param_->grad.data() + static_cast<int64_t>(tokens[t]) * hidden;
      const float* g = dx.data() + t * hidden;
      for (int64_t i = 0; i < hidden; ++i) row[i] += g[i] * c.embedding_scale;
    }
  }
}

}  // namespace medllm
