#pragma once
// The one table of a model's tensors. For every weight a family has, it gives the role
// (projection, bias or norm), the Hugging Face and GGUF names, the shape, and whether its rows
// are q/k heads in a rope layout. Binding, `medllm info`'s "used" column, named weights (export,
// checkpoints, LoRA merging) and LoRA targets all read it, so adding a tensor is one row here.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <medllm/config.hpp>
#include "core/tensor.hpp"

namespace medllm {

// The linear maps of a block, in the order of the forward.
enum class Projection : uint8_t { Q, K, V, O, Gate, Up, Down };
inline constexpr size_t kProjectionCount = 7;
inline constexpr std::array<Projection, kProjectionCount> kProjections = {
    Projection::Q, Projection::K, Projection::V, Projection::O, Projection::Gate, Projection::Up, Projection::Down};

// The RMSNorms of a block.
enum class Norm : uint8_t { Attention, Query, Key, PostAttention, FeedForward, PostFeedForward };
inline constexpr size_t kNormCount = 6;

constexpr size_t index(Projection p) {
  return static_cast<size_t>(p);
}
constexpr size_t index(Norm n) {
  return static_cast<size_t>(n);
}

// The Hugging Face module name of a projection ("q_proj"), as PEFT's target_modules spell it.
std::string_view projection_module(Projection p);
std::optional<Projection> projection_from_module(std::string_view module);
std::string known_projection_modules();  // "q_proj k_proj ..." for error messages
// Its module path within a Hugging Face layer ("self_attn.q_proj").
std::string_view projection_path(Projection p);

// One tensor of a layer.
struct LayerTensor {
  enum class Kind : uint8_t { Weight, Bias, NormWeight };
  Kind kind;
  Projection projection = Projection::Q;  // Weight and Bias
  Norm norm = Norm::Attention;            // NormWeight
  std::string hf;                         // after "<prefix>layers.<i>."
  std::string gguf;                       // after "blk.<i>."
  Shape shape;
  int64_t rope_heads = 0;  // > 0: the rows are this many q/k heads, ordered by the rope layout
};

// Every tensor of one layer of this config, in a fixed order (the order of named weights, so
// of checkpoints and of the optimizer's parameters).
std::vector<LayerTensor> layer_tensors(const ModelConfig& config);

// The tensors outside the layers.
enum class GlobalRole : uint8_t { Embedding, FinalNorm, LmHead };
struct GlobalTensor {
  GlobalRole role;
  const char* hf;  // after the prefix ("model."), except lm_head, which has none
  const char* gguf;
};
inline constexpr GlobalTensor kEmbeddingTensor{GlobalRole::Embedding, "embed_tokens.weight", "token_embd.weight"};
inline constexpr GlobalTensor kFinalNormTensor{GlobalRole::FinalNorm, "norm.weight", "output_norm.weight"};
inline constexpr GlobalTensor kLmHeadTensor{GlobalRole::LmHead, "lm_head.weight", "output.weight"};

}  // namespace medllm
