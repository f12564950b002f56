#include "model/named_weights.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace medllm {

namespace {

template <class Named, class Weights>
std::vector<Named> list_weights(const ModelConfig& config, Weights& weights) {
  std::vector<Named> out;
  const bool permuted = config.rope_layout == RopeLayout::AdjacentPairs;
  out.push_back({fmt::format("model.{}", kEmbeddingTensor.hf), kEmbeddingTensor.gguf, &weights.embed, nullptr});
  const std::vector<LayerTensor> tensors = layer_tensors(config);
  for (int64_t i = 0; i < config.num_layers; ++i) {
    auto& layer = weights.layers[i];
    for (const LayerTensor& tensor : tensors) {
      Named named{fmt::format("model.layers.{}.{}", i, tensor.hf), fmt::format("blk.{}.{}", i, tensor.gguf)};
      named.permuted_rows = permuted && tensor.rope_heads > 0;
      named.heads = tensor.rope_heads;
      switch (tensor.kind) {
        case LayerTensor::Kind::Weight:
          named.matrix = &layer.weight(tensor.projection);
          break;
        case LayerTensor::Kind::Bias:
          named.vector = &layer.bias(tensor.projection);
          break;
        case LayerTensor::Kind::NormWeight:
          named.vector = &layer.norm(tensor.norm);
          break;
      }
      out.push_back(std::move(named));
    }
  }
  out.push_back({fmt::format("model.{}", kFinalNormTensor.hf), kFinalNormTensor.gguf, nullptr, &weights.final_norm});
  if (!config.tie_word_embeddings) out.push_back({kLmHeadTensor.hf, kLmHeadTensor.gguf, &weights.lm_head, nullptr});
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

namespace {

std::vector<float> reorder_rows(std::span<const float> values, int64_t rows, int64_t head_dim,
                                int64_t (*destination)(int64_t, int64_t)) {
  const auto cols = static_cast<int64_t>(values.size()) / rows;
  std::vector<float> out(values.size());
  for (int64_t r = 0; r < rows; ++r) {
    std::copy_n(values.begin() + r * cols, cols, out.begin() + destination(r, head_dim) * cols);
  }
  return out;
}

}  // namespace

std::vector<float> rows_in_gguf_order(std::span<const float> values, int64_t rows, int64_t head_dim) {
  return reorder_rows(values, rows, head_dim, gguf_row_of_hf_row);
}

std::vector<float> rows_in_hf_order(std::span<const float> values, int64_t rows, int64_t head_dim) {
  return reorder_rows(values, rows, head_dim, hf_row_of_gguf_row);
}

}  // namespace medllm
