#pragma once
// What a loaded Model holds; shared by the model, runtime and tools that need the internals.

#include <medllm/model.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/thread_pool.hpp"
#include "formats/tensor_store.hpp"
#include "model/transformer.hpp"
#include "model/weight_updates.hpp"
#include "model/weights.hpp"

namespace medllm {

struct ModelState {
  std::string path;
  std::string format;
  nlohmann::json metadata;
  TensorStore store;
  ModelConfig config;
  ModelWeights weights;
  OwnedWeights owned_weights;
  std::string checkpoint;
  std::vector<LoraAdapterSpec> lora_adapters;  // weights changed after loading (checkpoint, merged LoRA)
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<Transformer> transformer;
};

const ModelState& model_state(const Model& model);

}  // namespace medllm
