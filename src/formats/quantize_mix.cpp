#include "formats/quantize_mix.hpp"

#include <cstdio>

#include "core/error.hpp"
#include "core/utf8.hpp"

namespace medllm {

namespace {

// llama_ftype ids (llama.h) of the presets whose mixes have rules.
enum Ftype : uint32_t {
  kQ4_0 = 2,
  kQ5_0 = 8,
  kQ2_K = 10,
  kQ3_K_S = 11,
  kQ3_K_M = 12,
  kQ3_K_L = 13,
  kQ4_K_S = 14,
  kQ4_K_M = 15,
  kQ5_K_S = 16,
  kQ5_K_M = 17,
  kQ6_K = 18,
  kIQ4_NL = 25,
  kIQ4_XS = 30,
};

// llama-quantize's names, with the type each puts most tensors in (the first name of an ftype is
// the one general.file_type's readers show).
constexpr QuantizePreset kPresets[] = {{"F32", 0, DType::F32},
                                       {"F16", 1, DType::F16},
                                       {"BF16", 32, DType::BF16},
                                       {"Q8_0", 7, DType::Q8_0},
                                       {"Q4_0", 2, DType::Q4_0},
                                       {"Q4_1", 3, DType::Q4_1},
                                       {"Q5_0", 8, DType::Q5_0},
                                       {"Q5_1", 9, DType::Q5_1},
                                       {"Q2_K", kQ2_K, DType::Q2_K},
                                       {"Q3_K_S", kQ3_K_S, DType::Q3_K},
                                       {"Q3_K_M", kQ3_K_M, DType::Q3_K},
                                       {"Q3_K_L", kQ3_K_L, DType::Q3_K},
                                       {"Q4_K_S", kQ4_K_S, DType::Q4_K},
                                       {"Q4_K_M", kQ4_K_M, DType::Q4_K},
                                       {"Q5_K_S", kQ5_K_S, DType::Q5_K},
                                       {"Q5_K_M", kQ5_K_M, DType::Q5_K},
                                       {"Q6_K", kQ6_K, DType::Q6_K},
                                       {"IQ4_NL", kIQ4_NL, DType::IQ4_NL},
                                       {"IQ4_XS", kIQ4_XS, DType::IQ4_XS},
                                       // llama-quantize's aliases.
                                       {"Q3_K", kQ3_K_M, DType::Q3_K},
                                       {"Q4_K", kQ4_K_M, DType::Q4_K},
                                       {"Q5_K", kQ5_K_M, DType::Q5_K}};

// The names (or parts of names) of weights llama.cpp keeps as they are: norms, expert routers,
// and small tables and projections of other architectures (its tensor_allows_quantization).
constexpr const char* kKeptAsTheyAre[] = {"_norm.weight",
                                          "ffn_gate_inp.weight",
                                          "ffn_gate_tid2eid.weight",
                                          "altup",
                                          "laurel",
                                          "per_layer_model_proj",
                                          "ssm_conv1d",
                                          "shortconv.conv.weight",
                                          "indexer.k_proj.weight",
                                          "indexer.q_proj.weight",
                                          "time_mix_first.weight",
                                          "time_mix_w0.weight",
                                          "time_mix_w1.weight",
                                          "time_mix_w2.weight",
                                          "time_mix_v0.weight",
                                          "time_mix_v1.weight",
                                          "time_mix_v2.weight",
                                          "time_mix_a0.weight",
                                          "time_mix_a1.weight",
                                          "time_mix_a2.weight",
                                          "time_mix_g1.weight",
                                          "time_mix_g2.weight",
                                          "time_mix_decay_w1.weight",
                                          "time_mix_decay_w2.weight",
                                          "time_mix_lerp_fused.weight",
                                          "attn_rel_b.weight",
                                          ".position_embd",
                                          "sam.pos_embd",
                                          "sam.neck.",
                                          "sam.net_",
                                          ".rel_pos",
                                          ".patch_embd",
                                          ".patch_merger",
                                          "a.rvq.codebook",
                                          "mm.a.code_embd"};

// llama.cpp quantizes the 2-D and 3-D weights but those.
bool allows_quantization(const std::string& name, size_t dims) {
  if (dims < 2 || !name.ends_with("weight")) return false;
  for (const char* kept : kKeptAsTheyAre) {
    if (name.find(kept) != std::string::npos) return false;
  }
  return name != "position_embd.weight" && name != "token_types.weight";
}

// A type whose blocks do not divide the rows falls back as llama.cpp's tensor_type_fallback does.
DType fallback(DType type, int64_t columns) {
  if (columns % dtype_traits(type).block_elems == 0) return type;
  switch (type) {
    case DType::Q2_K:
    case DType::Q3_K:
      type = DType::Q4_0;
      break;
    case DType::Q4_K:
      type = DType::Q5_0;
      break;
    case DType::Q5_K:
      type = DType::Q5_1;
      break;
    case DType::Q6_K:
      type = DType::Q8_0;
      break;
    case DType::IQ4_XS:
      type = DType::IQ4_NL;
      break;
    default:
      break;
  }
  return columns % dtype_traits(type).block_elems == 0 ? type : DType::F16;
}

// The broad roles llama.cpp's rules tell tensors apart by, from their names (its tensor_get_category).
enum class Role { kOutput, kTokenEmbedding, kAttentionValue, kAttentionKey, kAttentionOutput, kDown, kOther };

Role role_of(const std::string& name) {
  if (name == "output.weight") return Role::kOutput;
  if (name == "token_embd.weight" || name == "per_layer_token_embd.weight") return Role::kTokenEmbedding;
  // Fused QKV and MLA's kv_b carry the values too; llama.cpp gives them the value rules.
  for (const char* value : {"attn_qkv.weight", "attn_kv_b.weight", "attn_v.weight"}) {
    if (name.find(value) != std::string::npos) return Role::kAttentionValue;
  }
  if (name.find("attn_k.weight") != std::string::npos) return Role::kAttentionKey;
  if (name.find("attn_q.weight") != std::string::npos) return Role::kOther;
  if (name.find("attn_output.weight") != std::string::npos) return Role::kAttentionOutput;
  if (name.find("ffn_up") != std::string::npos || name.find("ffn_gate") != std::string::npos) return Role::kOther;
  if (name.find("ffn_down") != std::string::npos) return Role::kDown;
  return Role::kOther;
}

// The layers that get more bits in the _M mixes: the first and last eighth, and every third between.
bool more_bits(int layer, int layers) {
  return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
}

int first_int(const nlohmann::json& value, int otherwise) {
  if (value.is_array()) return value.empty() ? otherwise : first_int(value.front(), otherwise);
  return value.is_number_integer() ? value.get<int>() : otherwise;
}

// llama.cpp's 70B size class, by architecture and layer count (its per-architecture model types).
bool is_seventy_b(const std::string& arch, int layers, int gqa) {
  if (arch == "llama") return layers == 80 && gqa > 1;
  if (arch == "qwen2" || arch == "deci" || arch == "olmo") return layers == 80;
  return arch == "jais2" && layers == 68;
}

}  // namespace

const QuantizePreset* find_quantize_preset(std::string_view name) {
  const std::string wanted = utf8::upper_ascii(name);
  for (const QuantizePreset& preset : kPresets) {
    if (preset.name == wanted) return &preset;
  }
  return nullptr;
}

std::string quantize_preset_names() {
  std::string out;
  for (const QuantizePreset& preset : kPresets) out += (out.empty() ? "" : ", ") + std::string(preset.name);
  return out;
}

QuantizeMix::QuantizeMix(const QuantizePreset& preset, const GgufFile& file, bool pure, bool importance)
    : preset_(preset), pure_(pure), importance_(importance), arch_(file.metadata.value("general.architecture", "")) {
  const nlohmann::json& meta = file.metadata;
  layers_ = first_int(meta.value(arch_ + ".block_count", nlohmann::json()), 0);
  const int heads = first_int(meta.value(arch_ + ".attention.head_count", nlohmann::json()), 0);
  const int kv_heads = first_int(meta.value(arch_ + ".attention.head_count_kv", nlohmann::json()), heads);
  gqa_ = kv_heads > 0 ? heads / kv_heads : 0;
  experts_ = first_int(meta.value(arch_ + ".expert_count", nlohmann::json()), 0);
  seventy_b_ = is_seventy_b(arch_, layers_, gqa_);
  for (const GgufTensorInfo& tensor : file.tensors) {
    tied_ = tied_ && tensor.name != "output.weight";
    attention_values_ += role_of(tensor.name) == Role::kAttentionValue;
  }
}

DType QuantizeMix::type_for(const GgufTensorInfo& tensor, DType stored) {
  if (!allows_quantization(tensor.name, tensor.ne.size())) return stored;
  if (!is_block_quantized(preset_.type)) return preset_.type;
  const auto columns = static_cast<int64_t>(tensor.ne[0]);
  return fallback(pure_ ? preset_.type : mixed(tensor.name, columns, preset_.type), columns);
}

DType QuantizeMix::mixed(const std::string& name, int64_t columns, DType type) {
  const Role role = role_of(name);
  // The output matrix (or the embeddings that double as it) keeps more bits.
  if (role == Role::kOutput || (tied_ && role == Role::kTokenEmbedding)) {
    if (arch_ == "falcon" || columns % dtype_traits(type).block_elems != 0) return DType::Q8_0;
    return type == DType::Q8_0 ? type : DType::Q6_K;
  }
  switch (role) {
    case Role::kAttentionValue:
      return attention_value(type);
    case Role::kAttentionKey:
      return experts_ == 8 ? DType::Q8_0 : type;
    case Role::kDown:
      return down_projection(name, type);
    case Role::kAttentionOutput:
      return attention_output(type);
    default:
      return type;
  }
}

DType QuantizeMix::attention_value(DType type) {
  const uint32_t f = preset_.ftype;
  const int i = attention_value_++;
  if (f == kQ2_K) {
    type = gqa_ >= 4 ? DType::Q4_K : DType::Q3_K;
  } else if (f == kQ3_K_M) {
    type = i < 2 ? DType::Q5_K : DType::Q4_K;
  } else if (f == kQ3_K_L) {
    type = DType::Q5_K;
  } else if ((f == kIQ4_NL || f == kIQ4_XS) && gqa_ >= 4) {
    type = DType::Q5_K;
  } else if ((f == kQ4_K_M || f == kQ5_K_M) && more_bits(i, attention_values_)) {
    type = DType::Q6_K;
  } else if (f == kQ4_K_S && i < 4) {
    type = DType::Q5_K;
  }
  // In a 70B model 8 heads share each value matrix, so more bits there cost little.
  if (seventy_b_ && (type == DType::Q3_K || type == DType::Q4_K)) type = DType::Q5_K;
  return experts_ == 8 ? DType::Q8_0 : type;
}

DType QuantizeMix::down_projection(const std::string& name, DType type) {
  const uint32_t f = preset_.ftype;
  int layer = down_projection_++;
  if (experts_ > 1) {  // experts' tensors need not come in layer order: the layer is in the name
    if (std::sscanf(name.c_str(), "blk.%d.", &layer) != 1 || layer < 0 || layer >= layers_) {
      fail("tensor '{}': its layer is not one of the {} the file declares", name, layers_);
    }
  }
  const bool falcon = arch_ == "falcon", more = more_bits(layer, layers_);
  if (f == kQ2_K) return DType::Q3_K;
  if (f == kQ3_K_M) return layer < layers_ / 16 ? DType::Q5_K : !falcon || more ? DType::Q4_K : DType::Q3_K;
  if (f == kQ3_K_L) return falcon ? DType::Q4_K : DType::Q5_K;
  if (f == kQ4_K_M) {
    if (!falcon) return more ? DType::Q6_K : type;
    return layer < layers_ / 16 ? DType::Q6_K : more ? DType::Q5_K : DType::Q4_K;
  }
  if (layer < layers_ / 8 && (f == kIQ4_NL || f == kIQ4_XS) && !importance_) return DType::Q5_K;
  if (f == kQ5_K_M && more) return DType::Q6_K;
  if (f == kQ4_K_S && !falcon && layer < layers_ / 8) return DType::Q5_K;
  // Even under an importance matrix q4_0 / q5_0 can go wrong in the first down projections;
  // llama.cpp gives them the types with a minimum then (and only then, so that files made
  // without one stay as they were).
  if ((f == kQ4_0 || f == kQ5_0) && importance_ && layer < layers_ / 8) {
    return f == kQ4_0 ? DType::Q4_1 : DType::Q5_1;
  }
  return type;
}

DType QuantizeMix::attention_output(DType type) const {
  const uint32_t f = preset_.ftype;
  if (arch_ == "falcon") return f == kQ3_K_L ? DType::Q4_K : type;
  if (experts_ == 8) {
    for (uint32_t bumped : {kQ2_K, kQ3_K_S, kQ3_K_M, kIQ4_NL, kQ4_K_S, kQ4_K_M, kIQ4_XS}) {
      if (f == bumped) return DType::Q5_K;
    }
    return type;
  }
  if (f == kQ2_K) return DType::Q3_K;
  if (f == kQ3_K_M) return DType::Q4_K;
  if (f == kQ3_K_L) return DType::Q5_K;
  return type;
}

}  // namespace medllm
