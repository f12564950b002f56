// Loading Hugging Face directories and GGUF files: the happy path and every kind of bad input
// the loader must turn into a clear error naming the file, tensor or field.

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <medllm/model.hpp>
#include <medllm/session.hpp>

#include "core/error.hpp"
#include "support/test_support.hpp"

namespace medllm {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string load_error(const fs::path& path) {
  try {
    Model::load(path.string());
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// Rewrites the safetensors header of a file in place of its data (same data bytes).
void edit_header(const fs::path& file, const std::function<void(json&)>& edit) {
  std::string bytes = test::read_file(file);
  uint64_t size;
  std::memcpy(&size, bytes.data(), 8);
  json header = json::parse(bytes.substr(8, size));
  edit(header);
  const std::string text = header.dump();
  const uint64_t new_size = text.size();
  std::string out(8, '\0');
  std::memcpy(out.data(), &new_size, 8);
  test::write_file(file, out + text + bytes.substr(8 + size));
}

TEST(ModelLoad, TinyLlamaLoadsAndRuns) {
  const auto dir = test::fresh_temp_dir("model");
  test::write_hf_model(dir, test::tiny_llama());
  const auto model = Model::load(dir.string());
  EXPECT_EQ(model->config().num_layers, 2);
  EXPECT_EQ(model->format(), "safetensors");
  Session session(*model);
  const std::vector<int32_t> tokens = {1, 5, 9, 33};
  const auto logits = session.forward(tokens, LogitsFor::All);
  ASSERT_EQ(logits.size(), 4u * 64u);
  for (float v : logits) ASSERT_TRUE(std::isfinite(v));
  // Loading the .safetensors file directly finds config.json beside it.
  EXPECT_EQ(Model::load((dir / "model.safetensors").string())->config().hidden_size, 32);
}

TEST(ModelLoad, MissingPathsAndFiles) {
  const auto dir = test::fresh_temp_dir("missing");
  EXPECT_NE(load_error(dir / "nope").find("no such file or directory"), std::string::npos);
  EXPECT_NE(load_error(dir).find("no config.json"), std::string::npos);
  test::write_file(dir / "config.json", test::tiny_llama().config.dump());
  EXPECT_NE(load_error(dir).find("no model.safetensors"), std::string::npos);
  test::write_file(dir / "notes.txt", "hello");
  EXPECT_NE(load_error(dir / "notes.txt").find("not a model"), std::string::npos);
}

// A PEFT adapter or a `medllm train` checkpoint given as the model: the error says what it is and
// how to load it on its base model, named from its own files when they name it.
TEST(ModelLoad, AdapterAndCheckpointDirectoriesHintHowToLoadThem) {
  const auto adapter = test::fresh_temp_dir("adapter");
  test::write_file(adapter / "adapter_config.json", R"({"peft_type": "LORA", "r": 8})");
  test::write_file(adapter / "adapter_model.safetensors", "");
  std::string error = load_error(adapter);
  EXPECT_NE(error.find("a LoRA adapter"), std::string::npos) << error;
  EXPECT_NE(error.find("-m BASE_MODEL --lora " + adapter.string()), std::string::npos) << error;
  test::write_file(adapter / "adapter_config.json",
                   R"({"peft_type": "LORA", "base_model_name_or_path": "base/llama"})");
  error = load_error(adapter / "adapter_model.safetensors");
  EXPECT_NE(error.find("-m base/llama --lora " + adapter.string()), std::string::npos) << error;

  const auto checkpoint = test::fresh_temp_dir("checkpoint-12");
  test::write_file(checkpoint / "model.safetensors", "");
  test::write_file(checkpoint / "trainer_state.json", R"({"global_step": 12, "run": {"model": "m/stories.gguf"}})");
  error = load_error(checkpoint);
  EXPECT_NE(error.find("a `medllm train` checkpoint"), std::string::npos) << error;
  EXPECT_NE(error.find("-m m/stories.gguf --checkpoint " + checkpoint.string()), std::string::npos) << error;
  test::write_file(checkpoint / "trainer_state.json", "{broken");  // the hint must not turn into another error
  error = load_error(checkpoint);
  EXPECT_NE(error.find("-m BASE_MODEL --checkpoint " + checkpoint.string()), std::string::npos) << error;
}

TEST(ModelLoad, TruncatedWeightsNameTheFile) {
  const auto dir = test::fresh_temp_dir("truncated");
  test::write_hf_model(dir, test::tiny_llama());
  const fs::path file = dir / "model.safetensors";
  const std::string bytes = test::read_file(file);
  test::write_file(file, bytes.substr(0, bytes.size() - 100));
  const std::string error = load_error(dir);
  EXPECT_NE(error.find(file.string()), std::string::npos) << error;
  EXPECT_NE(error.find("outside"), std::string::npos) << error;
}

TEST(ModelLoad, HeaderOffsetsOutOfRange) {
  const auto dir = test::fresh_temp_dir("offsets");
  test::write_hf_model(dir, test::tiny_llama());
  edit_header(dir / "model.safetensors", [](json& h) { h["model.norm.weight"]["data_offsets"][1] = 1u << 30; });
  const std::string error = load_error(dir);
  EXPECT_NE(error.find("model.norm.weight"), std::string::npos) << error;
  EXPECT_NE(error.find("model.safetensors"), std::string::npos) << error;
}

TEST(ModelLoad, WrongDtypeNamesTheTensor) {
  const auto dir = test::fresh_temp_dir("dtype");
  test::write_hf_model(dir, test::tiny_llama());
  edit_header(dir / "model.safetensors", [](json& h) { h["model.layers.0.self_attn.q_proj.weight"]["dtype"] = "I32"; });
  const std::string error = load_error(dir);
  EXPECT_NE(error.find("'model.layers.0.self_attn.q_proj.weight' has dtype I32"), std::string::npos) << error;
}

TEST(ModelLoad, MissingTensorNamesIt) {
  const auto dir = test::fresh_temp_dir("missing_tensor");
  auto model = test::tiny_llama();
  std::erase_if(model.tensors, [](const auto& t) { return t.name == "model.layers.1.mlp.up_proj.weight"; });
  test::write_hf_model(dir, model);
  const std::string error = load_error(dir);
  EXPECT_NE(error.find("tensor 'model.layers.1.mlp.up_proj.weight' is missing"), std::string::npos) << error;
}

TEST(ModelLoad, ShapeMismatchNamesTensorAndShapes) {
  const auto dir = test::fresh_temp_dir("shape");
  auto model = test::tiny_llama();
  *model.find("model.layers.0.mlp.down_proj.weight") =
      test::random_tensor("model.layers.0.mlp.down_proj.weight", {48, 32}, DType::F32, 3);
  test::write_hf_model(dir, model);
  const std::string error = load_error(dir);
  EXPECT_NE(error.find("'model.layers.0.mlp.down_proj.weight' has shape [48, 32] but the config implies [32, 48]"),
            std::string::npos)
      << error;
}

TEST(ModelLoad, ConfigErrorsNameConfigJson) {
  const auto dir = test::fresh_temp_dir("config");
  auto model = test::tiny_llama();
  model.config["model_type"] = "falcon";
  test::write_hf_model(dir, model);
  std::string error = load_error(dir);
  EXPECT_NE(error.find("config.json"), std::string::npos) << error;
  EXPECT_NE(error.find("model_type 'falcon' is not supported"), std::string::npos) << error;

  model.config["model_type"] = "llama";
  model.config["rope_scaling"] = {{"rope_type", "longrope"}, {"factor", 2.0}};
  test::write_hf_model(dir, model);
  error = load_error(dir);
  EXPECT_NE(error.find("rope scaling type 'longrope' is not supported"), std::string::npos) << error;

  test::write_file(dir / "config.json", "{\"model_type\": \"llama\",");
  error = load_error(dir);
  EXPECT_NE(error.find("config.json: invalid JSON"), std::string::npos) << error;
}

TEST(ModelLoad, NaNWeightsAreRejectedByName) {
  for (DType dtype : {DType::F32, DType::BF16, DType::F16}) {
    const auto dir = test::fresh_temp_dir(std::string("nan_") + std::string(dtype_name(dtype)));
    auto model = test::tiny_llama(dtype);
    test::OwnedTensor* t = model.find("model.layers.1.self_attn.v_proj.weight");
    const float nan = std::numeric_limits<float>::quiet_NaN();
    from_f32(dtype, &nan, t->bytes.data() + 2 * (dtype == DType::F32 ? 4 : 2) * 7, 1);
    test::write_hf_model(dir, model);
    const std::string error = load_error(dir);
    EXPECT_NE(error.find("'model.layers.1.self_attn.v_proj.weight' contains NaN"), std::string::npos) << error;
    // The scan can be skipped, as with llama.cpp's tensor checks off.
    LoadOptions options;
    options.check_weights = false;
    EXPECT_NO_THROW(Model::load(dir.string(), options));
  }
  const auto dir = test::fresh_temp_dir("inf_norm");
  auto model = test::tiny_llama();
  const float inf = std::numeric_limits<float>::infinity();
  std::memcpy(model.find("model.norm.weight")->bytes.data(), &inf, 4);
  test::write_hf_model(dir, model);
  EXPECT_NE(load_error(dir).find("'model.norm.weight' contains NaN or infinite"), std::string::npos);
}

TEST(ModelLoad, TokenIdsAndContextAreChecked) {
  const auto dir = test::fresh_temp_dir("tokens");
  test::write_hf_model(dir, test::tiny_llama());
  const auto model = Model::load(dir.string());
  Session session(*model, 8);
  const std::vector<int32_t> bad = {1, 64};
  try {
    session.forward(bad);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("token id 64 at index 1 is outside the vocabulary"), std::string::npos);
  }
  const std::vector<int32_t> too_long(9, 3);
  EXPECT_THROW(session.forward(too_long), Error);
  EXPECT_EQ(session.position(), 0);  // nothing was consumed by the failed calls
  const std::vector<int32_t> fits(8, 3);
  EXPECT_NO_THROW(session.forward(fits));
}

TEST(ModelLoad, GgufConfigMatchesTheStoriesModel) {
  const auto model = Model::load(test::stories260k_path().string());
  const ModelConfig& c = model->config();
  EXPECT_EQ(c.hidden_size, 64);
  EXPECT_EQ(c.num_layers, 5);
  EXPECT_EQ(c.num_heads, 8);
  EXPECT_EQ(c.num_kv_heads, 4);
  EXPECT_EQ(c.intermediate_size, 172);
  EXPECT_EQ(c.vocab_size, 512);
  EXPECT_EQ(c.rope_layout, RopeLayout::AdjacentPairs);
  size_t used = 0;
  for (const auto& t : model->tensors()) used += t.used;
  EXPECT_EQ(used, model->tensors().size());
}

}  // namespace
}  // namespace medllm
