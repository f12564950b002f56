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

int merge_lora_adapter(const ModelConfig& config, ModelWeights& weights, const std::string& adapter_dir, float scale,
                       OwnedWeights& storage) {
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
  const int64_t rank = required_integer(adapter, "r", where, 1);
  const double alpha = optional_number(adapter, "lora_alpha", where).value_or(8.0);  // PEFT's default
  const bool rslora = optional_bool(adapter, "use_rslora", where, false);
  const auto factor = static_cast<float>(scale * alpha / (rslora ? std::sqrt(static_cast<double>(rank)) : rank));

  const fs::path tensors_path = dir / "adapter_model.safetensors";
  if (!fs::exists(tensors_path)) fail("{}: no adapter_model.safetensors", adapter_dir);
  TensorStore store;
  load_safetensors(tensors_path.string(), store);
  std::map<std::string, NamedWeight> by_name;
  for (NamedWeight& w : named_weights(config, weights)) {
    if (w.matrix != nullptr) by_name.emplace(w.name, w);
  }
  int merged = 0;
  for (const auto& [name, entry] : store.entries()) {
    const std::string suffix = ".lora_A.weight";
    if (!name.ends_with(suffix)) continue;
    std::string module = name.substr(0, name.size() - suffix.size());
    if (module.starts_with("base_model.model.")) module = module.substr(std::strlen("base_model.model."));
    const std::string b_name = name.substr(0, name.size() - suffix.size()) + ".lora_B.weight";
    const auto it = by_name.find(module + ".weight");
    if (it == by_name.end()) fail("{}: '{}' does not adapt a weight of this model", tensors_path.string(), name);
    if (!store.contains(b_name)) fail("{}: '{}' has no matching '{}'", tensors_path.string(), name, b_name);
    const NamedWeight& target = it->second;
    const TensorView a_view = store.view(name);
    const TensorView b_view = store.view(b_name);
    const int64_t out = target.matrix->rows(), in = target.matrix->cols();
    if (a_view.shape != Shape{rank, in} || b_view.shape != Shape{out, rank})
      fail("{}: '{}' is {} and its B {}; expected [{}, {}] and [{}, {}] for r = {}", tensors_path.string(), name,
           shape_to_string(a_view.shape), shape_to_string(b_view.shape), rank, in, out, rank, rank);
    std::vector<float> a(static_cast<size_t>(rank * in)), b(static_cast<size_t>(out * rank));
    to_f32(a_view.dtype, a_view.data, a.data(), a_view.numel());
    to_f32(b_view.dtype, b_view.data, b.data(), b_view.numel());
    if (target.permuted_rows) {  // the adapter speaks Hugging Face row order; this model llama.cpp's
      std::vector<float> permuted(b.size());
      const int64_t head_dim = out / target.heads;
      for (int64_t row = 0; row < out; ++row)
        std::memcpy(&permuted[gguf_row_of_hf_row(row, head_dim) * rank], &b[row * rank], sizeof(float) * rank);
      b.swap(permuted);
    }
    float* w = owned_matrix(*target.matrix, storage);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(out), static_cast<int>(in),
                static_cast<int>(rank), factor, b.data(), static_cast<int>(rank), a.data(), static_cast<int>(in), 1.0f,
                w, static_cast<int>(in));
    ++merged;
  }
  if (merged == 0) fail("{}: no lora_A/lora_B tensor pairs found", tensors_path.string());
  relink_tied_head(config, weights);
  return merged;
}

}  // namespace medllm
