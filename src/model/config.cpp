#include <medllm/config.hpp>

#include <cmath>
#include <numbers>
#include <optional>

#include "core/error.hpp"
#include "core/json_fields.hpp"
#include "core/json_file.hpp"
#include "model/weight_table.hpp"

namespace medllm {

namespace {

using nlohmann::json;

// core/json_fields.hpp's readers over one object, with its fallbacks; errors name the source
// file and the field.
class Fields {
 public:
  Fields(const json& object, std::string source) : object_(object), source_(std::move(source)) {
    if (!object_.is_object()) fail("{}: expected a JSON object, got {}", source_, json_for_message(object_));
  }

  bool has(std::string_view key) const { return optional_field(object_, key, source_) != nullptr; }
  const json& raw(std::string_view key) const { return object_[key]; }
  const std::string& source() const { return source_; }

  int64_t integer(std::string_view key) const { return required_integer(object_, key, source_); }
  int64_t integer(std::string_view key, int64_t fallback) const { return has(key) ? integer(key) : fallback; }
  double number(std::string_view key, double fallback) const { return optional_number(key).value_or(fallback); }
  std::optional<double> optional_number(std::string_view key) const {
    return medllm::optional_number(object_, key, source_);
  }
  bool boolean(std::string_view key, bool fallback) const { return optional_bool(object_, key, source_, fallback); }
  std::string string(std::string_view key, const std::string& fallback) const {
    return optional_string(object_, key, source_).value_or(fallback);
  }

  // An integer or a list of integers (token id fields).
  std::vector<int64_t> integers(std::string_view key) const {
    if (!has(key)) return {};
    const json& value = object_[key];
    if (value.is_number_integer()) return {integer(key)};
    if (!value.is_array()) fail_value(field_name(source_, key), "an integer or a list of integers", value);
    std::vector<int64_t> out;
    for (size_t i = 0; i < value.size(); ++i)
      out.push_back(integer_value<int64_t>(value[i], field_name(source_, fmt::format("{}[{}]", key, i))));
    return out;
  }

 private:
  const json& object_;
  std::string source_;
};

Activation parse_activation(const std::string& name, const std::string& source) {
  if (name == "silu" || name == "swish") return Activation::Silu;
  if (name == "gelu_pytorch_tanh" || name == "gelu_new" || name == "gelu_fast") return Activation::GeluTanh;
  if (name == "gelu") return Activation::GeluErf;
  fail("{}: unsupported activation '{}' (silu, gelu_pytorch_tanh, gelu_new, gelu are supported)", source, name);
}

// Reads rope_theta plus a rope_scaling / rope_parameters object into a RopeConfig.
RopeConfig parse_rope(double theta, const json* scaling, int64_t max_position_embeddings, const std::string& source) {
  RopeConfig rope;
  rope.theta = theta;
  if (scaling == nullptr || scaling->is_null()) return rope;
  const Fields fields(*scaling, source + " rope_scaling");
  const std::string type = fields.string("rope_type", fields.string("type", "default"));
  if (type == "default") return rope;
  rope.factor = fields.number("factor", 1.0);
  if (!(rope.factor > 0.0)) fail("{}: rope_scaling.factor must be positive, found {}", source, rope.factor);
  if (type == "linear") {
    rope.scaling = RopeScalingType::Linear;
  } else if (type == "llama3") {
    rope.scaling = RopeScalingType::Llama3;
    rope.low_freq_factor = fields.number("low_freq_factor", 1.0);
    rope.high_freq_factor = fields.number("high_freq_factor", 4.0);
    rope.original_max_position_embeddings = fields.integer("original_max_position_embeddings");
    if (rope.high_freq_factor <= rope.low_freq_factor) {
      fail("{}: rope_scaling.high_freq_factor must exceed low_freq_factor", source);
    }
  } else if (type == "yarn") {
    rope.scaling = RopeScalingType::Yarn;
    rope.original_max_position_embeddings = fields.integer("original_max_position_embeddings", max_position_embeddings);
    rope.beta_fast = fields.number("beta_fast", 32.0);
    rope.beta_slow = fields.number("beta_slow", 1.0);
    rope.truncate = fields.boolean("truncate", true);
    auto mscale = [](double scale, double m) { return scale <= 1.0 ? 1.0 : 0.1 * m * std::log(scale) + 1.0; };
    const std::optional<double> m = fields.optional_number("mscale");
    const std::optional<double> m_all = fields.optional_number("mscale_all_dim");
    if (auto given = fields.optional_number("attention_factor")) {
      rope.attention_factor = *given;
    } else if (m && m_all && *m != 0.0 && *m_all != 0.0) {
      rope.attention_factor = mscale(rope.factor, *m) / mscale(rope.factor, *m_all);
    } else {
      rope.attention_factor = mscale(rope.factor, 1.0);
    }
  } else {
    fail("{}: rope scaling type '{}' is not supported (default, linear, llama3, yarn are)", source, type);
  }
  return rope;
}

// How a family's sliding-window layers are chosen when the config does not list layer_types.
enum class SlidingRule {
  None,                  // no sliding layers (llama)
  AllLayers,             // every layer when sliding_window is set (mistral)
  AfterMaxWindowLayers,  // layers from max_window_layers on, with use_sliding_window (qwen2, qwen3)
  EveryOther,            // even layers, always (gemma2)
  Pattern,               // all but every sliding_window_pattern-th layer, always (gemma3)
};

// Which biases a family has: read from attention_bias / mlp_bias, or q/k/v always (qwen2).
enum class BiasRule { FromFields, QkvAlways };

// One row per family: the defaults of its config.json, the flags it switches on, and the GGUF
// architecture that loads as it. Adding a family is a row here (and its tensors, if new, a row
// in model/weight_table).
struct Family {
  const char* model_type;
  const char* gguf_architecture;  // nullptr: not read from GGUF
  const char* activation;         // default hidden_act
  bool tie_word_embeddings;       // default
  double rope_theta;              // default
  BiasRule bias;
  bool qk_norm;
  // Gemma: (1 + w) norms, sandwich norms, sqrt(hidden) embedding scale, soft-caps,
  // query_pre_attn_scalar.
  bool gemma;
  double attn_softcap, final_softcap;  // defaults of attn_/final_logit_softcapping (0: off)
  SlidingRule sliding;
  bool local_rope;              // sliding layers have their own rope base (rope_local_base_freq)
  RopeLayout gguf_rope_layout;  // llama.cpp permutes llama q/k rows; qwen2 (NEOX rope) keeps them
};

// clang-format off
constexpr Family kFamilies[] = {
//  model_type     GGUF      activation           tied   rope_theta  bias                   qk_norm gemma  softcaps    sliding                            local_rope GGUF q/k rows
    {"llama",       "llama",  "silu",              false, 10000.0,   BiasRule::FromFields,  false,  false, 0.0,  0.0,  SlidingRule::None,                 false, RopeLayout::AdjacentPairs},
    {"mistral",     nullptr,  "silu",              false, 10000.0,   BiasRule::FromFields,  false,  false, 0.0,  0.0,  SlidingRule::AllLayers,            false, RopeLayout::Halves},
    {"qwen2",       "qwen2",  "silu",              false, 10000.0,   BiasRule::QkvAlways,   false,  false, 0.0,  0.0,  SlidingRule::AfterMaxWindowLayers, false, RopeLayout::Halves},
    {"qwen3",       "qwen3",  "silu",              false, 10000.0,   BiasRule::FromFields,  true,   false, 0.0,  0.0,  SlidingRule::AfterMaxWindowLayers, false, RopeLayout::Halves},
    {"gemma2",      "gemma2", "gelu_pytorch_tanh", true,  10000.0,   BiasRule::FromFields,  false,  true,  50.0, 30.0, SlidingRule::EveryOther,           false, RopeLayout::Halves},
    {"gemma3_text", "gemma3", "gelu_pytorch_tanh", true,  1000000.0, BiasRule::FromFields,  true,   true,  0.0,  0.0,  SlidingRule::Pattern,              true,  RopeLayout::Halves},
};
// clang-format on

std::string known_families(bool gguf) {
  std::string out;
  for (const Family& f : kFamilies) {
    const char* name = gguf ? f.gguf_architecture : f.model_type;
    if (name != nullptr) out += fmt::format("{}{}", out.empty() ? "" : ", ", name);
  }
  return out;
}

const Family& family_of(const std::string& model_type, const std::string& source) {
  for (const Family& f : kFamilies) {
    if (model_type == f.model_type) return f;
  }
  fail("{}: model_type '{}' is not supported ({}, gemma3 are)", source, model_type, known_families(false));
}

const Family& family_of_gguf(const std::string& architecture, const std::string& source) {
  for (const Family& f : kFamilies) {
    if (f.gguf_architecture != nullptr && architecture == f.gguf_architecture) return f;
  }
  fail("{}: GGUF architecture '{}' is not supported yet ({} are); load the Hugging Face directory instead", source,
       architecture, known_families(true));
}

}  // namespace

std::optional<GgufArchitecture> gguf_architecture_of(const std::string& model_type) {
  // llama.cpp converts Mistral checkpoints as llama models.
  const std::string family = model_type == "mistral" ? "llama" : model_type;
  for (const Family& f : kFamilies) {
    if (family == f.model_type && f.gguf_architecture != nullptr) {
      return GgufArchitecture{f.gguf_architecture, f.gguf_rope_layout};
    }
  }
  return std::nullopt;
}

std::string gguf_architectures() {
  return known_families(true);
}

namespace {

// The layer kinds: "layer_types" when the config lists them, else the family's rule.
std::vector<bool> sliding_layers(const Fields& fields, SlidingRule rule, int64_t layers, bool has_window) {
  std::vector<bool> sliding(static_cast<size_t>(layers), false);
  if (fields.has("layer_types")) {
    const json& types = fields.raw("layer_types");
    if (!types.is_array() || static_cast<int64_t>(types.size()) != layers) {
      fail("{}: layer_types must list one entry per layer ({})", fields.source(), layers);
    }
    for (int64_t i = 0; i < layers; ++i) {
      const json& type = types[static_cast<size_t>(i)];
      if (type == "sliding_attention") {
        sliding[static_cast<size_t>(i)] = true;
      } else if (type != "full_attention") {
        fail("{}: layer_types[{}] = {} is not supported (full_attention, sliding_attention are)", fields.source(), i,
             json_for_message(type));
      }
    }
  } else if (!has_window) {
    return sliding;
  } else if (rule == SlidingRule::AllLayers) {
    sliding.assign(sliding.size(), true);
  } else if (rule == SlidingRule::AfterMaxWindowLayers) {
    const int64_t first = fields.integer("max_window_layers", 28);
    for (int64_t i = first; i < layers; ++i) sliding[static_cast<size_t>(i)] = true;
  } else if (rule == SlidingRule::EveryOther) {
    for (int64_t i = 0; i < layers; i += 2) sliding[static_cast<size_t>(i)] = true;
  } else if (rule == SlidingRule::Pattern) {
    const int64_t pattern = fields.integer("sliding_window_pattern", fields.integer("_sliding_window_pattern", 6));
    if (pattern <= 0) fail("{}: sliding_window_pattern must be positive", fields.source());
    for (int64_t i = 0; i < layers; ++i) sliding[static_cast<size_t>(i)] = (i + 1) % pattern != 0;
  }
  if (!has_window) {
    for (bool s : sliding) {
      if (s) fail("{}: layer_types has sliding layers but sliding_window is not set", fields.source());
    }
  }
  return sliding;
}

// Bounds far above any real model, checked before anything is sized by these numbers.
void check_dimensions(const ModelConfig& c, const std::string& source) {
  const auto within = [&](int64_t value, int64_t most, const char* field) {
    if (value <= 0 || value > most) fail("{}: {} = {} is outside 1..{}", source, field, value, most);
  };
  within(c.vocab_size, int64_t{1} << 24, "vocab_size");
  within(c.hidden_size, int64_t{1} << 20, "hidden_size");
  within(c.intermediate_size, int64_t{1} << 22, "intermediate_size");
  within(c.num_layers, 4096, "num_hidden_layers");
  within(c.num_heads, 65536, "num_attention_heads");
  within(c.num_kv_heads, 65536, "num_key_value_heads");
  within(c.head_dim, 65536, "head_dim");
  within(c.max_position_embeddings, int64_t{1} << 32, "max_position_embeddings");
}

// The prefix of the text model's weight names: "model.", or for a multimodal wrapper whichever
// of its layouts the files use (the first when the files are not known).
std::string weight_prefix(bool multimodal_wrapper, const HasTensor& has_tensor, const std::string& source) {
  if (!multimodal_wrapper) return "model.";
  constexpr const char* kWrapped[] = {"language_model.model.", "model.language_model."};
  if (!has_tensor) return kWrapped[0];
  for (const char* prefix : kWrapped) {
    if (has_tensor(std::string(prefix) + kEmbeddingTensor.hf)) return prefix;
  }
  fail("{}: no embedding tensor found (looked for {}{} and {}{})", source, kWrapped[0], kEmbeddingTensor.hf,
       kWrapped[1], kEmbeddingTensor.hf);
}

}  // namespace

ModelConfig config_from_hf(const json& root, const std::string& source, const HasTensor& has_tensor) {
  const Fields top(root, source);
  std::string model_type = required_string(root, "model_type", source);
  const json* text = &root;
  std::string text_source = source;
  if (model_type == "gemma3") {  // multimodal wrapper: the language model's config is nested
    if (!top.has("text_config")) fail("{}: model_type gemma3 needs a text_config", source);
    text = &root["text_config"];
    text_source = source + " text_config";
    model_type = "gemma3_text";
  }
  const Fields fields(*text, text_source);
  const Family& family = family_of(model_type, source);
  const bool gemma = family.gemma;

  ModelConfig config;
  config.model_type = model_type;
  if (top.has("architectures") && root["architectures"].is_array() && !root["architectures"].empty() &&
      root["architectures"][0].is_string()) {
    config.architecture = root["architectures"][0].get<std::string>();
  }
  config.vocab_size = fields.integer("vocab_size");
  config.hidden_size = fields.integer("hidden_size");
  config.intermediate_size = fields.integer("intermediate_size");
  config.num_layers = fields.integer("num_hidden_layers");
  config.num_heads = fields.integer("num_attention_heads");
  config.num_kv_heads = fields.integer("num_key_value_heads", config.num_heads);
  if (config.num_heads <= 0) fail("{}: num_attention_heads must be positive", text_source);
  config.head_dim = fields.integer("head_dim", config.hidden_size / config.num_heads);
  config.max_position_embeddings = fields.integer("max_position_embeddings", 2048);
  config.rms_norm_eps = fields.number("rms_norm_eps", 1e-6);
  check_dimensions(config, text_source);
  if (fields.has("partial_rotary_factor") && fields.number("partial_rotary_factor", 1.0) != 1.0) {
    fail("{}: partial_rotary_factor != 1 is not supported", text_source);
  }

  config.activation =
      parse_activation(fields.string("hidden_activation", fields.string("hidden_act", family.activation)), text_source);
  if (gemma && fields.string("hidden_activation", "") == "" && fields.string("hidden_act", "") == "gelu") {
    config.activation = Activation::GeluTanh;  // Gemma configs say "gelu" but the models use the tanh form
  }
  config.tie_word_embeddings =
      top.boolean("tie_word_embeddings", fields.boolean("tie_word_embeddings", family.tie_word_embeddings));

  if (family.bias == BiasRule::QkvAlways) {
    config.qkv_bias = true;
  } else {
    config.qkv_bias = config.o_bias = fields.boolean("attention_bias", false);
    config.mlp_bias = fields.boolean("mlp_bias", false);
  }
  config.qk_norm = family.qk_norm;
  if (gemma) {
    config.norm_offset_one = true;
    config.sandwich_norms = true;
    config.embedding_scale = static_cast<float>(std::sqrt(static_cast<double>(config.hidden_size)));
    config.attn_logit_softcap = static_cast<float>(fields.number("attn_logit_softcapping", family.attn_softcap));
    config.final_logit_softcap = static_cast<float>(fields.number("final_logit_softcapping", family.final_softcap));
  }
  const double query_scalar =
      gemma ? fields.number("query_pre_attn_scalar", 256.0) : static_cast<double>(config.head_dim);
  if (!(query_scalar > 0.0)) fail("{}: query_pre_attn_scalar must be positive", text_source);
  config.attention_scale = static_cast<float>(1.0 / std::sqrt(query_scalar));

  // Sliding windows. Mistral: every layer; Qwen: only with use_sliding_window.
  bool has_window = fields.has("sliding_window");
  if (family.sliding == SlidingRule::AfterMaxWindowLayers && !fields.boolean("use_sliding_window", false))
    has_window = false;
  if (family.sliding == SlidingRule::EveryOther || family.sliding == SlidingRule::Pattern) has_window = true;
  if (has_window) {
    config.sliding_window = fields.integer("sliding_window", 4096);
    if (config.sliding_window <= 0) fail("{}: sliding_window must be positive", text_source);
  }
  const std::vector<bool> sliding = sliding_layers(fields, family.sliding, config.num_layers, has_window);

  // Rope: rope_theta + rope_scaling (transformers 4.x) or rope_parameters (5.x).
  const json* scaling = fields.has("rope_scaling") ? &fields.raw("rope_scaling") : nullptr;
  double theta = fields.number("rope_theta", family.rope_theta);
  const json* local_parameters = nullptr;
  if (fields.has("rope_parameters")) {
    const json& parameters = fields.raw("rope_parameters");
    const json* global = &parameters;
    if (parameters.is_object() && parameters.contains("full_attention")) {
      global = &parameters["full_attention"];
      if (parameters.contains("sliding_attention")) local_parameters = &parameters["sliding_attention"];
    }
    theta = Fields(*global, text_source + " rope_parameters").number("rope_theta", theta);
    scaling = global;
  }
  const RopeConfig global_rope = parse_rope(theta, scaling, config.max_position_embeddings, text_source);
  RopeConfig local_rope = global_rope;
  if (family.local_rope) {
    if (local_parameters != nullptr) {
      const double local_theta =
          Fields(*local_parameters, text_source + " rope_parameters").number("rope_theta", 10000.0);
      local_rope = parse_rope(local_theta, local_parameters, config.max_position_embeddings, text_source);
    } else {
      local_rope = RopeConfig{};
      local_rope.theta = fields.number("rope_local_base_freq", 10000.0);
    }
  }
  for (int64_t i = 0; i < config.num_layers; ++i) {
    const bool s = sliding[static_cast<size_t>(i)];
    config.layers.push_back(LayerConfig{s, s ? local_rope : global_rope});
  }

  config.bos_token_ids = top.has("bos_token_id") ? top.integers("bos_token_id") : fields.integers("bos_token_id");
  config.eos_token_ids = top.has("eos_token_id") ? top.integers("eos_token_id") : fields.integers("eos_token_id");
  config.weight_prefix = weight_prefix(root.value("model_type", "") == "gemma3", has_tensor, source);
  with_context(source, [&] { config.validate(); });
  return config;
}

namespace {

// Gemma 2 / 3 as llama.cpp reads them: norms stored as 1 + w (its converter adds the one), the
// embedding scale and sandwich norms implied by the architecture, soft-caps and the sliding
// window under their keys, every `pattern`-th layer global (the rest sliding), Gemma 3's sliding
// layers with their own unscaled rope base, and the query scale of Google's reference code:
// 1/sqrt(head_dim), or 1/sqrt(hidden/heads) for the 27B layer counts.
void gemma_from_gguf(const Fields& meta, const std::string& p, const Family& family, ModelConfig& config) {
  const bool gemma2 = std::string_view(family.model_type) == "gemma2";
  config.norm_offset_one = false;
  config.sandwich_norms = true;
  config.embedding_scale = static_cast<float>(std::sqrt(static_cast<double>(config.hidden_size)));
  config.attn_logit_softcap = gemma2 ? static_cast<float>(meta.number(p + "attn_logit_softcapping", 50.0)) : 0.0f;
  config.final_logit_softcap = static_cast<float>(meta.number(p + "final_logit_softcapping", gemma2 ? 30.0 : 0.0));
  const bool twenty_seven_b = config.num_layers == (gemma2 ? 46 : 62);
  const int64_t query_scalar = twenty_seven_b ? config.hidden_size / config.num_heads : config.head_dim;
  config.attention_scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(query_scalar)));
  config.sliding_window = meta.integer(p + "attention.sliding_window", gemma2 ? 4096 : 0);
  if (config.sliding_window <= 0) return;  // Gemma 3 without a window: every layer global
  const int64_t pattern = meta.integer(p + "attention.sliding_window_pattern", gemma2 ? 2 : 6);
  if (pattern < 0) fail("{}: {}attention.sliding_window_pattern must not be negative", meta.source(), p);
  RopeConfig local = config.layers.front().rope;
  local.theta = meta.number(p + "rope.freq_base_swa", gemma2 ? local.theta : 10000.0);
  if (!gemma2) {
    local.scaling = RopeScalingType::None;
    local.factor = 1.0;
  }
  for (int64_t i = 0; i < config.num_layers; ++i) {
    LayerConfig& layer = config.layers[static_cast<size_t>(i)];
    layer.sliding = pattern == 0 || i % pattern < pattern - 1;
    if (layer.sliding) layer.rope = local;
  }
}

}  // namespace

ModelConfig config_from_gguf(const json& metadata, const std::string& source, int64_t embedding_rows,
                             const HasTensor& has_tensor) {
  const Fields meta(metadata, source + " metadata");
  const std::string arch = required_string(metadata, "general.architecture", meta.source());
  const Family& family = family_of_gguf(arch, source);
  ModelConfig config;
  config.model_type = family.model_type;
  config.architecture = "gguf:" + arch;
  // Llama's optional biases (attention_bias, mlp_bias in Hugging Face configs) show in GGUF only
  // as tensors.
  const auto has = [&](const char* name) { return has_tensor && has_tensor(name); };
  config.qkv_bias = family.bias == BiasRule::QkvAlways || has("blk.0.attn_q.bias");
  config.o_bias = has("blk.0.attn_output.bias");
  config.mlp_bias = has("blk.0.ffn_up.bias");
  config.qk_norm = family.qk_norm;
  // llama.cpp writes no output.weight when the head is the embedding.
  config.tie_word_embeddings = has_tensor && !has_tensor(kLmHeadTensor.gguf);
  config.weight_prefix.clear();
  const std::string p = arch + ".";
  config.hidden_size = meta.integer(p + "embedding_length");
  config.intermediate_size = meta.integer(p + "feed_forward_length");
  config.num_layers = meta.integer(p + "block_count");
  config.num_heads = meta.integer(p + "attention.head_count");
  config.num_kv_heads = meta.integer(p + "attention.head_count_kv", config.num_heads);
  if (config.num_heads <= 0) fail("{}: {}attention.head_count must be positive", source, p);
  config.head_dim = meta.integer(p + "attention.key_length", config.hidden_size / config.num_heads);
  if (meta.has(p + "rope.dimension_count") && meta.integer(p + "rope.dimension_count") != config.head_dim) {
    fail("{}: partial rotary embeddings ({}rope.dimension_count != head size) are not supported", source, p);
  }
  config.max_position_embeddings = meta.integer(p + "context_length", 2048);
  config.rms_norm_eps = meta.number(p + "attention.layer_norm_rms_epsilon", 1e-5);
  if (metadata.contains("tokenizer.ggml.tokens") && metadata["tokenizer.ggml.tokens"].is_array()) {
    config.vocab_size = static_cast<int64_t>(metadata["tokenizer.ggml.tokens"].size());
  }
  config.vocab_size = meta.integer(p + "vocab_size", config.vocab_size);
  if (config.vocab_size == 0) config.vocab_size = embedding_rows;
  check_dimensions(config, source);
  config.attention_scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(config.head_dim)));
  config.rope_layout = family.gguf_rope_layout;

  RopeConfig rope;
  rope.theta = meta.number(p + "rope.freq_base", family.rope_theta);
  const std::string scaling_type = meta.string(p + "rope.scaling.type", "none");
  if (scaling_type == "linear") {
    rope.scaling = RopeScalingType::Linear;
    rope.factor = meta.number(p + "rope.scaling.factor", 1.0);
  } else if (scaling_type != "none") {
    fail("{}: GGUF rope scaling '{}' is not supported yet (none, linear are)", source, scaling_type);
  }
  config.layers.assign(static_cast<size_t>(config.num_layers), LayerConfig{false, rope});
  config.activation = parse_activation(family.activation, source);
  if (family.gemma) gemma_from_gguf(meta, p, family, config);
  for (const char* key : {"tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id"}) {
    if (meta.has(key)) {
      auto& ids =
          std::string_view(key).find("bos") != std::string_view::npos ? config.bos_token_ids : config.eos_token_ids;
      ids.push_back(meta.integer(key));
    }
  }
  with_context(source, [&] { config.validate(); });
  return config;
}

void ModelConfig::validate() const {
  auto positive = [](int64_t value, const char* field) {
    if (value <= 0) fail("{} must be positive, found {}", field, value);
  };
  positive(vocab_size, "vocab_size");
  positive(hidden_size, "hidden_size");
  positive(intermediate_size, "intermediate_size");
  positive(num_layers, "num_hidden_layers");
  positive(num_heads, "num_attention_heads");
  positive(num_kv_heads, "num_key_value_heads");
  positive(head_dim, "head_dim");
  if (num_heads % num_kv_heads != 0) {
    fail("num_attention_heads ({}) must be a multiple of num_key_value_heads ({})", num_heads, num_kv_heads);
  }
  if (head_dim % 2 != 0) fail("head_dim must be even for rotary embeddings, found {}", head_dim);
  if (!(rms_norm_eps >= 0.0)) fail("rms_norm_eps must be non-negative");
  if (static_cast<int64_t>(layers.size()) != num_layers) fail("layer list does not match num_hidden_layers");
  for (int64_t id : eos_token_ids) {
    if (id < 0 || id >= vocab_size) fail("eos_token_id {} is outside the vocabulary (0..{})", id, vocab_size - 1);
  }
}

nlohmann::json ModelConfig::to_json() const {
  json layer_kinds = json::array();
  for (const auto& layer : layers) {
    layer_kinds.push_back({{"sliding", layer.sliding},
                           {"rope_theta", layer.rope.theta},
                           {"rope_scaling", static_cast<int>(layer.rope.scaling)},
                           {"rope_factor", layer.rope.factor}});
  }
  static constexpr const char* kScalingNames[] = {"none", "linear", "llama3", "yarn"};
  for (auto& layer : layer_kinds) layer["rope_scaling"] = kScalingNames[layer["rope_scaling"].get<int>()];
  static constexpr const char* kActivationNames[] = {"silu", "gelu_tanh", "gelu"};
  return {
      {"model_type", model_type},
      {"architecture", architecture},
      {"vocab_size", vocab_size},
      {"hidden_size", hidden_size},
      {"intermediate_size", intermediate_size},
      {"num_hidden_layers", num_layers},
      {"num_attention_heads", num_heads},
      {"num_key_value_heads", num_kv_heads},
      {"head_dim", head_dim},
      {"max_position_embeddings", max_position_embeddings},
      {"rms_norm_eps", rms_norm_eps},
      {"qkv_bias", qkv_bias},
      {"o_bias", o_bias},
      {"mlp_bias", mlp_bias},
      {"qk_norm", qk_norm},
      {"norm_offset_one", norm_offset_one},
      {"sandwich_norms", sandwich_norms},
      {"tie_word_embeddings", tie_word_embeddings},
      {"activation", kActivationNames[static_cast<int>(activation)]},
      {"embedding_scale", embedding_scale},
      {"attention_scale", attention_scale},
      {"attn_logit_softcap", attn_logit_softcap},
      {"final_logit_softcap", final_logit_softcap},
      {"sliding_window", sliding_window},
      {"rope_layout", rope_layout == RopeLayout::Halves ? "halves" : "adjacent_pairs"},
      {"layers", layer_kinds},
      {"bos_token_ids", bos_token_ids},
      {"eos_token_ids", eos_token_ids},
  };
}

}  // namespace medllm
