#pragma once
// Writes a Llama model with random weights in the Hugging Face layout (config.json +
// model.safetensors), so the benchmark needs no downloaded checkpoint.

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/dtype.hpp"
#include "core/tensor.hpp"

namespace medllm::bench {

struct LlamaShape {
  int64_t hidden = 768;
  int64_t layers = 12;
  int64_t heads = 12;
  int64_t kv_heads = 12;
  int64_t ffn = 2048;
  int64_t vocab = 32000;
  int64_t max_positions = 2048;
  // The family: "llama", or the ones with its layout plus a little: "qwen2" (q/k/v biases),
  // "qwen3" (q/k RMS norms). Written to GGUF only (reference/random_gguf.hpp).
  const char* architecture = "llama";
};

struct NamedTensor {
  std::string name;
  DType dtype;
  Shape shape;
  std::vector<std::byte> bytes;
};
// The model's tensors under their Hugging Face names: matrices drawn from N(0, 0.02²) and stored
// as `dtype`, norms 1 in f32. The same seed every run, so every dtype holds the same values.
std::vector<NamedTensor> random_llama_weights(const LlamaShape& shape, DType dtype);

// The config.json of the model: model_type llama, untied embeddings.
nlohmann::json llama_config_json(const LlamaShape& shape, DType dtype);

// Makes `dir` hold the random model (matrices drawn from N(0, 0.02²) and stored as `dtype`, norms
// 1 in f32). A directory whose config.json already matches is reused as it is; returns true when
// the model had to be written.
bool ensure_random_llama(const std::filesystem::path& dir, const LlamaShape& shape, DType dtype);

}  // namespace medllm::bench
