// Training gradients against PyTorch autograd. tests/reference/make_training_references.py
// computes, for the tiny f32 models of every supported family (tests/reference), the mean masked
// next-token loss of a batch of two sequences (one with an SFT-style prompt mask, both longer
// than the sliding windows) and its gradient with respect to every parameter (full fine-tuning)
// and to LoRA A and B with the base frozen. Each case here loads the same model files with
// medllm and compares every gradient tensor within kRelativeTolerance of its largest element.

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <medllm/error.hpp>
#include <medllm/model.hpp>
#include <nlohmann/json.hpp>

#include "formats/safetensors.hpp"
#include "formats/tensor_store.hpp"
#include "model/model_state.hpp"
#include "model/trainable_transformer.hpp"
#include "support/test_support.hpp"

namespace medllm {
namespace {

namespace fs = std::filesystem;

constexpr double kRelativeTolerance = 1e-4;  // max |medllm − torch| / max |torch|, per tensor
constexpr double kLossTolerance = 1e-5;      // relative

fs::path training_reference_dir() {
  return fs::path(MEDLLM_REFERENCE_DIR).parent_path() / "training_reference";
}

struct Case {
  nlohmann::json info;
  std::unique_ptr<Model> model;
  std::vector<int32_t> tokens, targets;
};

Case load_case(const std::string& name, int threads = 0) {
  const fs::path dir = training_reference_dir() / name;
  std::ifstream in(dir / "batch.json");
  if (!in) throw std::runtime_error("missing " + (dir / "batch.json").string() + ": run reference.training");
  Case c;
  c.info = nlohmann::json::parse(in);
  c.model = Model::load(c.info["model_dir"].get<std::string>(), LoadOptions{.threads = threads});
  for (const auto& row : c.info["tokens"]) {
    for (const auto& t : row) c.tokens.push_back(t.get<int32_t>());
  }
  for (const auto& row : c.info["targets"]) {
    for (const auto& t : row) c.targets.push_back(t.get<int32_t>());
  }
  return c;
}

LoraOptions lora_options(const nlohmann::json& lora) {
  LoraOptions options;
  options.rank = lora["rank"].get<int64_t>();
  options.alpha = lora["alpha"].get<float>();
  options.rslora = lora["rslora"].get<bool>();
  options.target_modules = lora["targets"].get<std::vector<std::string>>();
  return options;
}

// Compares every trained parameter's gradient with the reference file's tensor of that name.
void expect_gradients_match(const TrainableTransformer& model, const fs::path& file, const std::string& label) {
  TensorStore reference;
  load_safetensors(file.string(), reference);
  size_t compared = 0;
  double worst = 0.0;
  for (const Parameter* p : model.trainable_parameters()) {
    const TensorEntry* entry = reference.find(p->name);
    if (entry == nullptr) {
      ADD_FAILURE() << label << ": no reference gradient for " << p->name;
      continue;
    }
    ASSERT_EQ(entry->shape, p->shape) << label << " " << p->name;
    const auto* expected = reinterpret_cast<const float*>(entry->data);
    double max_ref = 0.0, max_diff = 0.0;
    for (size_t i = 0; i < p->grad.size(); ++i) {
      max_ref = std::max(max_ref, std::fabs(static_cast<double>(expected[i])));
      max_diff = std::max(max_diff, std::fabs(static_cast<double>(p->grad[i]) - expected[i]));
    }
    ASSERT_GT(max_ref, 0.0) << label << " " << p->name << ": the reference gradient is zero, the test would be empty";
    const double relative = max_diff / max_ref;
    worst = std::max(worst, relative);
    EXPECT_LE(relative, kRelativeTolerance)
        << label << " " << p->name << " max abs diff " << max_diff << " of max " << max_ref;
    ++compared;
  }
  EXPECT_EQ(compared, reference.entries().size()) << label << ": every reference gradient must be compared";
  ::testing::Test::RecordProperty(label + "_worst_relative_error", std::to_string(worst));
}

class GradientCase : public ::testing::TestWithParam<std::string> {};

TEST_P(GradientCase, FullFineTuningGradientsMatchPyTorch) {
  Case c = load_case(GetParam());
  TrainableTransformer model(c.model->config(), model_state(*c.model).weights);
  const int64_t scored = c.info["scored_tokens"].get<int64_t>();
  ThreadPool pool(2);
  const LossSum loss = model.forward_backward(c.tokens, c.targets, c.info["batch"].get<int64_t>(),
                                              1.0f / static_cast<float>(scored), 0, pool);
  EXPECT_EQ(loss.tokens, scored);
  const double expected = c.info["loss_full"].get<double>();
  EXPECT_NEAR(loss.sum / static_cast<double>(loss.tokens), expected, kLossTolerance * expected);
  expect_gradients_match(model, training_reference_dir() / GetParam() / "grads_full.safetensors", "full");
}

TEST_P(GradientCase, LoraGradientsMatchPyTorch) {
  Case c = load_case(GetParam());
  TrainableTransformer model(c.model->config(), model_state(*c.model).weights, lora_options(c.info["lora"]), 1);
  TensorStore lora_weights;
  load_safetensors((training_reference_dir() / GetParam() / "lora_weights.safetensors").string(), lora_weights);
  for (const auto& [name, entry] : lora_weights.entries()) {
    Parameter* p = model.find(name);
    ASSERT_NE(p, nullptr) << name;
    ASSERT_EQ(p->shape, entry.shape) << name;
    std::memcpy(p->value.data(), entry.data, entry.nbytes);
  }
  EXPECT_EQ(model.trainable_parameters().size(), lora_weights.entries().size()) << "only A and B train";
  const int64_t scored = c.info["scored_tokens"].get<int64_t>();
  ThreadPool pool(2);
  const LossSum loss = model.forward_backward(c.tokens, c.targets, c.info["batch"].get<int64_t>(),
                                              1.0f / static_cast<float>(scored), 0, pool);
  const double expected = c.info["loss_lora"].get<double>();
  EXPECT_NEAR(loss.sum / static_cast<double>(loss.tokens), expected, kLossTolerance * expected);
  expect_gradients_match(model, training_reference_dir() / GetParam() / "grads_lora.safetensors", "lora");
}

// Exact resume needs gradients that do not depend on how the work was split.
TEST_P(GradientCase, GradientsDoNotDependOnTheThreadCount) {
  std::vector<std::vector<float>> grads;
  for (int threads : {1, 2}) {
    Case c = load_case(GetParam());
    TrainableTransformer model(c.model->config(), model_state(*c.model).weights);
    ThreadPool pool(threads);
    model.forward_backward(c.tokens, c.targets, 2, 0.01f, 0, pool);
    std::vector<float> all;
    for (const Parameter* p : model.trainable_parameters()) all.insert(all.end(), p->grad.begin(), p->grad.end());
    grads.push_back(std::move(all));
  }
  EXPECT_EQ(grads[0], grads[1]);
}

// Activation recomputation runs the same computation again: gradients must be identical, with
// LoRA dropout too (the masks are drawn from the same seeds).
TEST_P(GradientCase, RecomputedActivationsGiveIdenticalGradients) {
  for (const bool lora : {false, true}) {
    std::vector<std::vector<float>> grads;
    std::vector<double> losses;
    for (const bool recompute : {false, true}) {
      Case c = load_case(GetParam());
      LoraOptions options;
      options.dropout = 0.2f;
      options.target_modules = {"q_proj", "v_proj", "down_proj"};
      auto model =
          lora ? std::make_unique<TrainableTransformer>(c.model->config(), model_state(*c.model).weights, options, 4)
               : std::make_unique<TrainableTransformer>(c.model->config(), model_state(*c.model).weights);
      for (Parameter* p : model->trainable_parameters()) {
        if (p->name.find("lora_B") != std::string::npos) std::fill(p->value.begin(), p->value.end(), 0.01f);
      }
      model->set_recompute_activations(recompute);
      ThreadPool pool(2);
      losses.push_back(model->forward_backward(c.tokens, c.targets, 2, 0.01f, 9, pool).sum);
      std::vector<float> all;
      for (const Parameter* p : model->trainable_parameters()) all.insert(all.end(), p->grad.begin(), p->grad.end());
      grads.push_back(std::move(all));
    }
    EXPECT_EQ(losses[0], losses[1]) << (lora ? "lora" : "full");
    EXPECT_EQ(grads[0], grads[1]) << (lora ? "lora" : "full");
  }
}

INSTANTIATE_TEST_SUITE_P(Families, GradientCase,
                         ::testing::Values("llama_basic", "llama_bias_tied", "llama_rope_linear", "llama_rope_llama3",
                                           "llama_rope_yarn", "llama_head_dim", "mistral_swa", "qwen2", "qwen3",
                                           "gemma2", "gemma3_text", "gemma3_text_layer_types"));

// PEFT starts B at zero, so an untrained adapter leaves the model exactly as it was.
TEST(Lora, FreshAdapterKeepsTheBaseModelLoss) {
  Case c = load_case("qwen3");
  ThreadPool pool(2);
  TrainableTransformer full(c.model->config(), model_state(*c.model).weights);
  TrainableTransformer lora(c.model->config(), model_state(*c.model).weights, LoraOptions{}, 3);
  const LossSum a = full.loss(c.tokens, c.targets, 2, pool);
  const LossSum b = lora.loss(c.tokens, c.targets, 2, pool);
  EXPECT_EQ(a.tokens, b.tokens);
  EXPECT_NEAR(a.sum, b.sum, 1e-9 * std::fabs(a.sum));
  const Parameter* A = lora.find("model.layers.0.self_attn.q_proj.lora_A.weight");
  ASSERT_NE(A, nullptr);
  const float bound = 1.0f / std::sqrt(static_cast<float>(A->shape[1]));
  float largest = 0.0f;
  for (float v : A->value) largest = std::max(largest, std::fabs(v));
  EXPECT_LE(largest, bound);
  EXPECT_GT(largest, 0.5f * bound) << "A is drawn from U(-1/sqrt(in), 1/sqrt(in))";
}

// With dropout the loss is still a deterministic function of the parameters for a given mask
// seed; central differences of it check the masked gradient path, which PyTorch cannot replay.
TEST(Lora, DropoutGradientMatchesFiniteDifferences) {
  Case c = load_case("llama_basic");
  ThreadPool pool(1);
  LoraOptions options;
  options.rank = 2;
  options.dropout = 0.3f;
  options.target_modules = {"v_proj", "down_proj"};
  TrainableTransformer model(c.model->config(), model_state(*c.model).weights, options, 5);
  for (Parameter* p : model.trainable_parameters()) {
    for (size_t i = 0; i < p->value.size(); ++i) p->value[i] = 0.3f * std::sin(static_cast<float>(i) + 1.0f);
  }
  constexpr uint64_t kMaskSeed = 42;
  const float scale =
      1.0f / static_cast<float>(std::count_if(c.targets.begin(), c.targets.end(), [](int32_t t) { return t >= 0; }));
  model.zero_grad();
  model.forward_backward(c.tokens, c.targets, 2, scale, kMaskSeed, pool);
  const auto loss_at = [&]() {
    std::vector<float> saved;
    for (Parameter* p : model.trainable_parameters()) saved.insert(saved.end(), p->grad.begin(), p->grad.end());
    const LossSum l = model.forward_backward(c.tokens, c.targets, 2, 0.0f, kMaskSeed, pool);
    size_t k = 0;  // restore the gradients computed above (scale 0 added zeros, but be exact)
    for (Parameter* p : model.trainable_parameters()) {
      for (float& g : p->grad) g = saved[k++];
    }
    return l.sum * static_cast<double>(scale);
  };
  int checked = 0;
  for (const char* name :
       {"model.layers.1.self_attn.v_proj.lora_A.weight", "model.layers.2.mlp.down_proj.lora_B.weight"}) {
    Parameter* p = model.find(name);
    ASSERT_NE(p, nullptr) << name;
    for (size_t i : {size_t{0}, p->value.size() / 2, p->value.size() - 1}) {
      const float original = p->value[i];
      const float h = 1e-2f;
      p->value[i] = original + h;
      const double up = loss_at();
      p->value[i] = original - h;
      const double down = loss_at();
      p->value[i] = original;
      const double numeric = (up - down) / (2.0 * h);
      EXPECT_NEAR(p->grad[i], numeric, 2e-2 * std::fabs(numeric) + 1e-4) << name << "[" << i << "]";
      ++checked;
    }
  }
  EXPECT_EQ(checked, 6);
}

TEST(Lora, UnknownTargetModuleIsAnError) {
  Case c = load_case("llama_basic");
  // Alone, and beside known modules: a misspelt module is never silently left out.
  for (const std::vector<std::string>& modules :
       {std::vector<std::string>{"query_key_value"}, std::vector<std::string>{"q_proj", "query_key_value"}}) {
    LoraOptions options;
    options.target_modules = modules;
    try {
      TrainableTransformer model(c.model->config(), model_state(*c.model).weights, options, 1);
      FAIL() << "no error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("'query_key_value' is not a projection"), std::string::npos) << e.what();
    }
  }
}

TEST(TrainingBatch, TokensOutsideTheVocabularyAreAnError) {
  Case c = load_case("llama_basic");
  TrainableTransformer model(c.model->config(), model_state(*c.model).weights);
  ThreadPool pool(1);
  c.tokens[5] = 100000;
  EXPECT_THROW(model.forward_backward(c.tokens, c.targets, 2, 1.0f, 0, pool), Error);
  EXPECT_THROW(model.loss(c.tokens, c.targets, 3, pool), Error);  // 40 tokens are not 3 equal rows
}

}  // namespace
}  // namespace medllm
