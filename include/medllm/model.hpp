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

enum class LogitsFor { Last, All };

// One sequence's decoding state: the key/value cache and scratch buffers. Not thread-safe;
// several sessions may share one Model.
class Session {
 public:
  // context_length 0: the model's max_position_embeddings. Cache memory grows as used.
  explicit Session(const Model& model, int64_t context_length = 0);
  ~Session();
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;

  // Runs `tokens` at positions position() ... and appends them to the cache. Returns the logits
  // of the last token ([vocab]) or of every token ([tokens × vocab], row-major). The span stays
  // valid until the next call.
  std::span<const float> forward(std::span<const int32_t> tokens, LogitsFor which = LogitsFor::Last);

  int64_t position() const;
  int64_t context_length() const;
  int64_t vocab_size() const;
  // Forgets every position at and after `position` (0 clears the whole cache).
  void rewind(int64_t position);

 private:
  struct State;
  const Model* model_;
  std::unique_ptr<State> state_;
};

}  // namespace medllm
