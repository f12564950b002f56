#pragma once
// Changing a loaded model's weights: replacing them with trained values (a `medllm train`
// checkpoint) or merging LoRA adapters in PEFT format (W += scale · B·A). Changed matrices move
// from the memory map into f32 buffers owned by the model.

#include <cmath>
#include <string>
#include <vector>

#include <medllm/config.hpp>
#include "model/weights.hpp"

namespace medllm {

using OwnedWeights = std::vector<std::vector<float>>;

// Every tensor of `safetensors_path` must name a weight of the model (canonical Hugging Face
// names, in the model's own row layout, as training checkpoints store them) and have its shape.
// Returns how many weights were replaced.
int replace_weights(const ModelConfig& config, ModelWeights& weights, const std::string& safetensors_path,
                    OwnedWeights& storage);

// A PEFT LoRA adapter directory (adapter_config.json + adapter_model.safetensors) read and checked
// against a model: for each adapted matrix (by its Hugging Face name), A [r, cols] and B [rows, r]
// in f32 with B's rows in Hugging Face order.
struct PeftAdapter {
  int64_t rank = 0;
  double alpha = 0.0;
  bool rslora = false;
  struct Pair {
    std::string weight;
    int64_t rows = 0, cols = 0;
    std::vector<float> a, b;
  };
  std::vector<Pair> pairs;
  // PEFT's scaling of B·A: alpha / r, or alpha / sqrt(r) for rsLoRA.
  double scaling() const { return alpha / (rslora ? std::sqrt(static_cast<double>(rank)) : static_cast<double>(rank)); }
};
PeftAdapter read_peft_adapter(const ModelConfig& config, const ModelWeights& weights, const std::string& adapter_dir);

// Merges a PEFT LoRA adapter directory (adapter_config.json + adapter_model.safetensors, Hugging
// Face row layout) with `scale` times its own alpha / r (or alpha / sqrt(r) for rsLoRA). Returns
// how many matrices changed.
int merge_lora_adapter(const ModelConfig& config, ModelWeights& weights, const std::string& adapter_dir, float scale,
                       OwnedWeights& storage);

}  // namespace medllm
