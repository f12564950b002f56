#pragma once
// Changing a loaded model's weights: replacing them with trained values (a `medllm train`
// checkpoint) or merging LoRA adapters in PEFT format (W += scale · B·A). Changed matrices move
// from the memory map into f32 buffers owned by the model.

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

// Merges a PEFT LoRA adapter directory (adapter_config.json + adapter_model.safetensors, Hugging
// Face row layout) with `scale` times its own alpha / r (or alpha / sqrt(r) for rsLoRA). Returns
// how many matrices changed.
int merge_lora_adapter(const ModelConfig& config, ModelWeights& weights, const std::string& adapter_dir, float scale,
                       OwnedWeights& storage);

}  // namespace medllm
