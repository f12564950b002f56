#include "random_llama.hpp"

#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "formats/safetensors.hpp"

namespace medllm::bench {

namespace fs = std::filesystem;

namespace {

constexpr float kWeightStd = 0.02f;
// Every run draws the same weights, so f32 and bf16 models hold the same values up to rounding
// and figures from different runs measure the same model.
constexpr uint64_t kSeed = 125;

NamedTensor random_matrix(std::string name, int64_t rows, int64_t cols, DType dtype, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, kWeightStd);
  std::vector<float> values(static_cast<size_t>(rows * cols));
  for (float& v : values) v = normal(rng);
  NamedTensor tensor{std::move(name), dtype, {rows, cols}, {}};
  tensor.bytes.resize(dtype_bytes(dtype, rows * cols));
  from_f32(dtype, values.data(), tensor.bytes.data(), rows * cols);
  return tensor;
}

NamedTensor f32_vector(std::string name, const std::vector<float>& values) {
  const auto size = static_cast<int64_t>(values.size());
  NamedTensor tensor{std::move(name), DType::F32, {size}, {}};
  tensor.bytes.resize(dtype_bytes(DType::F32, size));
  from_f32(DType::F32, values.data(), tensor.bytes.data(), size);
  return tensor;
}

// A vector of `size` values base + N(0, spread²), in f32.
NamedTensor random_vector(std::string name, int64_t size, float base, float spread, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, spread);
  std::vector<float> values(static_cast<size_t>(size));
  for (float& v : values) v = base + normal(rng);
  return f32_vector(std::move(name), values);
}

NamedTensor ones(std::string name, int64_t size) {
  return f32_vector(std::move(name), std::vector<float>(static_cast<size_t>(size), 1.0f));
}

}  // namespace

std::vector<NamedTensor> random_llama_weights(const LlamaShape& s, DType dtype) {
  const int64_t head_dim = s.hidden / s.heads;
  const int64_t q_dim = s.heads * head_dim;
  const int64_t kv_dim = s.kv_heads * head_dim;
  uint64_t seed = kSeed;
  std::vector<NamedTensor> tensors;
  auto matrix = [&](std::string name, int64_t rows, int64_t cols) {
    tensors.push_back(random_matrix(std::move(name), rows, cols, dtype, seed++));
  };
  matrix("model.embed_tokens.weight", s.vocab, s.hidden);
  for (int64_t i = 0; i < s.layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    tensors.push_back(ones(p + "input_layernorm.weight", s.hidden));
    matrix(p + "self_attn.q_proj.weight", q_dim, s.hidden);
    matrix(p + "self_attn.k_proj.weight", kv_dim, s.hidden);
    matrix(p + "self_attn.v_proj.weight", kv_dim, s.hidden);
    if (std::string_view(s.architecture) == "qwen2") {
      for (const auto& [name, size] : {std::pair{"q", q_dim}, std::pair{"k", kv_dim}, std::pair{"v", kv_dim}}) {
        tensors.push_back(random_vector(p + "self_attn." + name + "_proj.bias", size, 0.0f, 0.1f, seed++));
      }
    }
    if (std::string_view(s.architecture) == "qwen3") {
      tensors.push_back(random_vector(p + "self_attn.q_norm.weight", head_dim, 1.0f, 0.1f, seed++));
      tensors.push_back(random_vector(p + "self_attn.k_norm.weight", head_dim, 1.0f, 0.1f, seed++));
    }
    matrix(p + "self_attn.o_proj.weight", s.hidden, q_dim);
    tensors.push_back(ones(p + "post_attention_layernorm.weight", s.hidden));
    matrix(p + "mlp.gate_proj.weight", s.ffn, s.hidden);
    matrix(p + "mlp.up_proj.weight", s.ffn, s.hidden);
    matrix(p + "mlp.down_proj.weight", s.hidden, s.ffn);
  }
  tensors.push_back(ones("model.norm.weight", s.hidden));
  matrix("lm_head.weight", s.vocab, s.hidden);
  return tensors;
}

namespace {

bool holds_config(const fs::path& dir, const nlohmann::json& config) {
  if (!fs::exists(dir / "model.safetensors")) return false;
  std::ifstream in(dir / "config.json");
  if (!in) return false;
  const nlohmann::json existing = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  return existing == config;
}

}  // namespace

nlohmann::json llama_config_json(const LlamaShape& shape, DType dtype) {
  return {{"architectures", {"LlamaForCausalLM"}},
          {"model_type", "llama"},
          {"hidden_size", shape.hidden},
          {"intermediate_size", shape.ffn},
          {"num_hidden_layers", shape.layers},
          {"num_attention_heads", shape.heads},
          {"num_key_value_heads", shape.kv_heads},
          {"vocab_size", shape.vocab},
          {"max_position_embeddings", shape.max_positions},
          {"rms_norm_eps", 1e-5},
          {"rope_theta", 10000.0},
          {"tie_word_embeddings", false},
          {"bos_token_id", 1},
          {"eos_token_id", 2},
          {"torch_dtype", dtype == DType::BF16 ? "bfloat16" : "float32"}};
}

bool ensure_random_llama(const fs::path& dir, const LlamaShape& shape, DType dtype) {
  const nlohmann::json config = llama_config_json(shape, dtype);
  if (holds_config(dir, config)) return false;
  fs::create_directories(dir);
  // config.json goes last: a directory with a matching config.json holds complete weights, even
  // if an earlier run was interrupted while writing them.
  fs::remove(dir / "config.json");
  const std::vector<NamedTensor> tensors = random_llama_weights(shape, dtype);
  std::vector<std::pair<std::string, TensorView>> views;
  for (const auto& t : tensors) views.emplace_back(t.name, TensorView{t.dtype, t.shape, t.bytes.data()});
  write_safetensors((dir / "model.safetensors").string(), views);
  write_file_atomically((dir / "config.json").string(), config.dump(2));
  return true;
}

}  // namespace medllm::bench
