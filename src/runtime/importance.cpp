#include "runtime/importance.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "core/error.hpp"
#include "formats/gguf_writer.hpp"
#include "model/model_state.hpp"
#include "model/weight_table.hpp"

namespace medllm {

namespace {

// GGUF names of each layer's projection weights: names[layer][projection].
std::vector<std::array<std::string, kProjectionCount>> projection_names(const ModelConfig& config) {
  std::vector<std::array<std::string, kProjectionCount>> names(static_cast<size_t>(config.num_layers));
  for (const LayerTensor& tensor : layer_tensors(config)) {
    if (tensor.kind != LayerTensor::Kind::Weight) continue;
    for (int64_t l = 0; l < config.num_layers; ++l) {
      names[static_cast<size_t>(l)][index(tensor.projection)] = fmt::format("blk.{}.{}", l, tensor.gguf);
    }
  }
  return names;
}

// Clears the transformer's observer however the collection ends.
struct ObserverGuard {
  Transformer& transformer;
  ~ObserverGuard() { transformer.set_projection_observer({}); }
};

}  // namespace

ImportanceMatrix collect_importance(const Model& model, std::span<const int32_t> tokens,
                                    const ImportanceOptions& options) {
  const ModelState& impl = model_state(model);
  const ModelConfig& config = impl.config;
  if (options.chunk_size < 2) fail("imatrix: the chunk size must be at least 2 tokens, not {}", options.chunk_size);
  int64_t chunks = static_cast<int64_t>(tokens.size()) / options.chunk_size;
  if (options.max_chunks > 0) chunks = std::min(chunks, options.max_chunks);
  if (chunks == 0) {
    fail("imatrix: the text has {} tokens, fewer than one chunk of {} (lower -c)", tokens.size(), options.chunk_size);
  }
  ImportanceMatrix matrix;
  matrix.chunk_size = options.chunk_size;
  const auto names = projection_names(config);
  Transformer& transformer = *impl.transformer;
  const ObserverGuard guard{transformer};
  transformer.set_projection_observer([&](int64_t layer, Projection which, const float* x, int64_t n) {
    ImportanceMatrix::Entry& entry = matrix.entries[names[static_cast<size_t>(layer)][index(which)]];
    const auto columns = static_cast<int64_t>(impl.weights.layers[layer].weight(which).cols());
    entry.sums.resize(static_cast<size_t>(columns), 0.0);
    for (int64_t t = 0; t < n; ++t) {
      const float* row = x + t * columns;
      for (int64_t j = 0; j < columns; ++j) entry.sums[j] += static_cast<double>(row[j]) * row[j];
    }
    entry.count += n;
  });
  KVCache cache(config.num_layers, config.num_kv_heads * config.head_dim);
  ForwardScratch scratch;
  std::vector<float> logits(static_cast<size_t>(config.vocab_size));
  std::vector<int32_t> chunk(static_cast<size_t>(options.chunk_size));
  for (int64_t c = 0; c < chunks; ++c) {
    std::copy_n(tokens.begin() + c * options.chunk_size, options.chunk_size, chunk.begin());
    if (options.bos) chunk.front() = *options.bos;
    cache.positions = 0;
    transformer.forward(chunk, cache, scratch, *impl.pool, LogitsFor::Last, logits.data());
    matrix.chunks = c + 1;
    if (options.progress) options.progress(c + 1, chunks);
  }
  return matrix;
}

void write_importance_gguf(const ImportanceMatrix& matrix, const std::string& path) {
  GgufWriter writer;
  writer.add_string("general.type", "imatrix");
  writer.add_string_array("imatrix.datasets", matrix.datasets);
  writer.add_u32("imatrix.chunk_count", static_cast<uint32_t>(matrix.chunks));
  writer.add_u32("imatrix.chunk_size", static_cast<uint32_t>(matrix.chunk_size));
  std::vector<std::vector<float>> buffers;  // alive until the writer has written them
  buffers.reserve(2 * matrix.entries.size());
  const auto add = [&](const std::string& name, std::vector<float> values) {
    buffers.push_back(std::move(values));
    const std::vector<float>& stored = buffers.back();
    writer.add_tensor(name, DType::F32, Shape{1, static_cast<int64_t>(stored.size())},
                      std::as_bytes(std::span(stored)));
  };
  for (const auto& [name, entry] : matrix.entries) {
    add(name + ".in_sum2", std::vector<float>(entry.sums.begin(), entry.sums.end()));
    add(name + ".counts", {static_cast<float>(entry.count)});
  }
  writer.write(path);
}

}  // namespace medllm
