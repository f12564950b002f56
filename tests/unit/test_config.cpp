#include <gtest/gtest.h>

#include <medllm/config.hpp>
#include <medllm/error.hpp>
#include <nlohmann/json.hpp>

namespace medllm {
namespace {

using nlohmann::json;

json base(const std::string& model_type) {
  return {{"model_type", model_type}, {"vocab_size", 100},
          {"hidden_size", 64},        {"intermediate_size", 128},
          {"num_hidden_layers", 6},   {"num_attention_heads", 4},
          {"num_key_value_heads", 2}, {"max_position_embeddings", 256}};
}

std::string error_of(const json& config) {
  try {
    config_from_hf(config, "config.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Config, LlamaDefaultsAndFlags) {
  json j = base("llama");
  j["attention_bias"] = true;
  const ModelConfig c = config_from_hf(j, "config.json");
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_TRUE(c.qkv_bias && c.o_bias);
  EXPECT_FALSE(c.qk_norm || c.sandwich_norms || c.norm_offset_one || c.tie_word_embeddings);
  EXPECT_EQ(c.activation, Activation::Silu);
  EXPECT_FLOAT_EQ(c.attention_scale, 0.25f);
  for (const auto& layer : c.layers) EXPECT_FALSE(layer.sliding);
}

TEST(Config, FamilyFeatures) {
  const ModelConfig qwen2 = config_from_hf(base("qwen2"), "config.json");
  EXPECT_TRUE(qwen2.qkv_bias);
  EXPECT_FALSE(qwen2.o_bias);
  EXPECT_EQ(qwen2.sliding_window, 0);  // use_sliding_window defaults to false

  json q3 = base("qwen3");
  q3["head_dim"] = 32;
  const ModelConfig qwen3 = config_from_hf(q3, "config.json");
  EXPECT_TRUE(qwen3.qk_norm);
  EXPECT_EQ(qwen3.head_dim, 32);

  json mistral = base("mistral");
  mistral["sliding_window"] = 8;
  const ModelConfig m = config_from_hf(mistral, "config.json");
  for (const auto& layer : m.layers) EXPECT_TRUE(layer.sliding);
  mistral["sliding_window"] = nullptr;
  EXPECT_FALSE(config_from_hf(mistral, "config.json").layers[0].sliding);

  json g2 = base("gemma2");
  g2["query_pre_attn_scalar"] = 144;
  const ModelConfig gemma2 = config_from_hf(g2, "config.json");
  EXPECT_TRUE(gemma2.norm_offset_one && gemma2.sandwich_norms && gemma2.tie_word_embeddings);
  EXPECT_FALSE(gemma2.qk_norm);
  EXPECT_FLOAT_EQ(gemma2.attention_scale, 1.0f / 12.0f);
  EXPECT_FLOAT_EQ(gemma2.attn_logit_softcap, 50.0f);
  EXPECT_FLOAT_EQ(gemma2.final_logit_softcap, 30.0f);
  EXPECT_FLOAT_EQ(gemma2.embedding_scale, 8.0f);
  EXPECT_EQ(gemma2.activation, Activation::GeluTanh);
  EXPECT_TRUE(gemma2.layers[0].sliding);
  EXPECT_FALSE(gemma2.layers[1].sliding);

  json g3 = base("gemma3_text");
  g3["sliding_window_pattern"] = 3;
  g3["rope_scaling"] = {{"rope_type", "linear"}, {"factor", 8.0}};
  const ModelConfig gemma3 = config_from_hf(g3, "config.json");
  EXPECT_TRUE(gemma3.qk_norm);
  EXPECT_EQ(gemma3.final_logit_softcap, 0.0f);
  const std::vector<bool> expected = {true, true, false, true, true, false};
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(gemma3.layers[i].sliding, expected[i]) << i;
    EXPECT_EQ(gemma3.layers[i].rope.theta, expected[i] ? 10000.0 : 1000000.0);
    EXPECT_EQ(gemma3.layers[i].rope.scaling, expected[i] ? RopeScalingType::None : RopeScalingType::Linear);
  }
}

TEST(Config, Gemma3WrapperUsesTheNestedTextConfig) {
  json text = base("gemma3_text");
  text.erase("model_type");
  const json wrapper = {{"model_type", "gemma3"},
                        {"architectures", {"Gemma3ForConditionalGeneration"}},
                        {"text_config", text},
                        {"vision_config", {{"hidden_size", 8}}}};
  const ModelConfig c = config_from_hf(wrapper, "config.json");
  EXPECT_EQ(c.model_type, "gemma3_text");
  EXPECT_EQ(c.hidden_size, 64);
  EXPECT_EQ(c.architecture, "Gemma3ForConditionalGeneration");
  EXPECT_EQ(c.weight_prefix, "language_model.model.");  // no files given: the first layout
  // With the files known, the prefix is the one they use, decided while parsing.
  const auto files_use = [](std::string prefix) {
    return [prefix](const std::string& name) { return name == prefix + "embed_tokens.weight"; };
  };
  EXPECT_EQ(config_from_hf(wrapper, "config.json", files_use("model.language_model.")).weight_prefix,
            "model.language_model.");
  try {
    config_from_hf(wrapper, "config.json", files_use("other."));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no embedding tensor found"), std::string::npos) << e.what();
  }
}

TEST(Config, LayerTypesOverrideTheFamilyRule) {
  json j = base("gemma3_text");
  j["layer_types"] = {"full_attention",    "sliding_attention", "full_attention",
                      "sliding_attention", "full_attention",    "full_attention"};
  const ModelConfig c = config_from_hf(j, "config.json");
  EXPECT_FALSE(c.layers[0].sliding);
  EXPECT_TRUE(c.layers[1].sliding);
  j["layer_types"][0] = "chunked_attention";
  EXPECT_NE(error_of(j).find("layer_types[0]"), std::string::npos);
  j["layer_types"] = {"full_attention"};
  EXPECT_NE(error_of(j).find("one entry per layer"), std::string::npos);
}

TEST(Config, RopeScalingVariants) {
  json j = base("llama");
  j["rope_scaling"] = {{"rope_type", "llama3"},
                       {"factor", 8.0},
                       {"low_freq_factor", 1.0},
                       {"high_freq_factor", 4.0},
                       {"original_max_position_embeddings", 8192}};
  EXPECT_EQ(config_from_hf(j, "c").layers[0].rope.scaling, RopeScalingType::Llama3);
  j["rope_scaling"] = {{"type", "yarn"}, {"factor", 4.0}, {"original_max_position_embeddings", 64}};
  const RopeConfig yarn = config_from_hf(j, "c").layers[0].rope;
  EXPECT_EQ(yarn.scaling, RopeScalingType::Yarn);
  EXPECT_NEAR(yarn.attention_factor, 0.1 * std::log(4.0) + 1.0, 1e-12);
  j.erase("rope_scaling");
  j["rope_parameters"] = {{"rope_type", "linear"}, {"factor", 2.0}, {"rope_theta", 5000.0}};
  const RopeConfig v5 = config_from_hf(j, "c").layers[0].rope;
  EXPECT_EQ(v5.scaling, RopeScalingType::Linear);
  EXPECT_EQ(v5.theta, 5000.0);
}

TEST(Config, ClearErrors) {
  EXPECT_NE(error_of(base("gpt2")).find("model_type 'gpt2' is not supported"), std::string::npos);
  json j = base("llama");
  j["rope_scaling"] = {{"rope_type", "dynamic"}, {"factor", 2.0}};
  EXPECT_NE(error_of(j).find("rope scaling type 'dynamic' is not supported"), std::string::npos);
  j = base("llama");
  j["hidden_size"] = "64";
  EXPECT_NE(error_of(j).find("field 'hidden_size' must be an integer"), std::string::npos);
  j = base("llama");
  j.erase("vocab_size");
  EXPECT_NE(error_of(j).find("'vocab_size' is missing"), std::string::npos);
  j = base("llama");
  j["num_key_value_heads"] = 3;
  EXPECT_NE(error_of(j).find("multiple of num_key_value_heads"), std::string::npos);
  j = base("llama");
  j["hidden_act"] = "relu";
  EXPECT_NE(error_of(j).find("unsupported activation 'relu'"), std::string::npos);
  j = base("llama");
  j["eos_token_id"] = 500;
  EXPECT_NE(error_of(j).find("eos_token_id 500"), std::string::npos);
  EXPECT_NE(error_of(json::array()).find("expected a JSON object"), std::string::npos);
  EXPECT_NE(error_of(base("llama")).find("(no error)"), std::string::npos);
  EXPECT_NE(error_of(json{{"model_type", "gemma3"}}).find("text_config"), std::string::npos);
  j = base("llama");
  j["num_hidden_layers"] = int64_t{1} << 40;  // found by the config fuzzer: sized a vector before checking
  EXPECT_NE(error_of(j).find("num_hidden_layers = 1099511627776 is outside"), std::string::npos);
  j = base("llama");
  j["num_attention_heads"] = 0;
  EXPECT_NE(error_of(j).find("num_attention_heads"), std::string::npos);
}

TEST(Config, RopeFrequenciesFollowTheScalingRules) {
  RopeConfig rope;
  rope.theta = 10000.0;
  const auto plain = rope_inverse_frequencies(rope, 8, {});
  EXPECT_FLOAT_EQ(plain[0], 1.0f);
  EXPECT_NEAR(plain[1], std::pow(10000.0, -0.25), 1e-7);
  rope.scaling = RopeScalingType::Linear;
  rope.factor = 4.0;
  EXPECT_FLOAT_EQ(rope_inverse_frequencies(rope, 8, {})[1], plain[1] / 4.0f);

  // llama3: high frequencies kept, low ones divided by the factor, a smooth blend in between.
  RopeConfig llama3;
  llama3.theta = 500000.0;
  llama3.scaling = RopeScalingType::Llama3;
  llama3.factor = 8.0;
  llama3.original_max_position_embeddings = 64;
  const auto base_freq = rope_inverse_frequencies(RopeConfig{500000.0}, 32, {});
  const auto scaled = rope_inverse_frequencies(llama3, 32, {});
  for (size_t i = 0; i < scaled.size(); ++i) {
    const double wavelen = 2 * M_PI / base_freq[i];
    if (wavelen < 64.0 / 4.0) {
      EXPECT_FLOAT_EQ(scaled[i], base_freq[i]);
    }
    if (wavelen > 64.0) {
      EXPECT_FLOAT_EQ(scaled[i], base_freq[i] / 8.0f);
    }
    EXPECT_LE(scaled[i], base_freq[i]);
    EXPECT_GE(scaled[i], base_freq[i] / 8.0f * 0.999999f);
  }
  EXPECT_THROW(rope_inverse_frequencies(rope, 8, {1.0f}), Error);
}

}  // namespace
}  // namespace medllm
