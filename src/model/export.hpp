#pragma once
// Writing models out: a Hugging Face directory (config.json, model.safetensors, tokenizer files)
// from a loaded model with its current weights (after a checkpoint or merged LoRA adapters), and
// a PEFT LoRA adapter (adapter_config.json, adapter_model.safetensors) from trained adapters.
// Both use Hugging Face names and row order whatever layout the base was loaded from, so
// transformers and PEFT load them as they load their own.

#include <string>

#include "core/dtype.hpp"

namespace medllm {

class Model;
class TrainableTransformer;

// dtype: F32, BF16 or F16 for the matrices (norms and biases follow it, as save_pretrained does).
void export_huggingface(const Model& model, const std::string& out_dir, DType dtype = DType::F32);

// base_model is recorded as base_model_name_or_path; config gives the row layout of q/k.
void export_peft_adapter(const TrainableTransformer& net, const std::string& base_model, const std::string& out_dir);

}  // namespace medllm
