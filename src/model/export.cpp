#include "model/export.hpp"

#include <cstring>
#include <filesystem>
#include <medllm/model.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "formats/safetensors.hpp"
#include "model/model_state.hpp"
#include "model/named_weights.hpp"
#include "model/trainable_transformer.hpp"

namespace medllm {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// Values of a weight as f32, rows put in Hugging Face order when the model holds llama.cpp's.
std::vector<float> hf_values(const NamedWeight& w) {
  std::vector<float> values = f32_values(w);
  if (!w.permuted_rows) return values;
  const auto rows = w.matrix != nullptr ? w.matrix->rows() : static_cast<int64_t>(values.size());
  return rows_in_hf_order(values, rows, rows / w.heads);
}

const char* torch_dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return "float32";
    case DType::BF16:
      return "bfloat16";
    case DType::F16:
      return "float16";
    default:
      fail("export: dtype {} is not a Hugging Face weight dtype (f32, bf16, f16)", dtype_name(dtype));
  }
}

json rope_scaling_json(const RopeConfig& rope) {
  switch (rope.scaling) {
    case RopeScalingType::None:
      return nullptr;
    case RopeScalingType::Linear:
      return {{"rope_type", "linear"}, {"factor", rope.factor}};
    case RopeScalingType::Llama3:
      return {{"rope_type", "llama3"},
              {"factor", rope.factor},
              {"low_freq_factor", rope.low_freq_factor},
              {"high_freq_factor", rope.high_freq_factor},
              {"original_max_position_embeddings", rope.original_max_position_embeddings}};
    case RopeScalingType::Yarn:
      return {{"rope_type", "yarn"},
              {"factor", rope.factor},
              {"beta_fast", rope.beta_fast},
              {"beta_slow", rope.beta_slow},
              {"original_max_position_embeddings", rope.original_max_position_embeddings}};
  }
  return nullptr;
}

// config.json of a Llama-architecture model loaded from GGUF.
json llama_config_json(const ModelConfig& c, DType dtype) {
  if (!c.rope_freq_factors.empty())
    fail("export: this GGUF file carries rope_freqs factors; exporting them as a Hugging Face config is not supported");
  json config = {{"architectures", {"LlamaForCausalLM"}},
                 {"model_type", "llama"},
                 {"vocab_size", c.vocab_size},
                 {"hidden_size", c.hidden_size},
                 {"intermediate_size", c.intermediate_size},
                 {"num_hidden_layers", c.num_layers},
                 {"num_attention_heads", c.num_heads},
                 {"num_key_value_heads", c.num_kv_heads},
                 {"head_dim", c.head_dim},
                 {"max_position_embeddings", c.max_position_embeddings},
                 {"rms_norm_eps", c.rms_norm_eps},
                 {"rope_theta", c.layers.empty() ? 10000.0 : c.layers.front().rope.theta},
                 {"rope_scaling", c.layers.empty() ? json(nullptr) : rope_scaling_json(c.layers.front().rope)},
                 {"hidden_act", "silu"},
                 {"attention_bias", c.qkv_bias},
                 {"mlp_bias", c.mlp_bias},
                 {"tie_word_embeddings", c.tie_word_embeddings},
                 {"torch_dtype", torch_dtype_name(dtype)}};
  if (!c.bos_token_ids.empty()) config["bos_token_id"] = c.bos_token_ids.front();
  if (c.eos_token_ids.size() == 1) config["eos_token_id"] = c.eos_token_ids.front();
  if (c.eos_token_ids.size() > 1) config["eos_token_id"] = c.eos_token_ids;
  return config;
}

// --- SentencePiece ModelProto writer (the fields a BPE model with byte fallback needs) --------

void put_varint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}
void put_tag(std::string& out, uint32_t field, uint32_t wire) {
  put_varint(out, (static_cast<uint64_t>(field) << 3) | wire);
}
void put_bytes(std::string& out, uint32_t field, std::string_view bytes) {
  put_tag(out, field, 2);
  put_varint(out, bytes.size());
  out.append(bytes);
}
void put_int(std::string& out, uint32_t field, int64_t value) {
  put_tag(out, field, 0);
  put_varint(out, static_cast<uint64_t>(value));  // negative int32 is a 10-byte varint, as protobuf writes it
}
void put_float(std::string& out, uint32_t field, float value) {
  put_tag(out, field, 5);
  char bytes[4];
  std::memcpy(bytes, &value, 4);
  out.append(bytes, 4);
}

// tokenizer.model for a GGUF "llama" vocabulary: the pieces, scores and types as stored, BPE
// with byte fallback, identity normalization with the dummy prefix as the file says.
std::string sentencepiece_model_from_gguf(const json& meta, const std::string& source) {
  const auto& tokens = meta.at("tokenizer.ggml.tokens");
  const json scores = meta.value("tokenizer.ggml.scores", json::array());
  const json types = meta.value("tokenizer.ggml.token_type", json::array());
  std::string model;
  bool byte_fallback = false;
  for (size_t i = 0; i < tokens.size(); ++i) {
    std::string piece;
    put_bytes(piece, 1, tokens[i].is_string() ? tokens[i].get<std::string>() : std::string());
    put_float(piece, 2, i < scores.size() ? scores[i].get<float>() : 0.0f);
    const int type = i < types.size() ? types[i].get<int>() : 1;
    byte_fallback |= type == 6;
    put_int(piece, 3, type);
    put_bytes(model, 1, piece);
  }
  const auto id = [&](const char* key, int64_t fallback) {
    return meta.contains(key) && meta[key].is_number_integer() ? meta[key].get<int64_t>() : fallback;
  };
  std::string trainer;
  put_int(trainer, 3, 2);  // model_type BPE
  put_int(trainer, 4, static_cast<int64_t>(tokens.size()));
  put_int(trainer, 35, byte_fallback ? 1 : 0);
  put_int(trainer, 40, id("tokenizer.ggml.unknown_token_id", 0));
  put_int(trainer, 41, id("tokenizer.ggml.bos_token_id", -1));
  put_int(trainer, 42, id("tokenizer.ggml.eos_token_id", -1));
  put_int(trainer, 43, id("tokenizer.ggml.padding_token_id", -1));
  put_bytes(model, 2, trainer);
  std::string normalizer;
  put_bytes(normalizer, 1, "identity");
  put_int(normalizer, 3, meta.value("tokenizer.ggml.add_space_prefix", true) ? 1 : 0);
  put_int(normalizer, 4, 0);  // remove_extra_whitespaces: llama tokenizers keep them
  put_int(normalizer, 5, 1);  // escape_whitespaces
  put_bytes(model, 3, normalizer);
  (void)source;
  return model;
}

void write_tokenizer_files(const ModelState& impl, const fs::path& out) {
  if (impl.format == "safetensors") {
    const fs::path source = fs::is_directory(impl.path) ? fs::path(impl.path) : fs::path(impl.path).parent_path();
    for (const char* name : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model",
                             "chat_template.jinja", "generation_config.json", "added_tokens.json"}) {
      if (fs::exists(source / name)) fs::copy_file(source / name, out / name, fs::copy_options::overwrite_existing);
    }
    return;
  }
  const json& meta = impl.metadata;
  const std::string kind = meta.value("tokenizer.ggml.model", "");
  if (kind != "llama")
    fail("{}: exporting the embedded '{}' tokenizer is not supported yet (llama/SentencePiece is)", impl.path, kind);
  write_file_atomically((out / "tokenizer.model").string(), sentencepiece_model_from_gguf(meta, impl.path));
  const auto& tokens = meta.at("tokenizer.ggml.tokens");
  const auto token = [&](const char* key) -> json {
    if (!meta.contains(key) || !meta[key].is_number_integer()) return nullptr;
    const auto i = meta[key].get<size_t>();
    return i < tokens.size() ? tokens[i] : json(nullptr);
  };
  json config = {{"tokenizer_class", "LlamaTokenizer"},
                 {"add_bos_token", meta.value("tokenizer.ggml.add_bos_token", true)},
                 {"add_eos_token", meta.value("tokenizer.ggml.add_eos_token", false)},
                 {"bos_token", token("tokenizer.ggml.bos_token_id")},
                 {"eos_token", token("tokenizer.ggml.eos_token_id")},
                 {"unk_token", token("tokenizer.ggml.unknown_token_id")},
                 {"legacy", true},
                 {"model_max_length", impl.config.max_position_embeddings}};
  if (meta.contains("tokenizer.chat_template")) config["chat_template"] = meta["tokenizer.chat_template"];
  write_file_atomically((out / "tokenizer_config.json").string(), config.dump(2) + "\n");
}

}  // namespace

void export_huggingface(const Model& model, const std::string& out_dir, DType dtype) {
  const ModelState& impl = model_state(model);
  const fs::path out(out_dir);
  fs::create_directories(out);
  auto& weights = const_cast<ModelWeights&>(impl.weights);  // named_weights only takes addresses
  std::vector<std::vector<std::byte>> buffers;
  std::vector<std::pair<std::string, TensorView>> tensors;
  for (const NamedWeight& w : named_weights(impl.config, weights)) {
    const std::vector<float> values = hf_values(w);
    const Shape shape = w.matrix != nullptr ? w.matrix->shape : Shape{static_cast<int64_t>(values.size())};
    buffers.emplace_back(dtype_bytes(dtype, static_cast<int64_t>(values.size())));
    from_f32(dtype, values.data(), buffers.back().data(), static_cast<int64_t>(values.size()));
    tensors.emplace_back(w.name, TensorView{dtype, shape, buffers.back().data()});
  }
  write_safetensors((out / "model.safetensors").string(), tensors);
  json config;
  if (impl.format == "safetensors") {
    config = impl.metadata;
    config["torch_dtype"] = torch_dtype_name(dtype);
    if (impl.config.weight_prefix != "model.")
      fail("{}: exporting models whose weights live under '{}' (multimodal wrappers) is not supported yet", impl.path,
           impl.config.weight_prefix);
  } else {
    if (impl.config.model_type != "llama") {
      fail("{}: exporting a GGUF {} model as a Hugging Face directory is not supported yet (llama is)", impl.path,
           impl.config.model_type);
    }
    config = llama_config_json(impl.config, dtype);
  }
  write_file_atomically((out / "config.json").string(), config.dump(2) + "\n");
  write_tokenizer_files(impl, out);
}

void export_peft_adapter(const TrainableTransformer& net, const std::string& base_model, const std::string& out_dir) {
  if (!net.lora()) fail("export_peft_adapter: the model has no LoRA adapters");
  const ModelConfig& config = net.config();
  const LoraOptions& lora = net.lora_options();
  const fs::path out(out_dir);
  fs::create_directories(out);
  std::vector<std::vector<float>> buffers;
  std::vector<std::pair<std::string, TensorView>> tensors;
  for (const Parameter* p : net.trainable_parameters()) {
    // lora_B rows are q/k output features: put them in Hugging Face order like the base weights.
    const bool rope_rows = p->name.ends_with("q_proj.lora_B.weight") || p->name.ends_with("k_proj.lora_B.weight");
    std::vector<float> values = rope_rows && config.rope_layout == RopeLayout::AdjacentPairs
                                    ? rows_in_hf_order(p->value, p->shape[0], config.head_dim)
                                    : p->value;
    buffers.push_back(std::move(values));
    tensors.emplace_back("base_model.model." + p->name,
                         TensorView{DType::F32, p->shape, reinterpret_cast<const std::byte*>(buffers.back().data())});
  }
  write_safetensors((out / "adapter_model.safetensors").string(), tensors);
  const json adapter = {{"peft_type", "LORA"},
                        {"task_type", "CAUSAL_LM"},
                        {"base_model_name_or_path", base_model},
                        {"r", lora.rank},
                        {"lora_alpha", lora.alpha},
                        {"lora_dropout", lora.dropout},
                        {"use_rslora", lora.rslora},
                        {"target_modules", lora.target_modules},
                        {"bias", "none"},
                        {"fan_in_fan_out", false},
                        {"inference_mode", true},
                        {"init_lora_weights", true},
                        {"modules_to_save", nullptr}};
  write_file_atomically((out / "adapter_config.json").string(), adapter.dump(2) + "\n");
}

}  // namespace medllm
