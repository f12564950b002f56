#pragma once
// Loading a model (Hugging Face directory or GGUF file) and running it.

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include <medllm/config.hpp>

namespace medllm {

struct ModelState;

struct LoraAdapterSpec {
  std::string path;    // a PEFT LoRA adapter directory (adapter_config.json + adapter_model.safetensors)
  float scale = 1.0f;  // multiplies the adapter's own alpha / r
};

struct LoadOptions {
  int threads = 0;            // worker threads; 0 = one per hardware thread
  bool check_weights = true;  // scan every weight for NaN/Inf at load (memory-bound, one pass)
  // Trained weights from a `medllm train` checkpoint directory (full fine-tuning), replacing the
  // base model's.
  std::string checkpoint = {};
  // LoRA adapters merged into the weights at load, in order.
  std::vector<LoraAdapterSpec> lora_adapters = {};
  // Block-quantized weights (q8_0, q4_k, ...) multiply inputs rounded to int8 (per 32, or per 256
  // for the k-quants and iq4_xs), as llama.cpp does. true: dequantized to f32 with f32 inputs instead, as transformers
  // runs a GGUF and as the trainer computes; slower, and free of the inputs' rounding.
  bool dequantized_matmul = false;
};

struct TensorSummary {
  std::string name;
  std::string dtype;  // as stored: "F32", "BF16", "Q8_0", ...
  std::vector<int64_t> shape;
  size_t bytes = 0;
  std::string file;
  bool used = false;  // read by the forward pass
};

class Model {
 public:
  // PATH is a Hugging Face model directory (config.json + safetensors), a .safetensors file
  // beside its config.json, or a .gguf file. Errors name the file, tensor or field at fault.
  static std::unique_ptr<Model> load(const std::string& path, const LoadOptions& options = {});
  ~Model();

  const ModelConfig& config() const;
  const std::string& path() const;
  std::string format() const;              // "safetensors" or "gguf"
  const nlohmann::json& metadata() const;  // config.json, or the GGUF key/values
  std::vector<TensorSummary> tensors() const;
  int threads() const;
  // What changed the stored weights at load: the checkpoint and the merged adapters.
  const std::string& checkpoint() const;
  const std::vector<LoraAdapterSpec>& lora_adapters() const;

 private:
  // The loaded weights, store and runtime pieces; the library reaches them through
  // model_state() in its internal header src/model/model_state.hpp.
  friend const ModelState& model_state(const Model& model);
  explicit Model(std::unique_ptr<ModelState> state);
  std::unique_ptr<ModelState> state_;
};

// Which logits a forward pass returns (Session::forward, the batch engine).
enum class LogitsFor { Last, All };

}  // namespace medllm
