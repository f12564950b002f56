#pragma once
// The model's weights under their canonical Hugging Face names ("model.layers.0.mlp.up_proj.weight",
// "lm_head.weight"), and llama.cpp's, whatever file layout they were loaded from. Export, checkpoint loading and
// LoRA merging all address weights through this one list.

#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include <medllm/config.hpp>
#include "core/tensor.hpp"
#include "model/weights.hpp"

namespace medllm {

template <bool Const>
struct BasicNamedWeight {
  using Matrix = std::conditional_t<Const, const TensorView, TensorView>;
  using Vector = std::conditional_t<Const, const std::vector<float>, std::vector<float>>;
  std::string name;
  std::string gguf_name;       // llama.cpp's name ("blk.0.ffn_up.weight")
  Matrix* matrix = nullptr;    // 2-D weights (and the embedding)
  Vector* vector = nullptr;    // norms and biases (already f32)
  bool permuted_rows = false;  // q/k rows in llama.cpp's rope order (RopeLayout::AdjacentPairs)
  int64_t heads = 0;           // for permuted_rows: heads of head_dim rows each
};
using NamedWeight = BasicNamedWeight<false>;
using ConstNamedWeight = BasicNamedWeight<true>;

// Every weight the forward pass uses, in a fixed order. lm_head is listed only when untied;
// empty vectors (a bias or norm the family does not have) are left out.
std::vector<NamedWeight> named_weights(const ModelConfig& config, ModelWeights& weights);
std::vector<ConstNamedWeight> named_weights(const ModelConfig& config, const ModelWeights& weights);

// Row order conversions between llama.cpp's GGUF q/k layout (adjacent rope pairs) and Hugging
// Face's (halves): row (head, 2i + c) of GGUF is row (head, c·half + i) of Hugging Face.
int64_t hf_row_of_gguf_row(int64_t row, int64_t head_dim);
int64_t gguf_row_of_hf_row(int64_t row, int64_t head_dim);
// A whole q/k weight, bias or LoRA B (rows of values.size() / rows values, heads of head_dim
// rows) reordered one way or the other.
std::vector<float> rows_in_gguf_order(std::span<const float> values, int64_t rows, int64_t head_dim);
std::vector<float> rows_in_hf_order(std::span<const float> values, int64_t rows, int64_t head_dim);

// A weight's values as f32: a matrix converted from its dtype, a vector copied.
template <bool Const>
std::vector<float> f32_values(const BasicNamedWeight<Const>& w) {
  if (w.matrix == nullptr) return *w.vector;
  std::vector<float> values(static_cast<size_t>(w.matrix->numel()));
  to_f32(w.matrix->dtype, w.matrix->data, values.data(), w.matrix->numel());
  return values;
}

}  // namespace medllm
