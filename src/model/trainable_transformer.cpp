#include "model/trainable_transformer.hpp"

#include <algorithm>
#include <cmath>
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

}  // namespace

float LoraOptions::scale() const {
  return rslora ? alpha / std::sqrt(static_cast<float>(rank)) : alpha / static_cast<float>(rank);
}

struct TrainableTransformer::Layer {
  std::array<Parameter*, kNormCount> norms{};  // null where the family has none
  std::array<TrainableLinear, kProjectionCount> linears;

  const Parameter* norm(Norm n) const { return norms[index(n)]; }
  Parameter* norm(Norm n) { return norms[index(n)]; }
  const TrainableLinear& linear(Projection p) const { return linears[index(p)]; }
  TrainableLinear& linear(Projection p) { return linears[index(p)]; }
};

// What the forward keeps for the backward, per layer, and the scratch both share. The whole
// object lives across calls, so a training step reuses the previous step's memory instead of
// faulting in fresh pages.
struct TrainableTransformer::Activations {
  struct LayerState : LayerActivations {
    Buffer lse;  // attention's log-sum-exp per query head
    std::array<LoraActivations, kProjectionCount> lora;
  };
  int64_t batch = 0, seq = 0, n = 0;
  bool training = false;
  uint64_t dropout_seed = 0;
  std::vector<int64_t> positions;  // token i of a row sits at position i
  std::vector<LayerState> layers;
  BlockScratch block;
  Buffer x_final, final_normed, logits;
  LoraActivations head_lora;
  Buffer dlogits, d_normed, dx, d_branch, d_tmp, dh, d_gate, d_up, dq, dk, dv, d_attended, d_raw;
};

// The forward with trained (or LoRA-adapted) projections, attention within each sequence of the
// batch, and every layer's activations kept.
class TrainableTransformer::Policy final : public ForwardPolicy {
 public:
  Policy(const TrainableTransformer& net, Activations& a) : net_(net), a_(a) {}

  const TensorView& embedding() const override { return net_.embed_; }
  const float* norm(int64_t layer, Norm which) const override { return net_.layers_[layer].norm(which)->value.data(); }
  const float* final_norm() const override { return net_.final_norm_->value.data(); }
  void project(int64_t layer, Projection which, const float* x, int64_t n, float* y, ThreadPool& pool) override {
    const uint64_t seed = a_.training ? seed_for(a_.dropout_seed, layer, static_cast<int>(index(which))) : 0;
    net_.layers_[layer].linear(which).forward(x, n, y, a_.layers[layer].lora[index(which)], seed, pool);
  }
  void project_head(const float* x, int64_t n, float* logits, ThreadPool& pool) override {
    net_.lm_head_.forward(x, n, logits, a_.head_lora, 0, pool);
  }
  void attend(int64_t layer, const AttentionCall& call, const float* q, const float* k, const float* v, int64_t n,
              float* out, ThreadPool& pool) override {
    Buffer& lse = a_.layers[layer].lse;
    lse.resize(static_cast<size_t>(n * call.shape.heads));
    kernels::causal_attention_forward(q, k, v, {a_.batch, a_.seq, call.shape, call.window}, call.options, out,
                                      lse.data(), pool);
  }
  LayerActivations& activations(int64_t layer) override { return a_.layers[layer]; }
  BlockScratch& scratch() override { return a_.block; }
  bool keeps_residuals() const override { return true; }

 private:
  const TrainableTransformer& net_;
  Activations& a_;
};

TrainableTransformer::TrainableTransformer(const ModelConfig& config, const ModelWeights& weights)
    : config_(config), forward_(config_) {
  build(weights, true);
}

TrainableTransformer::TrainableTransformer(const ModelConfig& config, const ModelWeights& weights,
                                           const LoraOptions& lora, uint64_t seed)
    : config_(config), forward_(config_), lora_(lora) {
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
    for (size_t n = 0; n < kNormCount; ++n) layer.norms[n] = vector(w.norms[n]);
    for (Projection p : kProjections) layer.linear(p) = linear(w.weight(p), w.bias(p));
    layers_.push_back(std::move(layer));
  }
  final_norm_ = vector(weights.final_norm);
  if (config_.tie_word_embeddings) {
    lm_head_.weight = embed_;
    lm_head_.weight_param = embed_param_;
  } else {
    lm_head_ = linear(weights.lm_head, {});
  }
}

void TrainableTransformer::add_lora(const LoraOptions& lora, uint64_t seed) {
  std::array<bool, kProjectionCount> targeted{};
  for (const std::string& module : lora.target_modules) {
    const auto p = projection_from_module(module);
    if (!p) fail("LoRA target module '{}' is not a projection (known: {})", module, known_projection_modules());
    targeted[index(*p)] = true;
  }
  if (lora.target_modules.empty())
    fail("LoRA needs at least one target module (known: {})", known_projection_modules());
  std::mt19937_64 rng(seed);
  for (int64_t i = 0; i < config_.num_layers; ++i) {
    for (Projection p : kProjections) {
      if (!targeted[index(p)]) continue;
      TrainableLinear* linear = &layers_[i].linear(p);
      const std::string name = fmt::format("model.layers.{}.{}", i, projection_path(p));
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
  const auto n = static_cast<int64_t>(tokens.size());
  a.batch = batch;
  a.seq = n / batch;
  a.n = n;
  a.training = training;
  a.dropout_seed = dropout_seed;
  a.layers.resize(static_cast<size_t>(config_.num_layers));
  a.positions.resize(static_cast<size_t>(n));
  for (int64_t t = 0; t < n; ++t) a.positions[t] = t % a.seq;

  Policy policy(*this, a);
  Buffer x(static_cast<size_t>(n * config_.hidden_size));
  forward_.embed(tokens.data(), n, x.data(), policy);
  for (int64_t l = 0; l < config_.num_layers; ++l) {
    forward_.layer(l, a.positions, x.data(), policy, pool);
    if (recompute_activations_ && training) {  // keep the input only: the backward recomputes the rest
      auto& s = a.layers[l];
      Buffer input = std::move(s.x_in);
      s = {};
      s.x_in = std::move(input);
    }
  }
  a.x_final = std::move(x);
  a.logits.resize(static_cast<size_t>(n * config_.vocab_size));
  forward_.logits(a.x_final.data(), n, a.final_normed, a.logits.data(), policy, pool);
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

void TrainableTransformer::norm_backward(const float* x, Parameter* w, int64_t rows, int64_t dim, const float* dy,
                                         float* dx) const {
  kernels::rms_norm_backward(x, w->value.data(), forward_.norm_offset(), forward_.norm_eps(), rows, dim, dy, dx,
                             w->trainable() ? w->grad.data() : nullptr);
}

void TrainableTransformer::backward(std::span<const int32_t> tokens, Activations& a, ThreadPool& pool) {
  const ModelConfig& c = config_;
  const int64_t n = a.n, hidden = c.hidden_size, ffn = c.intermediate_size;
  const int64_t q_dim = c.num_heads * c.head_dim, kv_dim = c.num_kv_heads * c.head_dim;
  for (Buffer* buffer : {&a.d_normed, &a.dx, &a.d_branch, &a.d_tmp}) resize(*buffer, n * hidden);
  for (Buffer* buffer : {&a.dh, &a.d_gate, &a.d_up}) resize(*buffer, n * ffn);
  resize(a.dq, n * q_dim);
  resize(a.dk, n * kv_dim);
  resize(a.dv, n * kv_dim);
  resize(a.d_attended, n * q_dim);
  resize(a.d_raw, n * std::max(q_dim, kv_dim));

  // Output head and final norm.
  lm_head_.backward(a.final_normed.data(), a.logits.data(), n, a.d_normed.data(), false, a.head_lora, pool);
  norm_backward(a.x_final.data(), final_norm_, n, hidden, a.d_normed.data(), a.dx.data());

  Policy policy(*this, a);
  for (int64_t l = c.num_layers - 1; l >= 0; --l) {
    if (recompute_activations_) {
      Buffer x = a.layers[l].x_in;
      forward_.layer(l, a.positions, x.data(), policy, pool);
    }
    feed_forward_backward(l, a, pool);  // a.dx: ∂L/∂x_out → ∂L/∂x_mid
    attention_backward(l, a, pool);     // a.dx: ∂L/∂x_mid → ∂L/∂x_in
  }

  // Embedding: each token's row receives its gradient (times the embedding scale).
  if (embed_param_ != nullptr) {
    for (int64_t t = 0; t < n; ++t) {
      float* row = embed_param_->grad.data() + static_cast<int64_t>(tokens[t]) * hidden;
      const float* g = a.dx.data() + t * hidden;
      for (int64_t i = 0; i < hidden; ++i) row[i] += g[i] * c.embedding_scale;
    }
  }
}

void TrainableTransformer::feed_forward_backward(int64_t l, Activations& a, ThreadPool& pool) {
  const ModelConfig& c = config_;
  const int64_t n = a.n, hidden = c.hidden_size, ffn = c.intermediate_size;
  Layer& w = layers_[l];
  auto& s = a.layers[l];
  const auto lora = [&](Projection p) -> const LoraActivations& { return s.lora[index(p)]; };
  // dx is ∂L/∂x_out; the residual passes it to x_mid unchanged.
  const float* d_down_out = a.dx.data();
  if (c.sandwich_norms) {
    norm_backward(s.down_out.data(), w.norm(Norm::PostFeedForward), n, hidden, a.dx.data(), a.d_branch.data());
    d_down_out = a.d_branch.data();
  }
  Buffer& h = a.block.hidden;
  forward_.gated(s.gate, s.up, n * ffn, h, pool);
  w.linear(Projection::Down).backward(h.data(), d_down_out, n, a.dh.data(), false, lora(Projection::Down), pool);
  const auto activation = gate_activation(c.activation);
  parallel_chunks(pool, n * ffn, [&](int64_t begin, int64_t end) {
    kernels::gated_activation_backward(s.gate.data() + begin, s.up.data() + begin, a.dh.data() + begin, end - begin,
                                       activation, a.d_gate.data() + begin, a.d_up.data() + begin);
  });
  w.linear(Projection::Gate)
      .backward(s.ffn_normed.data(), a.d_gate.data(), n, a.d_normed.data(), false, lora(Projection::Gate), pool);
  w.linear(Projection::Up)
      .backward(s.ffn_normed.data(), a.d_up.data(), n, a.d_normed.data(), true, lora(Projection::Up), pool);
  norm_backward(s.x_mid.data(), w.norm(Norm::FeedForward), n, hidden, a.d_normed.data(), a.d_tmp.data());
  kernels::add(a.dx.data(), a.d_tmp.data(), n * hidden);
}

void TrainableTransformer::attention_backward(int64_t l, Activations& a, ThreadPool& pool) {
  const ModelConfig& c = config_;
  const int64_t n = a.n, hidden = c.hidden_size;
  const int64_t q_dim = c.num_heads * c.head_dim, kv_dim = c.num_kv_heads * c.head_dim;
  Layer& w = layers_[l];
  auto& s = a.layers[l];
  const auto lora = [&](Projection p) -> const LoraActivations& { return s.lora[index(p)]; };
  const float* d_o_out = a.dx.data();
  if (c.sandwich_norms) {
    norm_backward(s.o_out.data(), w.norm(Norm::PostAttention), n, hidden, a.dx.data(), a.d_branch.data());
    d_o_out = a.d_branch.data();
  }
  w.linear(Projection::O)
      .backward(s.attended.data(), d_o_out, n, a.d_attended.data(), false, lora(Projection::O), pool);
  const AttentionCall call = forward_.attention_call(l);
  kernels::causal_attention_backward(s.q.data(), s.k.data(), s.v.data(), s.attended.data(), s.lse.data(),
                                     a.d_attended.data(), {a.batch, a.seq, call.shape, call.window}, call.options,
                                     a.dq.data(), a.dk.data(), a.dv.data(), pool);
  const TransformerForward::Rope& rope = forward_.rope(l);
  const auto pairing = rope_pairing(c.rope_layout);
  for (int64_t t = 0; t < n; ++t) {
    kernels::rope_backward(a.dq.data() + t * q_dim, c.num_heads, c.head_dim, a.positions[t], rope.inv_freq.data(),
                           rope.attention_factor, pairing);
    kernels::rope_backward(a.dk.data() + t * kv_dim, c.num_kv_heads, c.head_dim, a.positions[t], rope.inv_freq.data(),
                           rope.attention_factor, pairing);
  }
  if (c.qk_norm) {
    norm_backward(s.q_raw.data(), w.norm(Norm::Query), n * c.num_heads, c.head_dim, a.dq.data(), a.d_raw.data());
    std::copy(a.d_raw.begin(), a.d_raw.begin() + n * q_dim, a.dq.begin());
    norm_backward(s.k_raw.data(), w.norm(Norm::Key), n * c.num_kv_heads, c.head_dim, a.dk.data(), a.d_raw.data());
    std::copy(a.d_raw.begin(), a.d_raw.begin() + n * kv_dim, a.dk.begin());
  }
  w.linear(Projection::Q)
      .backward(s.attn_normed.data(), a.dq.data(), n, a.d_normed.data(), false, lora(Projection::Q), pool);
  w.linear(Projection::K)
      .backward(s.attn_normed.data(), a.dk.data(), n, a.d_normed.data(), true, lora(Projection::K), pool);
  w.linear(Projection::V)
      .backward(s.attn_normed.data(), a.dv.data(), n, a.d_normed.data(), true, lora(Projection::V), pool);
  norm_backward(s.x_in.data(), w.norm(Norm::Attention), n, hidden, a.d_normed.data(), a.d_tmp.data());
  kernels::add(a.dx.data(), a.d_tmp.data(), n * hidden);
}

}  // namespace medllm
