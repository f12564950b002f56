#include "model/named_weights.hpp"

#include <fmt/format.h>

namespace medllm {

namespace {

template <class Named, class Weights>
std::vector<Named> list_weights(const ModelConfig& config, Weights& weights) {
  std::vector<Named> out;
  const bool permuted = config.rope_layout == RopeLayout::AdjacentPairs;
  const auto matrix = [&](std::string name, auto& view, bool rope_rows = false, int64_t heads = 0) {
    out.push_back({std::move(name), &view, nullptr, permuted && rope_rows, heads});
  };
  const auto vector = [&](std::string name, auto& values, bool rope_rows = false, int64_t heads = 0) {
    if (!values.empty()) out.push_back({std::move(name), nullptr, &values, permuted && rope_rows, heads});
  };
  matrix("model.embed_tokens.weight", weights.embed);
  for (int64_t i = 0; i < config.num_layers; ++i) {
    auto& w = weights.layers[i];
    const std::string p = fmt::format("model.layers.{}.", i);
    vector(p + "input_layernorm.weight", w.attn_norm);
    matrix(p + "self_attn.q_proj.weight", w.q, true, config.num_heads);
    matrix(p + "self_attn.k_proj.weight", w.k, true, config.num_kv_heads);
    matrix(p + "self_attn.v_proj.weight", w.v);
    matrix(p + "self_attn.o_proj.weight", w.o);
    vector(p + "self_attn.q_proj.bias", w.q_bias, true, config.num_heads);
    vector(p + "self_attn.k_proj.bias", w.k_bias, true, config.num_kv_heads);
    vector(p + "self_attn.v_proj.bias", w.v_bias);
    vector(p + "self_attn.o_proj.bias", w.o_bias);
    vector(p + "self_attn.q_norm.weight", w.q_norm);
    vector(p + "self_attn.k_norm.weight", w.k_norm);
    if (config.sandwich_norms) {
      vector(p + "post_attention_layernorm.weight", w.post_attn_norm);
      vector(p + "pre_feedforward_layernorm.weight", w.ffn_norm);
      vector(p + "post_feedforward_layernorm.weight", w.post_ffn_norm);
    } else {
      vector(p + "post_attention_layernorm.weight", w.ffn_norm);
    }
    matrix(p + "mlp.gate_proj.weight", w.gate);
    matrix(p + "mlp.up_proj.weight", w.up);
    matrix(p + "mlp.down_proj.weight", w.down);
    vector(p + "mlp.gate_proj.bias", w.gate_bias);
    vector(p + "mlp.up_proj.bias", w.up_bias);
    vector(p + "mlp.down_proj.bias", w.down_bias);
  }
  vector("model.norm.weight", weights.final_norm);
  if (!config.tie_word_embeddings) matrix("lm_head.weight", weights.lm_head);
  return out;
}

}  // namespace

std::vector<NamedWeight> named_weights(const ModelConfig& config, ModelWeights& weights) {
  return list_weights<NamedWeight>(config, weights);
}

std::vector<ConstNamedWeight> named_weights(const ModelConfig& config, const ModelWeights& weights) {
  return list_weights<ConstNamedWeight>(config, weights);
}

int64_t hf_row_of_gguf_row(int64_t row, int64_t head_dim) {
  const int64_t head = row / head_dim, within = row % head_dim, half = head_dim / 2;
  return head * head_dim + (within % 2) * half + within / 2;
}

int64_t gguf_row_of_hf_row(int64_t row, int64_t head_dim) {
  const int64_t head = row / head_dim, within = row % head_dim, half = head_dim / 2;
  return head * head_dim + 2 * (within % half) + within / half;
}

}  // namespace medllm
