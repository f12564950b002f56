// Round trips of trained weights: a full fine-tuning checkpoint loaded onto its base model, the
// Hugging Face export of that model, a PEFT adapter applied at load (--lora), and the adapter
// merged and exported, must all give the logits of the in-memory trained model. Covers models
// loaded from Hugging Face files and from GGUF (whose q/k rows are stored in llama.cpp's order
// and must be exported in Hugging Face's).

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <medllm/error.hpp>
#include <medllm/model.hpp>
#include <medllm/session.hpp>
#include <random>

#include "formats/safetensors.hpp"
#include "model/export.hpp"
#include "model/model_state.hpp"
#include "model/trainable_transformer.hpp"
#include "support/test_support.hpp"

namespace medllm {
namespace {

namespace fs = std::filesystem;

// Different operation orders (batched training kernels vs decoding kernels, permuted rows) give
// the same function up to f32 rounding.
constexpr double kTolerance = 1e-4;

fs::path model_path(const std::string& name) {
  if (name == "stories260K") return test::stories260k_path();
  const fs::path dir = fs::path(MEDLLM_REFERENCE_DIR) / name;
  return fs::exists(dir / "model.gguf") ? dir / "model.gguf" : dir;
}

std::vector<int32_t> some_tokens(int64_t vocab, size_t n) {
  std::vector<int32_t> tokens;
  for (size_t i = 0; i < n; ++i) tokens.push_back(static_cast<int32_t>((i * 7919 + 13) % static_cast<size_t>(vocab)));
  return tokens;
}

std::vector<float> session_logits(const Model& model, const std::vector<int32_t>& tokens) {
  Session session(model);
  const auto logits = session.forward(tokens, LogitsFor::All);
  return {logits.begin(), logits.end()};
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0.0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    worst = std::max(worst, std::fabs(static_cast<double>(a[i]) - b[i]));
  return worst;
}

// Moves every trained parameter a little, as training would.
void perturb(TrainableTransformer& net, uint64_t seed, float scale) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0.0f, scale);
  for (Parameter* p : net.trainable_parameters()) {
    for (float& v : p->value) v += noise(rng);
  }
}

class ExportCase : public ::testing::TestWithParam<std::string> {};

TEST_P(ExportCase, FullCheckpointAndHuggingFaceExportGiveTheTrainedLogits) {
  const auto base = Model::load(model_path(GetParam()).string());
  TrainableTransformer net(base->config(), model_state(*base).weights);
  perturb(net, 1, 0.02f);
  const std::vector<int32_t> tokens = some_tokens(base->config().vocab_size, 24);
  ThreadPool pool(2);
  const std::vector<float> trained = net.logits(tokens, 1, pool);

  const fs::path dir = test::fresh_temp_dir("export-full-" + GetParam());
  std::vector<std::pair<std::string, TensorView>> tensors;
  for (const Parameter* p : net.trainable_parameters()) tensors.emplace_back(p->name, p->view());
  write_safetensors((dir / "model.safetensors").string(), tensors);
  const auto with_checkpoint = Model::load(model_path(GetParam()).string(), LoadOptions{.checkpoint = dir.string()});
  const std::vector<float> loaded = session_logits(*with_checkpoint, tokens);
  EXPECT_LE(max_abs_diff(loaded, trained), kTolerance) << "checkpoint on base vs in-memory";

  export_huggingface(*with_checkpoint, (dir / "hf").string());
  const auto exported = Model::load((dir / "hf").string());
  EXPECT_EQ(exported->format(), "safetensors");
  EXPECT_LE(max_abs_diff(session_logits(*exported, tokens), loaded), 2e-5) << "exported vs checkpoint on base";
}

// The trainer multiplies quantized base weights dequantized, so the models it is compared with do
// too (dequantized_matmul; llama.cpp's int8 rounding of the inputs is tested in test_quant_dot.cpp).
TEST_P(ExportCase, PeftAdapterAppliedOrMergedGivesTheTrainedLogits) {
  const auto base = Model::load(model_path(GetParam()).string(), LoadOptions{.dequantized_matmul = true});
  LoraOptions lora;
  lora.rank = 4;
  lora.target_modules = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
  TrainableTransformer net(base->config(), model_state(*base).weights, lora, 3);
  perturb(net, 2, 0.05f);  // B leaves zero, so the adapter changes the model
  const std::vector<int32_t> tokens = some_tokens(base->config().vocab_size, 24);
  ThreadPool pool(2);
  const std::vector<float> trained = net.logits(tokens, 1, pool);
  EXPECT_GT(max_abs_diff(trained, session_logits(*base, tokens)), 1e-2) << "the adapter must matter";

  const fs::path dir = test::fresh_temp_dir("export-lora-" + GetParam());
  export_peft_adapter(net, model_path(GetParam()).string(), (dir / "adapter").string());
  const auto applied =
      Model::load(model_path(GetParam()).string(),
                  LoadOptions{.lora_adapters = {{(dir / "adapter").string(), 1.0f}}, .dequantized_matmul = true});
  const std::vector<float> with_adapter = session_logits(*applied, tokens);
  EXPECT_LE(max_abs_diff(with_adapter, trained), kTolerance) << "--lora vs in-memory";

  export_huggingface(*applied, (dir / "merged").string());
  const auto merged = Model::load((dir / "merged").string());
  EXPECT_LE(max_abs_diff(session_logits(*merged, tokens), with_adapter), 2e-5) << "merged export vs --lora";

  const auto half =
      Model::load(model_path(GetParam()).string(),
                  LoadOptions{.lora_adapters = {{(dir / "adapter").string(), 0.0f}}, .dequantized_matmul = true});
  EXPECT_LE(max_abs_diff(session_logits(*half, tokens), session_logits(*base, tokens)), 1e-5) << "scale 0 is the base";
}

INSTANTIATE_TEST_SUITE_P(Models, ExportCase,
                         ::testing::Values("stories260K", "llama_bias_tied", "llama_gguf_f16", "llama_gguf_q8_0",
                                           "qwen3", "gemma2", "mistral_swa"));

TEST(Export, BadAdaptersAreErrorsNamingTheFile) {
  const fs::path dir = test::fresh_temp_dir("bad-adapter");
  const std::string model = test::stories260k_path().string();
  try {
    Model::load(model, LoadOptions{.lora_adapters = {{dir.string(), 1.0f}}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("adapter_config.json"), std::string::npos) << e.what();
  }
  test::write_file(dir / "adapter_config.json", R"({"peft_type":"LORA","r":4,"lora_alpha":8})");
  std::vector<float> a(4 * 64, 0.1f);
  write_safetensors((dir / "adapter_model.safetensors").string(),
                    {{"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
                      TensorView{DType::F32, {4, 64}, reinterpret_cast<const std::byte*>(a.data())}}});
  try {
    Model::load(model, LoadOptions{.lora_adapters = {{dir.string(), 1.0f}}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("lora_B"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace medllm
