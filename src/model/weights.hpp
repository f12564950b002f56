#pragma once
// The model's weights bound by role. Matrices stay in their stored dtype (memory-mapped);
// vectors (norms, biases) are converted to f32 once. Tensor names for Hugging Face and GGUF
// layouts come from one table, so loading, validation and `medllm info` cannot drift apart.

#include <set>
#include <string>
#include <vector>

#include <medllm/config.hpp>
#include "core/tensor.hpp"
#include "core/thread_pool.hpp"
#include "formats/tensor_store.hpp"

namespace medllm {

enum class WeightLayout { HuggingFace, Gguf };

struct LayerWeights {
  std::vector<float> attn_norm, q_norm, k_norm, post_attn_norm, ffn_norm, post_ffn_norm;
  std::vector<float> q_bias, k_bias, v_bias, o_bias, gate_bias, up_bias, down_bias;
  TensorView q, k, v, o, gate, up, down;
};

struct ModelWeights {
  TensorView embed;    // [vocab, hidden]
  TensorView lm_head;  // [vocab, hidden]; the embedding when tied
  std::vector<float> final_norm;
  std::vector<LayerWeights> layers;
  std::set<std::string> used_names;  // every tensor name bound above
};

// Binds and shape-checks every weight the config needs. For Hugging Face layouts it also picks
// the name prefix (config.weight_prefixes) that the files use.
ModelWeights bind_weights(ModelConfig& config, const TensorStore& store, WeightLayout layout);

// Throws Error naming the tensor and file if any used weight holds NaN or infinity.
void check_finite(const ModelWeights& weights, const TensorStore& store, ThreadPool& pool);

}  // namespace medllm
