#pragma once
// Writing models out: a Hugging Face directory (config.json, model.safetensors, tokenizer files)
// or a GGUF file from a loaded model with its current weights (after a checkpoint or merged LoRA
// adapters), and
// a PEFT LoRA adapter (adapter_config.json, adapter_model.safetensors) from trained adapters.
// Both use Hugging Face names and row order whatever layout the base was loaded from, so
// transformers and PEFT load them as they load their own.

#include <string>

#include "core/dtype.hpp"
#include "formats/gguf_quantize.hpp"

namespace medllm {

class Model;
class TrainableTransformer;

// dtype: F32, BF16 or F16 for the matrices (norms and biases follow it, as save_pretrained does).
void export_huggingface(const Model& model, const std::string& out_dir, DType dtype = DType::F32);

// A GGUF file llama.cpp and Ollama load, as llama.cpp's converter and llama-quantize would make
// it: the architecture's metadata (llama for Llama and Mistral, qwen2, qwen3; llama3 rope as a
// rope_freqs tensor), the tokenizer (a GGUF source's copied, else converted from the Hugging Face
// tokenizer files, tokenizer/gguf_vocab_export.hpp) with its chat template, and the current
// weights under llama.cpp's names and q/k row order. `type` is a llama-quantize preset name
// (F32, F16, BF16, Q8_0, Q4_K_M, ...): norms stay f32, the matrices take the preset's per-tensor
// mix, each quantized from its exact f32 values. Only the output is held in memory.
void export_gguf(const Model& model, const std::string& out_file, const std::string& type);
// The same with llama-quantize's options: options.type the preset; pure (--pure) and an
// importance matrix (imatrix, include_weights, exclude_weights) as `medllm quantize` applies them.
void export_gguf(const Model& model, const std::string& out_file, const QuantizeOptions& options);

// A PEFT LoRA adapter directory as llama.cpp's GGUF LoRA adapter (its --lora, Ollama's ADAPTER),
// as convert_lora_to_gguf makes it: lora_a / lora_b pairs under the base's GGUF tensor names (B's
// q/k rows in llama.cpp's order for llama), adapter.lora.alpha giving PEFT's scaling (rsLoRA's
// too). `type`: F32, F16 or BF16.
void export_gguf_lora(const Model& base, const std::string& adapter_dir, const std::string& out_file,
                      const std::string& type);

// base_model is recorded as base_model_name_or_path; config gives the row layout of q/k.
void export_peft_adapter(const TrainableTransformer& net, const std::string& base_model, const std::string& out_dir);

}  // namespace medllm
