#include <algorithm>
#include <filesystem>
#include <fstream>
#include <medllm/model.hpp>

#include "core/error.hpp"
#include "core/json_file.hpp"
#include "formats/gguf.hpp"
#include "formats/safetensors.hpp"
#include "kernels/matmul.hpp"
#include "model/model_state.hpp"

namespace medllm {

namespace fs = std::filesystem;

namespace {

bool has_gguf_magic(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, 4) && std::string_view(magic, 4) == "GGUF";
}

// generation_config.json may list more end-of-turn tokens than config.json (chat models stop at
// "<|eot_id|>" as well as "<|end_of_text|>"); generation stops at any of them.
void add_generation_eos(ModelConfig& config, const fs::path& path) {
  if (!fs::exists(path)) return;
  const nlohmann::json generation = read_json_file(path.string());
  if (!generation.is_object() || !generation.contains("eos_token_id")) return;
  const nlohmann::json& value = generation["eos_token_id"];
  std::vector<int64_t> ids;
  if (value.is_number_integer()) ids.push_back(value.get<int64_t>());
  if (value.is_array()) {
    for (const auto& id : value) {
      if (id.is_number_integer()) ids.push_back(id.get<int64_t>());
    }
  }
  for (int64_t id : ids) {
    if (id < 0 || id >= config.vocab_size) fail("{}: eos_token_id {} is outside the vocabulary", path.string(), id);
    if (std::find(config.eos_token_ids.begin(), config.eos_token_ids.end(), id) == config.eos_token_ids.end()) {
      config.eos_token_ids.push_back(id);
    }
  }
}

// A JSON file's field as text, or `otherwise` when the file or field is missing or unreadable
// (it only improves an error message, which must not fail in turn).
std::string json_field_or(const fs::path& path, std::initializer_list<const char*> keys, const std::string& otherwise) {
  std::ifstream in(path, std::ios::binary);
  const nlohmann::json file = nlohmann::json::parse(in, nullptr, false);
  const nlohmann::json* value = &file;
  for (const char* key : keys) {
    if (!value->is_object() || !value->contains(key)) return otherwise;
    value = &(*value)[key];
  }
  return value->is_string() && !value->get<std::string>().empty() ? value->get<std::string>() : otherwise;
}

// Directories users pass as a model that are not one: a PEFT adapter or a `medllm train`
// checkpoint, which load on top of their base model.
[[noreturn]] void fail_not_a_model_directory(const fs::path& directory) {
  const std::string dir = directory.string();
  if (fs::exists(directory / "adapter_config.json")) {
    const std::string base =
        json_field_or(directory / "adapter_config.json", {"base_model_name_or_path"}, "BASE_MODEL");
    fail("{}: a LoRA adapter (adapter_config.json), not a model; load it on its base model: -m {} --lora {}", dir, base,
         dir);
  }
  if (fs::exists(directory / "trainer_state.json")) {
    const std::string base = json_field_or(directory / "trainer_state.json", {"run", "model"}, "BASE_MODEL");
    fail("{}: a `medllm train` checkpoint, not a model; load it on its base model: -m {} --checkpoint {}", dir, base,
         dir);
  }
  fail("{}: no config.json in the model directory", dir);
}

void load_huggingface(ModelState& impl, const fs::path& directory) {
  const fs::path config_path = directory / "config.json";
  if (!fs::exists(config_path)) fail_not_a_model_directory(directory);
  impl.format = "safetensors";
  impl.metadata = read_json_file(config_path.string());
  load_safetensors_dir(directory.string(), impl.store);
  const auto has_tensor = [&](const std::string& name) { return impl.store.contains(name); };
  impl.config = config_from_hf(impl.metadata, config_path.string(), has_tensor);
  add_generation_eos(impl.config, directory / "generation_config.json");
  impl.weights = bind_weights(impl.config, impl.store, WeightLayout::HuggingFace);
}

void load_gguf_model(ModelState& impl, const fs::path& path) {
  impl.format = "gguf";
  GgufFile file = load_gguf(path.string(), impl.store);
  impl.metadata = std::move(file.metadata);
  const TensorEntry* embedding = impl.store.find("token_embd.weight");
  const int64_t embedding_rows = embedding != nullptr && !embedding->shape.empty() ? embedding->shape.front() : 0;
  const auto has_tensor = [&](const std::string& name) { return impl.store.contains(name); };
  impl.config = config_from_gguf(impl.metadata, path.string(), embedding_rows, has_tensor);
  if (const TensorEntry* freqs = impl.store.find("rope_freqs.weight")) {
    const TensorView view = impl.store.view(freqs->name);
    impl.config.rope_freq_factors.resize(static_cast<size_t>(view.numel()));
    to_f32(view.dtype, view.data, impl.config.rope_freq_factors.data(), view.numel());
  }
  impl.weights = bind_weights(impl.config, impl.store, WeightLayout::Gguf);
}

}  // namespace

Model::Model(std::unique_ptr<ModelState> state) : state_(std::move(state)) {}
Model::~Model() = default;

std::unique_ptr<Model> Model::load(const std::string& path_text, const LoadOptions& options) {
  const fs::path path(path_text);
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (error || !fs::exists(status)) fail("{}: no such file or directory", path_text);

  auto impl = std::make_unique<ModelState>();
  impl->path = path_text;
  if (fs::is_directory(status)) {
    load_huggingface(*impl, path);
  } else if (path.extension() == ".gguf" || has_gguf_magic(path)) {
    load_gguf_model(*impl, path);
  } else if (path.extension() == ".safetensors") {
    load_huggingface(*impl, path.parent_path().empty() ? fs::path(".") : path.parent_path());
  } else {
    fail("{}: not a model (expected a Hugging Face directory with config.json, or a .gguf file)", path_text);
  }
  if (!options.checkpoint.empty()) {
    fs::path weights_file(options.checkpoint);
    if (fs::is_directory(weights_file)) weights_file /= "model.safetensors";
    if (!fs::exists(weights_file))
      fail("{}: no model.safetensors (expected a medllm train checkpoint)", options.checkpoint);
    replace_weights(impl->config, impl->weights, weights_file.string(), impl->owned_weights);
  }
  for (const LoraAdapterSpec& adapter : options.lora_adapters) {
    merge_lora_adapter(impl->config, impl->weights, adapter.path, adapter.scale, impl->owned_weights);
  }
  impl->checkpoint = options.checkpoint;
  impl->lora_adapters = options.lora_adapters;
  if (options.dequantized_matmul) impl->weights.block_matmul = kernels::BlockMatmul::Exact;
  impl->pool = std::make_unique<ThreadPool>(options.threads);
  if (options.check_weights) check_finite(impl->weights, impl->store, *impl->pool);
  impl->transformer = std::make_unique<Transformer>(impl->config, impl->weights);
  return std::unique_ptr<Model>(new Model(std::move(impl)));
}

const ModelState& model_state(const Model& model) {
  return *model.state_;
}

const ModelConfig& Model::config() const {
  return state_->config;
}
const std::string& Model::path() const {
  return state_->path;
}
std::string Model::format() const {
  return state_->format;
}
const nlohmann::json& Model::metadata() const {
  return state_->metadata;
}
int Model::threads() const {
  return state_->pool->size();
}
const std::string& Model::checkpoint() const {
  return state_->checkpoint;
}
const std::vector<LoraAdapterSpec>& Model::lora_adapters() const {
  return state_->lora_adapters;
}

std::vector<TensorSummary> Model::tensors() const {
  std::vector<TensorSummary> out;
  for (const auto& [name, entry] : state_->store.entries()) {
    out.push_back(
        {name, entry.stored_type, entry.shape, entry.nbytes, entry.file, state_->weights.used_names.contains(name)});
  }
  return out;
}

}  // namespace medllm
