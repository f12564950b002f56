#include "kernels/attention.hpp"

#include <algorithm>
#include <vector>

#include "kernels/elementwise.hpp"

namespace medllm::kernels {

void attention(const float* q, const float* keys, const float* values, int64_t tokens, const QuerySlots* slots,
               const AttentionShape& shape, const AttentionOptions& options, float* out, ThreadPool& pool) {
  const int64_t group = shape.heads / shape.kv_heads;
  const int64_t kv_stride = shape.kv_heads * shape.head_dim;
  const int64_t hd = shape.head_dim;
  pool.parallel_for(tokens * shape.heads, [&](int64_t begin, int64_t end) {
    std::vector<float> scores;
    std::vector<int64_t> visible;  // the slots, in visiting order
    for (int64_t task = begin; task < end; ++task) {
      const int64_t t = task / shape.heads;
      const int64_t h = task % shape.heads;
      const int64_t kv = h / group;
      visible.clear();
      for (const SlotRange& range : slots[t].ranges) {
        for (int64_t slot = range.begin; slot < range.end; ++slot) visible.push_back(slot);
      }
      const auto count = static_cast<int64_t>(visible.size());
      const float* query = q + (t * shape.heads + h) * hd;
      scores.resize(static_cast<size_t>(count));
      for (int64_t j = 0; j < count; ++j) {
        const float* key = keys + visible[j] * kv_stride + kv * hd;
        float dot = 0.0f;
        for (int64_t i = 0; i < hd; ++i) dot += query[i] * key[i];
        scores[j] = dot * options.scale;
      }
      if (options.softcap > 0.0f) softcap(scores.data(), count, options.softcap);
      softmax(scores.data(), count);
      float* o = out + (t * shape.heads + h) * hd;
      std::fill(o, o + hd, 0.0f);
      for (int64_t j = 0; j < count; ++j) {
        const float* value = values + visible[j] * kv_stride + kv * hd;
        const float p = scores[j];
        for (int64_t i = 0; i < hd; ++i) o[i] += p * value[i];
      }
    }
  });
}

}  // namespace medllm::kernels
