#include "model/weights.hpp"

#include <atomic>
#include <cmath>
#include <cstring>

#include "core/error.hpp"

namespace medllm {

namespace {

// Names of one layer's tensors: Hugging Face suffix after "<prefix>layers.<i>." and GGUF name
// after "blk.<i>.".
struct LayerTensor {
  const char* hf;
  const char* gguf;
};

constexpr LayerTensor kAttnNorm{"input_layernorm.weight", "attn_norm.weight"};
constexpr LayerTensor kQ{"self_attn.q_proj.weight", "attn_q.weight"};
constexpr LayerTensor kK{"self_attn.k_proj.weight", "attn_k.weight"};
constexpr LayerTensor kV{"self_attn.v_proj.weight", "attn_v.weight"};
constexpr LayerTensor kO{"self_attn.o_proj.weight", "attn_output.weight"};
constexpr LayerTensor kQBias{"self_attn.q_proj.bias", "attn_q.bias"};
constexpr LayerTensor kKBias{"self_attn.k_proj.bias", "attn_k.bias"};
constexpr LayerTensor kVBias{"self_attn.v_proj.bias", "attn_v.bias"};
constexpr LayerTensor kOBias{"self_attn.o_proj.bias", "attn_output.bias"};
constexpr LayerTensor kQNorm{"self_attn.q_norm.weight", "attn_q_norm.weight"};
constexpr LayerTensor kKNorm{"self_attn.k_norm.weight", "attn_k_norm.weight"};
// Llama-style models name their pre-FFN norm "post_attention_layernorm"; sandwich-norm models
// (Gemma 2/3) use that name for the norm after attention and add pre/post-feedforward norms.
constexpr LayerTensor kFfnNormPlain{"post_attention_layernorm.weight", "ffn_norm.weight"};
constexpr LayerTensor kPostAttnNorm{"post_attention_layernorm.weight", "post_attention_norm.weight"};
constexpr LayerTensor kFfnNormSandwich{"pre_feedforward_layernorm.weight", "ffn_norm.weight"};
constexpr LayerTensor kPostFfnNorm{"post_feedforward_layernorm.weight", "post_ffw_norm.weight"};
constexpr LayerTensor kGate{"mlp.gate_proj.weight", "ffn_gate.weight"};
constexpr LayerTensor kUp{"mlp.up_proj.weight", "ffn_up.weight"};
constexpr LayerTensor kDown{"mlp.down_proj.weight", "ffn_down.weight"};
constexpr LayerTensor kGateBias{"mlp.gate_proj.bias", "ffn_gate.bias"};
constexpr LayerTensor kUpBias{"mlp.up_proj.bias", "ffn_up.bias"};
constexpr LayerTensor kDownBias{"mlp.down_proj.bias", "ffn_down.bias"};

struct GlobalTensor {
  const char* hf;  // after the prefix, except lm_head which has none
  const char* gguf;
};
constexpr GlobalTensor kEmbed{"embed_tokens.weight", "token_embd.weight"};
constexpr GlobalTensor kFinalNorm{"norm.weight", "output_norm.weight"};
constexpr GlobalTensor kLmHead{"lm_head.weight", "output.weight"};

class Binder {
 public:
  Binder(const TensorStore& store, WeightLayout layout, std::string prefix, std::set<std::string>& used)
      : store_(store), layout_(layout), prefix_(std::move(prefix)), used_(used) {}

  std::string layer_name(int64_t layer, const LayerTensor& tensor) const {
    return layout_ == WeightLayout::Gguf ? fmt::format("blk.{}.{}", layer, tensor.gguf)
                                         : fmt::format("{}layers.{}.{}", prefix_, layer, tensor.hf);
  }
  std::string global_name(const GlobalTensor& tensor) const {
    if (layout_ == WeightLayout::Gguf) return tensor.gguf;
    if (&tensor == &kLmHead) return tensor.hf;
    return prefix_ + tensor.hf;
  }

  TensorView matrix(const std::string& name, int64_t rows, int64_t cols) {
    used_.insert(name);
    return store_.view(name, Shape{rows, cols});
  }
  std::vector<float> vector(const std::string& name, int64_t size) {
    used_.insert(name);
    const TensorView view = store_.view(name, Shape{size});
    std::vector<float> out(static_cast<size_t>(size));
    to_f32(view.dtype, view.data, out.data(), size);
    return out;
  }
  bool has(const std::string& name) const { return store_.contains(name); }

 private:
  const TensorStore& store_;
  WeightLayout layout_;
  std::string prefix_;
  std::set<std::string>& used_;
};

std::string pick_prefix(const ModelConfig& config, const TensorStore& store) {
  for (const auto& prefix : config.weight_prefixes) {
    if (store.contains(prefix + kEmbed.hf)) return prefix;
  }
  fail("no embedding tensor found (looked for {}{}{})", config.weight_prefixes.front(), kEmbed.hf,
       config.weight_prefixes.size() > 1 ? " and the other known prefixes" : "");
}

}  // namespace

ModelWeights bind_weights(ModelConfig& config, const TensorStore& store, WeightLayout layout) {
  ModelWeights weights;
  std::string prefix;
  if (layout == WeightLayout::HuggingFace) {
    prefix = pick_prefix(config, store);
    config.weight_prefixes = {prefix};
  }
  Binder bind(store, layout, prefix, weights.used_names);
  const int64_t hidden = config.hidden_size;
  const int64_t q_dim = config.num_heads * config.head_dim;
  const int64_t kv_dim = config.num_kv_heads * config.head_dim;
  const int64_t ffn = config.intermediate_size;

  weights.embed = bind.matrix(bind.global_name(kEmbed), config.vocab_size, hidden);
  weights.final_norm = bind.vector(bind.global_name(kFinalNorm), hidden);
  if (layout == WeightLayout::Gguf && !bind.has(bind.global_name(kLmHead))) config.tie_word_embeddings = true;
  weights.lm_head =
      config.tie_word_embeddings ? weights.embed : bind.matrix(bind.global_name(kLmHead), config.vocab_size, hidden);

  for (int64_t i = 0; i < config.num_layers; ++i) {
    LayerWeights layer;
    auto name = [&](const LayerTensor& tensor) { return bind.layer_name(i, tensor); };
    layer.attn_norm = bind.vector(name(kAttnNorm), hidden);
    layer.q = bind.matrix(name(kQ), q_dim, hidden);
    layer.k = bind.matrix(name(kK), kv_dim, hidden);
    layer.v = bind.matrix(name(kV), kv_dim, hidden);
    layer.o = bind.matrix(name(kO), hidden, q_dim);
    if (config.qkv_bias) {
      layer.q_bias = bind.vector(name(kQBias), q_dim);
      layer.k_bias = bind.vector(name(kKBias), kv_dim);
      layer.v_bias = bind.vector(name(kVBias), kv_dim);
    }
    if (config.o_bias) layer.o_bias = bind.vector(name(kOBias), hidden);
    if (config.qk_norm) {
      layer.q_norm = bind.vector(name(kQNorm), config.head_dim);
      layer.k_norm = bind.vector(name(kKNorm), config.head_dim);
    }
    if (config.sandwich_norms) {
      layer.post_attn_norm = bind.vector(name(kPostAttnNorm), hidden);
      layer.ffn_norm = bind.vector(name(kFfnNormSandwich), hidden);
      layer.post_ffn_norm = bind.vector(name(kPostFfnNorm), hidden);
    } else {
      layer.ffn_norm = bind.vector(name(kFfnNormPlain), hidden);
    }
    layer.gate = bind.matrix(name(kGate), ffn, hidden);
    layer.up = bind.matrix(name(kUp), ffn, hidden);
    layer.down = bind.matrix(name(kDown), hidden, ffn);
    if (config.mlp_bias) {
      layer.gate_bias = bind.vector(name(kGateBias), ffn);
      layer.up_bias = bind.vector(name(kUpBias), ffn);
      layer.down_bias = bind.vector(name(kDownBias), hidden);
    }
    weights.layers.push_back(std::move(layer));
  }
  return weights;
}

namespace {

bool row_finite(DType type, const std::byte* row, int64_t cols, std::vector<float>& scratch) {
  if (type == DType::Q8_0 || type == DType::Q4_0) {  // only the f16 scales can be non-finite
    const size_t block_bytes = dtype_info(type).block_bytes;
    const size_t bytes = dtype_bytes(type, cols);
    for (size_t offset = 0; offset < bytes; offset += block_bytes) {
      uint16_t scale;
      std::memcpy(&scale, row + offset, sizeof scale);
      if ((scale & 0x7c00u) == 0x7c00u) return false;
    }
    return true;
  }
  scratch.resize(static_cast<size_t>(cols));
  to_f32(type, row, scratch.data(), cols);
  float sum = 0.0f;  // NaN and inf turn the sum into NaN (inf * 0 is NaN)
  for (float v : scratch) sum += v * 0.0f;
  return sum == 0.0f;
}

}  // namespace

void check_finite(const ModelWeights& weights, const TensorStore& store, ThreadPool& pool) {
  for (const auto& name : weights.used_names) {
    const TensorEntry* entry = store.find(name);
    if (entry == nullptr || !entry->dtype) continue;
    const TensorView view{*entry->dtype, entry->shape, entry->data};
    std::atomic<bool> finite = true;
    pool.parallel_for(view.rows(), [&](int64_t begin, int64_t end) {
      std::vector<float> scratch;
      for (int64_t r = begin; r < end && finite.load(std::memory_order_relaxed); ++r) {
        if (!row_finite(view.dtype, view.row(r), view.cols(), scratch)) finite = false;
      }
    });
    if (!finite) fail("{}: tensor '{}' contains NaN or infinite values; the weights are corrupt", entry->file, name);
  }
}

}  // namespace medllm
