#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "formats/safetensors.hpp"

namespace medllm::test {

namespace fs = std::filesystem;

fs::path shared_data(const std::string& relative) {
  return fs::path(MEDLLM_SHARED_DATA) / relative;
}
fs::path repo_path(const std::string& relative) {
  return fs::path(MEDLLM_SOURCE_DIR) / relative;
}
fs::path stories260k_path() {
  return repo_path("data/models/stories260K/stories260K.gguf");
}

fs::path fresh_temp_dir(const std::string& name) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = fs::path(::testing::TempDir()) / "medllm-tests" /
                 (std::string(info ? info->test_suite_name() : "suite") + "." + (info ? info->name() : "test")) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

OwnedTensor random_tensor(const std::string& name, Shape shape, DType dtype, uint64_t seed, float scale) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> values(static_cast<size_t>(shape_numel(shape)));
  for (float& v : values) v = normal(rng);
  OwnedTensor tensor{name, dtype, std::move(shape), {}};
  tensor.bytes.resize(dtype_bytes(dtype, static_cast<int64_t>(values.size())));
  from_f32(dtype, values.data(), tensor.bytes.data(), static_cast<int64_t>(values.size()));
  return tensor;
}

OwnedTensor* TinyModel::find(const std::string& name) {
  for (auto& tensor : tensors) {
    if (tensor.name == name) return &tensor;
  }
  return nullptr;
}

TinyModel tiny_llama(DType dtype, uint64_t seed) {
  constexpr int64_t hidden = 32, layers = 2, heads = 4, kv_heads = 2, ffn = 48, vocab = 64;
  constexpr int64_t head_dim = hidden / heads;
  TinyModel model;
  model.config = {{"architectures", {"LlamaForCausalLM"}},
                  {"model_type", "llama"},
                  {"hidden_size", hidden},
                  {"intermediate_size", ffn},
                  {"num_hidden_layers", layers},
                  {"num_attention_heads", heads},
                  {"num_key_value_heads", kv_heads},
                  {"vocab_size", vocab},
                  {"max_position_embeddings", 128},
                  {"rms_norm_eps", 1e-5},
                  {"rope_theta", 10000.0},
                  {"tie_word_embeddings", false},
                  {"bos_token_id", 1},
                  {"eos_token_id", 2}};
  auto add = [&](const std::string& name, Shape shape, float scale = 0.2f) {
    const DType stored = shape.size() == 1 ? DType::F32 : dtype;  // norms stay f32
    model.tensors.push_back(random_tensor(name, std::move(shape), stored, seed++, scale));
  };
  add("model.embed_tokens.weight", {vocab, hidden}, 1.0f);
  for (int64_t i = 0; i < layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    add(p + "input_layernorm.weight", {hidden});
    add(p + "self_attn.q_proj.weight", {heads * head_dim, hidden});
    add(p + "self_attn.k_proj.weight", {kv_heads * head_dim, hidden});
    add(p + "self_attn.v_proj.weight", {kv_heads * head_dim, hidden});
    add(p + "self_attn.o_proj.weight", {hidden, heads * head_dim});
    add(p + "post_attention_layernorm.weight", {hidden});
    add(p + "mlp.gate_proj.weight", {ffn, hidden});
    add(p + "mlp.up_proj.weight", {ffn, hidden});
    add(p + "mlp.down_proj.weight", {hidden, ffn});
  }
  add("model.norm.weight", {hidden});
  add("lm_head.weight", {vocab, hidden});
  return model;
}

void write_hf_model(const fs::path& dir, const TinyModel& model) {
  fs::create_directories(dir);
  write_file(dir / "config.json", model.config.dump(2));
  std::vector<std::pair<std::string, TensorView>> views;
  for (const auto& tensor : model.tensors) views.emplace_back(tensor.name, tensor.view());
  write_safetensors((dir / "model.safetensors").string(), views);
}

}  // namespace medllm::test
