#include "model/weight_updates.hpp"

#include <cblas.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>

#include "core/error.hpp"
#include "core/json_fields.hpp"
#include "core/json_file.hpp"
#include "formats/safetensors.hpp"
#include "formats/tensor_store.hpp"
#include "model/named_weights.hpp"

namespace medllm {

namespace fs = std::filesystem;

namespace {

// The matrix as owned f32 values (converting and moving it out of the memory map once).
float* owned_matrix(TensorView& view, OwnedWeights& storage) {
  storage.emplace_back(static_cast<size_t>(view.numel()));
  std::vector<float>& values = storage.back();
  to_f32(view.dtype, view.data, values.data(), view.numel());
  view = TensorView{DType::F32, view.shape, reinterpret_cast<const std::byte*>(values.data())};
  return values.data();
}

void relink_tied_head(const ModelConfig& config, ModelWeights& weights) {
  if (config.tie_word_embeddings) weights.lm_head = weights.embed;
}

}  // namespace

int replace_weights(const ModelConfig& config, ModelWeights& weights, const std::string& safetensors_path,
                    OwnedWeights& storage) {
  TensorStore store;
  load_safetensors(safetensors_path, store);
  std::map<std::string, NamedWeight> by_name;
  for (NamedWeight& w : named_weights(config, weights)) by_name.emplace(w.name, w);
  int replaced = 0;
  for (const auto& [name, entry] : store.entries()) {
    const auto it = by_name.find(name);
    if (it == by_name.end()) fail("{}: tensor '{}' is not a weight of this model", safetensors_path, name);
    const NamedWeight& target = it->second;
    const Shape expected =
        target.matrix != nullptr ? target.matrix->shape : Shape{static_cast<int64_t>(target.vector->size())};
    if (entry.shape != expected || !entry.dtype)
      fail("{}: tensor '{}' is {} {}, the model's is {}", safetensors_path, name, entry.stored_type,
           shape_to_string(entry.shape), shape_to_string(expected));
    const TensorView source = store.view(name);
    if (target.matrix != nullptr) {
      storage.emplace_back(static_cast<size_t>(source.numel()));
      to_f32(source.dtype, source.data, storage.back().data(), source.numel());
      *target.matrix = TensorView{DType::F32, expected, reinterpret_cast<const std::byte*>(storage.back().data())};
    } else {
      to_f32(source.dtype, source.data, target.vector->data(), source.numel());
    }
    ++replaced;
  }
  relink_tied_head(config, weights);
  return replaced;
}

PeftAdapter read_peft_adapter(const ModelConfig& config, const ModelWeights& weights, const std::string& adapter_dir) {
  const fs::path dir(adapter_dir);
  const fs::path config_path = dir / "adapter_config.json";
  if (!fs::exists(config_path))
    fail("{}: no adapter_config.json (expected a PEFT LoRA adapter directory)", adapter_dir);
  const std::string where = config_path.string();
  const nlohmann::json adapter = read_json_file(where);
  if (const auto type = optional_string(adapter, "peft_type", where).value_or("LORA"); type != "LORA")
    fail("{}: peft_type '{}' is not supported (LORA is)", where, type);
  if (optional_bool(adapter, "fan_in_fan_out", where, false))
    fail("{}: fan_in_fan_out adapters are not supported", where);
  PeftAdapter out;
  out.rank = required_integer(adapter, "r", where, 1);
  out.alpha = optional_number(adapter, "lora_alpha", where).value_or(8.0);  // PEFT's default
  out.rslora = optional_bool(adapter, "use_rslora", where, false);

  const fs::path tensors_path = dir / "adapter_model.safetensors";
  if (!fs::exists(tensors_path)) fail("{}: no adapter_model.safetensors", adapter_dir);
  TensorStore store;
  load_safetensors(tensors_path.string(), store);
  std::map<std::string, ConstNamedWeight> by_name;
  for (const ConstNamedWeight& w : named_weights(config, weights)) {
    if (w.matrix != nullptr) by_name.emplace(w.name, w);
  }
  for (const auto& [name, entry] : store.entries()) {
    const std::string suffix = ".lora_A.weight";
    if (!name.ends_with(suffix)) continue;
    std::string module = name.substr(0, name.size() - suffix.size());
    if (module.starts_with("base_model.model.")) module = module.substr(std::strlen("base_model.model."));
    const std::string b_name = name.substr(0, name.size() - suffix.size()) + ".lora_B.weight";
    const auto it = by_name.find(module + ".weight");
    if (it == by_name.end()) fail("{}: '{}' does not adapt a weight of this model", tensors_path.string(), name);
    if (!store.contains(b_name)) fail("{}: '{}' has no matching '{}'", tensors_path.string(), name, b_name);
    const TensorView a_view = store.view(name);
    const TensorView b_view = store.view(b_name);
    const int64_t rows = it->second.matrix->rows(), cols = it->second.matrix->cols(), rank = out.rank;
    if (a_view.shape != Shape{rank, cols} || b_view.shape != Shape{rows, rank})
      fail("{}: '{}' is {} and its B {}; expected [{}, {}] and [{}, {}] for r = {}", tensors_path.string(), name,
           shape_to_string(a_view.shape), shape_to_string(b_view.shape), rank, cols, rows, rank, rank);
    PeftAdapter::Pair pair{it->first, rows, cols, std::vector<float>(static_cast<size_t>(rank * cols)),
                           std::vector<float>(static_cast<size_t>(rows * rank))};
    to_f32(a_view.dtype, a_view.data, pair.a.data(), a_view.numel());
    to_f32(b_view.dtype, b_view.data, pair.b.data(), b_view.numel());
    out.pairs.push_back(std::move(pair));
  }
  if (out.pairs.empty()) fail("{}: no lora_A/lora_B tensor pairs found", tensors_path.string());
  return out;
}

int merge_lora_adapter(const ModelConfig& config, ModelWeights& weights, const std::string& adapter_dir, float scale,
                       OwnedWeights& storage) {
  const PeftAdapter adapter = read_peft_adapter(config, weights, adapter_dir);
  const auto factor = static_cast<float>(scale * adapter.scaling());
  std::map<std::string, NamedWeight> by_name;
  for (NamedWeight& w : named_weights(config, weights)) by_name.emplace(w.name, w);
  const auto rank = static_cast<int>(adapter.rank);
  for (const PeftAdapter::Pair& pair : adapter.pairs) {
    const NamedWeight& target = by_name.at(pair.weight);
    // The adapter speaks Hugging Face row order; a model read from a llama GGUF llama.cpp's.
    const std::vector<float> b =
        target.permuted_rows ? rows_in_gguf_order(pair.b, pair.rows, pair.rows / target.heads) : pair.b;
    float* w = owned_matrix(*target.matrix, storage);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(pair.rows), static_cast<int>(pair.cols),
                rank, factor, b.data(), rank, pair.a.data(), static_cast<int>(pair.cols), 1.0f, w,
                static_cast<int>(pair.cols));
  }
  relink_tied_head(config, weights);
  return static_cast<int>(adapter.pairs.size());
}

}  // namespace medllm
