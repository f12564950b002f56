#pragma once
// The one transformer forward (model/forward.hpp) as a trainable function over a batch of whole
// sequences, keeping each layer's activations, with hand-written backward passes. Full fine-tuning copies every weight
// to an f32 Parameter and trains all of them; LoRA freezes the base where it lies (any dtype, memory-mapped) and trains
// low-rank adapters on the chosen projections, as PEFT does.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <medllm/config.hpp>
#include "core/thread_pool.hpp"
#include "model/forward.hpp"
#include "model/parameter.hpp"
#include "model/trainable_linear.hpp"
#include "model/weights.hpp"

namespace medllm {

struct LoraOptions {
  int64_t rank = 8;
  float alpha = 16.0f;
  float dropout = 0.0f;
  bool rslora = false;  // scale alpha / sqrt(rank) instead of alpha / rank
  std::vector<std::string> target_modules = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                                             "gate_proj", "up_proj", "down_proj"};
  float scale() const;
};

struct LossSum {
  double sum = 0.0;    // Σ of per-token cross-entropies
  int64_t tokens = 0;  // tokens scored (targets ≥ 0)
};

class TrainableTransformer {
 public:
  // Full fine-tuning: every weight becomes a trained f32 Parameter.
  TrainableTransformer(const ModelConfig& config, const ModelWeights& weights);
  // LoRA on a frozen base (weights must outlive this object). Adapters start as PEFT's do:
  // A Kaiming-uniform (bound 1/sqrt(in)), B zero, drawn from seed.
  TrainableTransformer(const ModelConfig& config, const ModelWeights& weights, const LoraOptions& lora, uint64_t seed);
  ~TrainableTransformer();

  const ModelConfig& config() const { return config_; }
  bool lora() const { return lora_.has_value(); }
  const LoraOptions& lora_options() const { return *lora_; }

  // Every parameter (frozen ones included), in a fixed order; trained ones have a gradient.
  const std::vector<std::unique_ptr<Parameter>>& parameters() const { return parameters_; }
  std::vector<Parameter*> trainable_parameters() const;
  Parameter* find(const std::string& name) const;  // null if absent
  void zero_grad();
  // Activation recomputation (transformers' gradient_checkpointing): the forward keeps only each
  // layer's input and the backward runs the layer again; about a third more compute for memory
  // that no longer grows with the layer count. Gradients are bit-identical either way.
  void set_recompute_activations(bool on) { recompute_activations_ = on; }

  // tokens, targets: [batch, seq] row-major; token i of a row sits at position i and a target
  // < 0 is not scored. Adds grad_scale · ∂(Σ token losses)/∂θ to the gradients: pass
  // 1 / (tokens scored in the whole optimizer step) for the mean loss over accumulated batches.
  // dropout_seed selects the LoRA dropout masks of this call.
  LossSum forward_backward(std::span<const int32_t> tokens, std::span<const int32_t> targets, int64_t batch,
                           float grad_scale, uint64_t dropout_seed, ThreadPool& pool);
  // The logits of every token ([batch·seq × vocab]), for checking exports against this model.
  std::vector<float> logits(std::span<const int32_t> tokens, int64_t batch, ThreadPool& pool) const;
  // The losses only (held-out evaluation: no dropout, no gradients).
  LossSum loss(std::span<const int32_t> tokens, std::span<const int32_t> targets, int64_t batch, ThreadPool& pool);

 private:
  struct Layer;
  struct Activations;
  class Policy;

  void build(const ModelWeights& weights, bool full);
  void add_lora(const LoraOptions& lora, uint64_t seed);
  Parameter* add_parameter(std::string name, Shape shape, std::vector<float> value, bool trainable, bool decay);
  Parameter* add_vector(std::string name, const std::vector<float>& value, bool trainable);
  void forward(std::span<const int32_t> tokens, int64_t batch, bool training, uint64_t dropout_seed, Activations& a,
               ThreadPool& pool) const;
  void backward(std::span<const int32_t> tokens, Activations& a, ThreadPool& pool);
  void feed_forward_backward(int64_t layer, Activations& a, ThreadPool& pool);
  void attention_backward(int64_t layer, Activations& a, ThreadPool& pool);
  // dx = ∂L/∂x of rms_norm(x; w), adding ∂L/∂w when w is trained.
  void norm_backward(const float* x, Parameter* w, int64_t rows, int64_t dim, const float* dy, float* dx) const;
  void check_batch(std::span<const int32_t> tokens, std::span<const int32_t> targets, int64_t batch) const;

  ModelConfig config_;
  TransformerForward forward_;  // reads config_
  std::optional<LoraOptions> lora_;
  std::vector<std::unique_ptr<Parameter>> parameters_;
  std::vector<Layer> layers_;
  TensorView embed_;                  // [vocab, hidden]
  Parameter* embed_param_ = nullptr;  // set when the embedding is trained
  TrainableLinear lm_head_;           // the embedding when tied
  Parameter* final_norm_ = nullptr;
  bool recompute_activations_ = false;
  Activations& workspace() const;
  mutable std::unique_ptr<Activations> workspace_;  // reused by every call; not thread-safe
};

}  // namespace medllm
