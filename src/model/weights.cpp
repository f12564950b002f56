#include "model/weights.hpp"

#include <atomic>
#include <cmath>
#include <cstring>

#include "core/error.hpp"

namespace medllm {

namespace {

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
    if (tensor.role == GlobalRole::LmHead) return tensor.hf;
    return prefix_ + tensor.hf;
  }

  TensorView matrix(const std::string& name, const Shape& shape) {
    used_.insert(name);
    return store_.view(name, shape);
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

}  // namespace

ModelWeights bind_weights(const ModelConfig& config, const TensorStore& store, WeightLayout layout) {
  ModelWeights weights;
  Binder bind(store, layout, layout == WeightLayout::HuggingFace ? config.weight_prefix : "", weights.used_names);
  const int64_t hidden = config.hidden_size;
  weights.embed = bind.matrix(bind.global_name(kEmbeddingTensor), Shape{config.vocab_size, hidden});
  weights.final_norm = bind.vector(bind.global_name(kFinalNormTensor), hidden);
  weights.lm_head = config.tie_word_embeddings
                        ? weights.embed
                        : bind.matrix(bind.global_name(kLmHeadTensor), Shape{config.vocab_size, hidden});

  const std::vector<LayerTensor> tensors = layer_tensors(config);
  for (int64_t i = 0; i < config.num_layers; ++i) {
    LayerWeights layer;
    for (const LayerTensor& tensor : tensors) {
      const std::string name = bind.layer_name(i, tensor);
      switch (tensor.kind) {
        case LayerTensor::Kind::Weight:
          layer.weight(tensor.projection) = bind.matrix(name, tensor.shape);
          break;
        case LayerTensor::Kind::Bias:
          layer.bias(tensor.projection) = bind.vector(name, tensor.shape[0]);
          break;
        case LayerTensor::Kind::NormWeight:
          layer.norm(tensor.norm) = bind.vector(name, tensor.shape[0]);
          break;
      }
    }
    weights.layers.push_back(std::move(layer));
  }
  return weights;
}

void check_finite(const ModelWeights& weights, const TensorStore& store, ThreadPool& pool) {
  for (const auto& name : weights.used_names) {
    const TensorEntry* entry = store.find(name);
    if (entry == nullptr || !entry->dtype) continue;
    const TensorView view{*entry->dtype, entry->shape, entry->data};
    std::atomic<bool> finite = true;
    pool.parallel_for(view.rows(), [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end && finite.load(std::memory_order_relaxed); ++r) {
        if (!all_finite(view.dtype, view.row(r), view.cols())) finite = false;
      }
    });
    if (!finite) fail("{}: tensor '{}' contains NaN or infinite values; the weights are corrupt", entry->file, name);
  }
}

}  // namespace medllm
