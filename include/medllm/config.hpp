#pragma once
// One ModelConfig covers every supported family; families differ only by the feature flags
// below, read from a Hugging Face config.json or from GGUF metadata through one family table
// (src/model/config.cpp). The config is final once parsed.

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace medllm {

enum class Activation { Silu, GeluTanh, GeluErf };
enum class RopeScalingType { None, Linear, Llama3, Yarn };
// Hugging Face rotates the two halves of each head (neox style); llama.cpp's GGUF llama files
// permute q/k so that adjacent pairs rotate (the original Meta layout).
enum class RopeLayout { Halves, AdjacentPairs };

struct RopeConfig {
  double theta = 10000.0;
  RopeScalingType scaling = RopeScalingType::None;
  double factor = 1.0;
  // llama3
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  // llama3 and yarn
  int64_t original_max_position_embeddings = 0;
  // yarn
  double beta_fast = 32.0;
  double beta_slow = 1.0;
  double attention_factor = 1.0;  // multiplies cos and sin
  bool truncate = true;
};

struct LayerConfig {
  bool sliding = false;  // attends to the last sliding_window positions only
  RopeConfig rope;
};

struct ModelConfig {
  std::string model_type;    // "llama", "qwen2", "gemma3_text", ... ("llama" for GGUF llama)
  std::string architecture;  // first entry of "architectures", or the GGUF architecture
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;
  int64_t max_position_embeddings = 0;
  double rms_norm_eps = 1e-6;

  // Feature flags.
  bool qkv_bias = false;             // q/k/v projections have biases (Qwen2, Llama attention_bias)
  bool o_bias = false;               // o_proj has a bias (Llama attention_bias)
  bool mlp_bias = false;             // gate/up/down biases (Llama mlp_bias)
  bool qk_norm = false;              // RMSNorm over head_dim on q and k before rope (Qwen3, Gemma 3)
  bool norm_offset_one = false;      // RMSNorm weights are used as (1 + w) (Gemma)
  bool sandwich_norms = false;       // post-attention and post-feedforward norms (Gemma 2/3)
  bool tie_word_embeddings = false;  // lm_head shares the embedding matrix
  Activation activation = Activation::Silu;
  float embedding_scale = 1.0f;      // Gemma multiplies embeddings by sqrt(hidden_size)
  float attention_scale = 0.0f;      // scale of q·k; 1/sqrt(head_dim) or 1/sqrt(query_pre_attn_scalar)
  float attn_logit_softcap = 0.0f;   // 0: off; else scores = cap * tanh(scores / cap) (Gemma 2)
  float final_logit_softcap = 0.0f;  // same on the output logits
  int64_t sliding_window = 0;        // window of sliding layers (query sees i - window < j <= i)
  RopeLayout rope_layout = RopeLayout::Halves;
  std::vector<float> rope_freq_factors;  // GGUF rope_freqs: inv_freq[i] /= factor[i]
  std::vector<LayerConfig> layers;

  std::vector<int64_t> bos_token_ids;  // usually one
  std::vector<int64_t> eos_token_ids;  // generation stops at any of them

  // Prefix of the text model's weight names in HF checkpoints ("model." or, for multimodal
  // wrappers, "language_model.model." / "model.language_model."); empty for GGUF.
  std::string weight_prefix = "model.";

  // Checks the invariants the forward pass relies on; throws Error naming the field.
  void validate() const;
  // A JSON rendering for `medllm info` and result files.
  nlohmann::json to_json() const;
};

// Whether the weight files hold a tensor of this name: for what a config leaves to its files (which
// name prefix a multimodal wrapper's weights use; a GGUF file without output.weight has tied
// embeddings). Without it, the config takes the first prefix and untied embeddings.
using HasTensor = std::function<bool(const std::string& name)>;

// Parses a Hugging Face config.json (already read as JSON) into the final config. `source` names
// the file in errors.
ModelConfig config_from_hf(const nlohmann::json& config, const std::string& source, const HasTensor& has_tensor = {});

// Builds the final config from GGUF metadata (the architectures of the family table: llama,
// qwen2). The vocabulary size comes from the embedded tokenizer, else from embedding_rows (the
// token_embd tensor's rows).
ModelConfig config_from_gguf(const nlohmann::json& metadata, const std::string& source, int64_t embedding_rows,
                             const HasTensor& has_tensor = {});

// The llama.cpp architecture a family is written as in GGUF, with the q/k row layout llama.cpp
// expects there; nullopt for a family medllm does not read or write as GGUF.
struct GgufArchitecture {
  std::string name;  // general.architecture: "llama", "qwen2", ...
  RopeLayout rope_layout;
};
std::optional<GgufArchitecture> gguf_architecture_of(const std::string& model_type);
std::string gguf_architectures();  // "llama, qwen2, qwen3" for messages

// The rotary inverse frequencies of a layer (head_dim / 2 values), including rope scaling.
std::vector<float> rope_inverse_frequencies(const RopeConfig& rope, int64_t head_dim,
                                            const std::vector<float>& freq_factors);

}  // namespace medllm
