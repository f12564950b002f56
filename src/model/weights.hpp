#pragma once
// The model's weights bound by role. Matrices stay in their stored dtype (memory-mapped);
// vectors (norms, biases) are converted to f32 once. What is bound, under which Hugging Face or
// GGUF name and with which shape, comes from the weight table (model/weight_table.hpp).

#include <set>
#include <string>
#include <vector>

#include <medllm/config.hpp>
#include "core/tensor.hpp"
#include "core/thread_pool.hpp"
#include "formats/tensor_store.hpp"
#include "kernels/matmul.hpp"
#include "model/weight_table.hpp"

namespace medllm {

enum class WeightLayout { HuggingFace, Gguf };

struct LayerWeights {
  std::array<TensorView, kProjectionCount> projections;
  std::array<std::vector<float>, kProjectionCount> biases;  // empty where the family has none
  std::array<std::vector<float>, kNormCount> norms;         // empty where the family has none

  TensorView& weight(Projection p) { return projections[index(p)]; }
  const TensorView& weight(Projection p) const { return projections[index(p)]; }
  std::vector<float>& bias(Projection p) { return biases[index(p)]; }
  const std::vector<float>& bias(Projection p) const { return biases[index(p)]; }
  std::vector<float>& norm(Norm n) { return norms[index(n)]; }
  const std::vector<float>& norm(Norm n) const { return norms[index(n)]; }
};

struct ModelWeights {
  TensorView embed;    // [vocab, hidden]
  TensorView lm_head;  // [vocab, hidden]; the embedding when tied
  std::vector<float> final_norm;
  std::vector<LayerWeights> layers;
  std::set<std::string> used_names;  // every tensor name bound above
  // How block-quantized weights multiply their inputs (LoadOptions::dequantized_matmul).
  kernels::BlockMatmul block_matmul = kernels::BlockMatmul::Int8Inputs;
};

// Binds and shape-checks every weight the config needs, under the config's name prefix.
ModelWeights bind_weights(const ModelConfig& config, const TensorStore& store, WeightLayout layout);

// Throws Error naming the tensor and file if any used weight holds NaN or infinity.
void check_finite(const ModelWeights& weights, const TensorStore& store, ThreadPool& pool);

}  // namespace medllm
