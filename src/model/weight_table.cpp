#include "model/weight_table.hpp"

#include <fmt/format.h>

namespace medllm {

namespace {

struct ProjectionRow {
  const char* module;   // PEFT's target_modules name
  const char* hf_path;  // Hugging Face module path within a layer
  const char* gguf;     // llama.cpp tensor base name
  bool attention;       // its bias is switched by qkv_bias/o_bias, else by mlp_bias
};

constexpr std::array<ProjectionRow, kProjectionCount> kProjectionRows = {{
    {"q_proj", "self_attn.q_proj", "attn_q", true},
    {"k_proj", "self_attn.k_proj", "attn_k", true},
    {"v_proj", "self_attn.v_proj", "attn_v", true},
    {"o_proj", "self_attn.o_proj", "attn_output", true},
    {"gate_proj", "mlp.gate_proj", "ffn_gate", false},
    {"up_proj", "mlp.up_proj", "ffn_up", false},
    {"down_proj", "mlp.down_proj", "ffn_down", false},
}};

struct Dims {
  int64_t hidden, q_dim, kv_dim, ffn;
};

// [out, in] of a projection.
Shape projection_shape(Projection p, const Dims& d) {
  switch (p) {
    case Projection::Q:
      return {d.q_dim, d.hidden};
    case Projection::K:
    case Projection::V:
      return {d.kv_dim, d.hidden};
    case Projection::O:
      return {d.hidden, d.q_dim};
    case Projection::Gate:
    case Projection::Up:
      return {d.ffn, d.hidden};
    case Projection::Down:
      return {d.hidden, d.ffn};
  }
  return {};
}

bool has_bias(Projection p, const ModelConfig& c) {
  if (p == Projection::O) return c.o_bias;
  return kProjectionRows[index(p)].attention ? c.qkv_bias : c.mlp_bias;
}

int64_t rope_heads(Projection p, const ModelConfig& c) {
  if (p == Projection::Q) return c.num_heads;
  if (p == Projection::K) return c.num_kv_heads;
  return 0;
}

LayerTensor projection_tensor(LayerTensor::Kind kind, Projection p, const ModelConfig& c, const Dims& d) {
  const ProjectionRow& row = kProjectionRows[index(p)];
  const bool weight = kind == LayerTensor::Kind::Weight;
  const Shape shape = projection_shape(p, d);
  return {kind,
          p,
          Norm::Attention,
          fmt::format("{}.{}", row.hf_path, weight ? "weight" : "bias"),
          fmt::format("{}.{}", row.gguf, weight ? "weight" : "bias"),
          weight ? shape : Shape{shape[0]},
          rope_heads(p, c)};
}

LayerTensor norm_tensor(Norm n, const char* hf, const char* gguf, int64_t size) {
  return {LayerTensor::Kind::NormWeight, Projection::Q, n, hf, gguf, Shape{size}, 0};
}

}  // namespace

std::string_view projection_module(Projection p) {
  return kProjectionRows[index(p)].module;
}

std::string_view projection_path(Projection p) {
  return kProjectionRows[index(p)].hf_path;
}

std::optional<Projection> projection_from_module(std::string_view module) {
  for (Projection p : kProjections) {
    if (module == kProjectionRows[index(p)].module) return p;
  }
  return std::nullopt;
}

std::string known_projection_modules() {
  std::string out;
  for (Projection p : kProjections) out += fmt::format("{}{}", out.empty() ? "" : " ", projection_module(p));
  return out;
}

std::vector<LayerTensor> layer_tensors(const ModelConfig& c) {
  const Dims d{c.hidden_size, c.num_heads * c.head_dim, c.num_kv_heads * c.head_dim, c.intermediate_size};
  using Kind = LayerTensor::Kind;
  std::vector<LayerTensor> out;
  out.push_back(norm_tensor(Norm::Attention, "input_layernorm.weight", "attn_norm.weight", d.hidden));
  for (Projection p : {Projection::Q, Projection::K, Projection::V, Projection::O})
    out.push_back(projection_tensor(Kind::Weight, p, c, d));
  for (Projection p : {Projection::Q, Projection::K, Projection::V, Projection::O}) {
    if (has_bias(p, c)) out.push_back(projection_tensor(Kind::Bias, p, c, d));
  }
  if (c.qk_norm) {
    out.push_back(norm_tensor(Norm::Query, "self_attn.q_norm.weight", "attn_q_norm.weight", c.head_dim));
    out.push_back(norm_tensor(Norm::Key, "self_attn.k_norm.weight", "attn_k_norm.weight", c.head_dim));
  }
  // Llama-style models name their pre-FFN norm "post_attention_layernorm"; sandwich-norm models
  // (Gemma 2/3) use that name for the norm after attention and add pre/post-feedforward norms.
  if (c.sandwich_norms) {
    out.push_back(
        norm_tensor(Norm::PostAttention, "post_attention_layernorm.weight", "post_attention_norm.weight", d.hidden));
    out.push_back(norm_tensor(Norm::FeedForward, "pre_feedforward_layernorm.weight", "ffn_norm.weight", d.hidden));
    out.push_back(
        norm_tensor(Norm::PostFeedForward, "post_feedforward_layernorm.weight", "post_ffw_norm.weight", d.hidden));
  } else {
    out.push_back(norm_tensor(Norm::FeedForward, "post_attention_layernorm.weight", "ffn_norm.weight", d.hidden));
  }
  for (Projection p : {Projection::Gate, Projection::Up, Projection::Down})
    out.push_back(projection_tensor(Kind::Weight, p, c, d));
  for (Projection p : {Projection::Gate, Projection::Up, Projection::Down}) {
    if (has_bias(p, c)) out.push_back(projection_tensor(Kind::Bias, p, c, d));
  }
  return out;
}

}  // namespace medllm
