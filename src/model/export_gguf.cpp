// export_gguf (model/export.hpp): a loaded model as the GGUF file llama.cpp's converter followed
// by llama-quantize would make of it.

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <medllm/model.hpp>
#include <optional>

#include "core/error.hpp"
#include "core/mapped_file.hpp"
#include "formats/gguf.hpp"
#include "formats/gguf_quantize.hpp"
#include "formats/gguf_writer.hpp"
#include "model/export.hpp"
#include "model/model_state.hpp"
#include "model/named_weights.hpp"
#include "model/weight_updates.hpp"
#include "tokenizer/gguf_vocab_export.hpp"

namespace medllm {

namespace fs = std::filesystem;

namespace {

// llama.cpp's llama3 rope as per-frequency divisors of the plain inverse frequencies (its
// rope_freqs tensor), taken from the one definition of the scaled frequencies (model/rope.cpp).
std::vector<float> llama3_rope_factors(const RopeConfig& rope, int64_t head_dim) {
  RopeConfig plain;
  plain.theta = rope.theta;
  const std::vector<float> unscaled = rope_inverse_frequencies(plain, head_dim, {});
  const std::vector<float> scaled = rope_inverse_frequencies(rope, head_dim, {});
  std::vector<float> factors(unscaled.size());
  for (size_t i = 0; i < factors.size(); ++i) factors[i] = unscaled[i] / scaled[i];
  return factors;
}

// The rope of the layers that attend to everything (Gemma's sliding layers have their own).
const RopeConfig& global_rope(const ModelConfig& c) {
  for (const LayerConfig& layer : c.layers) {
    if (!layer.sliding) return layer.rope;
  }
  return c.layers.front().rope;
}

// The architecture's hyper-parameters under llama.cpp's keys; the rope frequency divisors to
// store as rope_freqs.weight (empty: none).
std::vector<float> add_hyperparameters(const ModelConfig& c, const std::string& arch, GgufWriter& writer) {
  const std::string p = arch + ".";
  writer.add_u32(p + "context_length", static_cast<uint32_t>(c.max_position_embeddings));
  writer.add_u32(p + "embedding_length", static_cast<uint32_t>(c.hidden_size));
  writer.add_u32(p + "block_count", static_cast<uint32_t>(c.num_layers));
  writer.add_u32(p + "feed_forward_length", static_cast<uint32_t>(c.intermediate_size));
  writer.add_u32(p + "attention.head_count", static_cast<uint32_t>(c.num_heads));
  writer.add_u32(p + "attention.head_count_kv", static_cast<uint32_t>(c.num_kv_heads));
  writer.add_u32(p + "attention.key_length", static_cast<uint32_t>(c.head_dim));
  writer.add_u32(p + "attention.value_length", static_cast<uint32_t>(c.head_dim));
  writer.add_u32(p + "rope.dimension_count", static_cast<uint32_t>(c.head_dim));
  writer.add_f32(p + "attention.layer_norm_rms_epsilon", static_cast<float>(c.rms_norm_eps));
  writer.add_u32(p + "vocab_size", static_cast<uint32_t>(c.vocab_size));
  const RopeConfig& rope = global_rope(c);
  writer.add_f32(p + "rope.freq_base", static_cast<float>(rope.theta));
  switch (rope.scaling) {
    case RopeScalingType::None:
      return c.rope_freq_factors;
    case RopeScalingType::Linear:
      writer.add_string(p + "rope.scaling.type", "linear");
      writer.add_f32(p + "rope.scaling.factor", static_cast<float>(rope.factor));
      return c.rope_freq_factors;
    case RopeScalingType::Llama3:
      return llama3_rope_factors(rope, c.head_dim);
    case RopeScalingType::Yarn:
      break;
  }
  fail("export: yarn rope scaling is not written to GGUF yet (none, linear and llama3 are)");
}

// The period llama.cpp describes Gemma's layers with: every `period`-th layer global, the others
// sliding (0: all sliding); nullopt when the layers follow no such period.
std::optional<int64_t> sliding_period(const ModelConfig& c) {
  for (int64_t period = 0; period <= c.num_layers + 1; ++period) {
    bool matches = true;
    for (int64_t i = 0; i < c.num_layers && matches; ++i) {
      matches = c.layers[static_cast<size_t>(i)].sliding == (period == 0 || i % period < period - 1);
    }
    if (matches) return period;
  }
  return std::nullopt;
}

// Gemma 2 / 3: what llama.cpp reads beyond the common keys, after checking that its fixed rules
// (query scale, always-on soft-caps of Gemma 2, unscaled local rope of Gemma 3) give this model.
void add_gemma_keys(const ModelConfig& c, const std::string& arch, GgufWriter& writer) {
  const std::string p = arch + ".";
  const bool gemma2 = arch == "gemma2";
  const bool twenty_seven_b = c.num_layers == (gemma2 ? 46 : 62);
  const int64_t query_scalar = twenty_seven_b ? c.hidden_size / c.num_heads : c.head_dim;
  if (c.attention_scale != static_cast<float>(1.0 / std::sqrt(static_cast<double>(query_scalar)))) {
    fail(
        "export: llama.cpp's {} scales queries by 1/sqrt({}) for this shape; this model's query_pre_attn_scalar "
        "differs",
        arch, query_scalar);
  }
  if (gemma2 && (c.attn_logit_softcap == 0.0f || c.final_logit_softcap == 0.0f)) {
    fail("export: llama.cpp's gemma2 always soft-caps attention and final logits; this model does not");
  }
  if (!gemma2 && c.attn_logit_softcap != 0.0f) fail("export: llama.cpp's gemma3 has no attention soft-cap");
  if (gemma2) writer.add_f32(p + "attn_logit_softcapping", c.attn_logit_softcap);
  if (gemma2 || c.final_logit_softcap != 0.0f) writer.add_f32(p + "final_logit_softcapping", c.final_logit_softcap);
  const auto period = sliding_period(c);
  const bool any_sliding =
      std::any_of(c.layers.begin(), c.layers.end(), [](const LayerConfig& l) { return l.sliding; });
  if (!period || (gemma2 && !any_sliding)) {
    fail("export: llama.cpp cannot express this model's pattern of sliding layers");
  }
  if (!any_sliding) return;
  writer.add_u32(p + "attention.sliding_window", static_cast<uint32_t>(c.sliding_window));
  writer.add_u32(p + "attention.sliding_window_pattern", static_cast<uint32_t>(*period));
  const auto local = std::find_if(c.layers.begin(), c.layers.end(), [](const LayerConfig& l) { return l.sliding; });
  const RopeConfig& global = global_rope(c);
  if (!gemma2 && local->rope.scaling != RopeScalingType::None) {
    fail("export: llama.cpp's gemma3 does not scale the sliding layers' rope");
  }
  if (gemma2 && (local->rope.scaling != global.scaling || local->rope.factor != global.factor)) {
    fail("export: llama.cpp's gemma2 scales the sliding layers' rope as the global one");
  }
  writer.add_f32(p + "rope.freq_base_swa", static_cast<float>(local->rope.theta));
}

// What llama.cpp's GGUF architectures cannot express, refused rather than silently changed.
void check_expressible(const ModelConfig& c, const std::string& arch) {
  if (arch == "gemma2" || arch == "gemma3") {
    if (!c.sandwich_norms) fail("export: a {} model must have Gemma's sandwich norms", arch);
    return;
  }
  for (const LayerConfig& layer : c.layers) {
    if (layer.sliding) fail("export: the model has sliding-window layers, which llama.cpp's {} has not", arch);
    if (layer.rope.theta != c.layers.front().rope.theta || layer.rope.scaling != c.layers.front().rope.scaling)
      fail("export: the layers' rope settings differ, which one GGUF rope setting cannot express");
  }
}

// Copies the tokenizer: a GGUF source's tokenizer.* entries exactly, else converted from the
// Hugging Face tokenizer files beside the weights.
void add_tokenizer(const ModelState& impl, GgufWriter& writer) {
  if (impl.format == "gguf") {
    const MappedFile mapped(impl.path);
    const GgufFile file = with_context(impl.path, [&] { return parse_gguf(mapped.bytes()); });
    for (const GgufEntry& entry : file.entries) {
      if (entry.key.starts_with("tokenizer.")) {
        writer.add_encoded(entry.key, entry.type, mapped.bytes().subspan(entry.offset, entry.size));
      }
    }
    return;
  }
  const fs::path dir = fs::is_directory(impl.path) ? fs::path(impl.path) : fs::path(impl.path).parent_path();
  add_gguf_vocab_from_hf(dir, impl.config.vocab_size, writer);
}

// A weight's values as f32, q/k rows in the order `to` wants.
std::vector<float> values_in_layout(const ConstNamedWeight& w, RopeLayout from, RopeLayout to) {
  std::vector<float> values = f32_values(w);
  if (w.heads == 0 || from == to) return values;
  if (to != RopeLayout::AdjacentPairs) fail("export: q/k rows in llama.cpp's order cannot be written in halves order");
  const auto rows = w.matrix != nullptr ? w.matrix->rows() : static_cast<int64_t>(values.size());
  return rows_in_gguf_order(values, rows, rows / w.heads);
}

// The plan the per-tensor mix reads: the few hyper-parameters its rules use and every tensor.
GgufFile mix_plan(const ModelConfig& c, const std::string& arch, const std::vector<ConstNamedWeight>& weights) {
  GgufFile plan;
  plan.metadata = {{"general.architecture", arch},
                   {arch + ".block_count", c.num_layers},
                   {arch + ".attention.head_count", c.num_heads},
                   {arch + ".attention.head_count_kv", c.num_kv_heads}};
  for (const ConstNamedWeight& w : weights) {
    GgufTensorInfo info;
    info.name = w.gguf_name;
    if (w.matrix != nullptr) {
      info.ne = {static_cast<uint64_t>(w.matrix->cols()), static_cast<uint64_t>(w.matrix->rows())};
    } else {
      info.ne = {static_cast<uint64_t>(w.vector->size())};
    }
    plan.tensors.push_back(std::move(info));
  }
  return plan;
}

// One weight as written: q/k rows in llama.cpp's order, Gemma's norms as 1 + w, finite, in the
// type the mix gives it.
std::vector<std::byte> weight_bytes(const ConstNamedWeight& w, const GgufTensorInfo& info, DType dtype,
                                    const ModelConfig& c, RopeLayout layout, const Importance* importance,
                                    ThreadPool& pool) {
  std::vector<float> values = values_in_layout(w, c.rope_layout, layout);
  // llama.cpp multiplies by Gemma's norm weights as they are: its converter stores 1 + w (a
  // model read from GGUF holds them so already).
  if (c.norm_offset_one && info.name.ends_with("norm.weight")) {
    for (float& v : values) v += 1.0f;
  }
  if (!std::all_of(values.begin(), values.end(), [](float v) { return std::isfinite(v); })) {
    fail("holds NaN or infinite values (a merged adapter or checkpoint can bring them)");
  }
  const auto columns = static_cast<int64_t>(info.ne[0]);
  const float* weights = importance != nullptr ? importance_for(*importance, info) : nullptr;
  return convert_rows(DType::F32, dtype, reinterpret_cast<const std::byte*>(values.data()),
                      static_cast<int64_t>(values.size()) / columns, columns, pool, weights,
                      static_cast<int64_t>(info.ne.size() > 1 ? info.ne[1] : 1));
}

std::string model_name(const ModelState& impl) {
  if (impl.format == "gguf") return impl.metadata.value("general.name", fs::path(impl.path).stem().string());
  const fs::path path(impl.path);
  return (fs::is_directory(path) ? path : path.parent_path()).filename().string();
}

}  // namespace

void export_gguf(const Model& model, const std::string& out_file, const std::string& type) {
  export_gguf(model, out_file, QuantizeOptions{.type = type});
}

void export_gguf(const Model& model, const std::string& out_file, const QuantizeOptions& options) {
  const ModelState& impl = model_state(model);
  const ModelConfig& c = impl.config;
  const QuantizePreset* preset = find_quantize_preset(options.type);
  if (preset == nullptr) fail("export: unknown type '{}' (one of {})", options.type, quantize_preset_names());
  // Every matrix is quantized once, from its exact values: there is nothing to requantize.
  if (options.allow_requantize) fail("export: --allow-requantize is for GGUF input");
  const auto arch = gguf_architecture_of(c.model_type);
  if (!arch) {
    fail("export: model_type '{}' is not written to GGUF yet ({} are)", c.model_type, gguf_architectures());
  }
  check_expressible(c, arch->name);

  GgufWriter writer;
  writer.add_string("general.architecture", arch->name);
  writer.add_string("general.name", model_name(impl));
  writer.add_u32("general.file_type", preset->ftype);
  writer.add_u32("general.quantization_version", kQuantizationVersion);
  const std::vector<float> rope_factors = add_hyperparameters(c, arch->name, writer);
  if (arch->name == "gemma2" || arch->name == "gemma3") add_gemma_keys(c, arch->name, writer);
  add_tokenizer(impl, writer);
  const std::optional<Importance> importance = load_quantize_importance(options);
  if (importance) add_importance_record(*importance, writer);

  const std::vector<ConstNamedWeight> weights = named_weights(c, impl.weights);
  const GgufFile plan = mix_plan(c, arch->name, weights);
  QuantizeMix mix(*preset, plan, options.pure, importance.has_value());
  std::vector<std::vector<std::byte>> buffers;  // alive until the writer has written them
  buffers.reserve(weights.size());
  for (size_t i = 0; i < weights.size(); ++i) {
    const GgufTensorInfo& info = plan.tensors[i];
    with_context(fmt::format("export: tensor '{}'", info.name), [&] {
      const DType dtype = mix.type_for(info, DType::F32);
      buffers.push_back(
          weight_bytes(weights[i], info, dtype, c, arch->rope_layout, importance ? &*importance : nullptr, *impl.pool));
      Shape shape;
      for (auto extent = info.ne.rbegin(); extent != info.ne.rend(); ++extent)
        shape.push_back(static_cast<int64_t>(*extent));
      writer.add_tensor(info.name, dtype, shape, buffers.back());
    });
  }
  if (!rope_factors.empty()) {
    const auto* bytes = reinterpret_cast<const std::byte*>(rope_factors.data());
    writer.add_tensor("rope_freqs.weight", DType::F32, Shape{static_cast<int64_t>(rope_factors.size())},
                      std::span(bytes, rope_factors.size() * sizeof(float)));
  }
  writer.write(out_file);
}

void export_gguf_lora(const Model& base, const std::string& adapter_dir, const std::string& out_file,
                      const std::string& type) {
  const ModelState& impl = model_state(base);
  const ModelConfig& c = impl.config;
  const auto arch = gguf_architecture_of(c.model_type);
  if (!arch) fail("export: model_type '{}' is not written to GGUF yet ({} are)", c.model_type, gguf_architectures());
  const QuantizePreset* preset = find_quantize_preset(type);
  if (preset == nullptr || is_block_quantized(preset->type)) {
    fail("export: a LoRA adapter is written in F32, F16 or BF16, not '{}'", type);
  }
  const PeftAdapter adapter = read_peft_adapter(c, impl.weights, adapter_dir);
  GgufWriter writer;
  writer.add_string("general.architecture", arch->name);
  writer.add_string("general.type", "adapter");
  writer.add_string("general.name", fs::path(adapter_dir).filename().string());
  writer.add_string("adapter.type", "lora");
  // llama.cpp scales B·A by alpha / r; rsLoRA's alpha / sqrt(r) is that with alpha·sqrt(r).
  writer.add_f32("adapter.lora.alpha", static_cast<float>(adapter.scaling() * static_cast<double>(adapter.rank)));
  std::map<std::string, ConstNamedWeight> by_name;
  for (const ConstNamedWeight& w : named_weights(c, impl.weights)) by_name.emplace(w.name, w);
  std::vector<std::vector<std::byte>> buffers;  // alive until the writer has written them
  buffers.reserve(2 * adapter.pairs.size());
  const auto add = [&](const std::string& name, const std::vector<float>& values, int64_t rows, int64_t cols) {
    buffers.push_back(convert_rows(DType::F32, preset->type, reinterpret_cast<const std::byte*>(values.data()), rows,
                                   cols, *impl.pool));
    writer.add_tensor(name, preset->type, Shape{rows, cols}, buffers.back());
  };
  for (const PeftAdapter::Pair& pair : adapter.pairs) {
    const ConstNamedWeight& target = by_name.at(pair.weight);
    const bool permute = target.heads > 0 && arch->rope_layout == RopeLayout::AdjacentPairs;
    add(target.gguf_name + ".lora_a", pair.a, adapter.rank, pair.cols);
    add(target.gguf_name + ".lora_b",
        permute ? rows_in_gguf_order(pair.b, pair.rows, pair.rows / target.heads) : pair.b, pair.rows, adapter.rank);
  }
  writer.write(out_file);
}

}  // namespace medllm
