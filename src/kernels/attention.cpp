#include "kernels/attention.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/elementwise.hpp"
#include "kernels/simd/target.hpp"

namespace medllm::kernels {

namespace {  // the kernel sets keep internal linkage

#define MEDLLM_SIMD_KERNELS "kernels/simd/attention.inl"
#include "kernels/simd/kernel_sets.inl"

}  // namespace

void attention(const float* q, const float* keys, const float* values, int64_t tokens, const QuerySlots* slots,
               const AttentionShape& shape, const AttentionOptions& options, float* out, ThreadPool& pool) {
  const int64_t group = shape.heads / shape.kv_heads;
  const int64_t kv_stride = shape.kv_heads * shape.head_dim;
  const int64_t hd = shape.head_dim;
  pool.parallel_for(tokens * shape.heads, [&](int64_t begin, int64_t end) {
    std::vector<float> scores;
    std::vector<int64_t> visible;  // the slots, in visiting order
    for (int64_t task = begin; task < end; ++task) {
      // Head by head: one head's keys and values (a few hundred KiB for a long prompt) stay in L2
      // while its queries visit them, where token by token would stream the layer's whole cache
      // once per token.
      const int64_t h = task / tokens;
      const int64_t t = task % tokens;
      const int64_t kv = h / group;
      visible.clear();
      for (const SlotRange& range : slots[t].ranges) {
        for (int64_t slot = range.begin; slot < range.end; ++slot) visible.push_back(slot);
      }
      const auto count = static_cast<int64_t>(visible.size());
      const float* query = q + (t * shape.heads + h) * hd;
      scores.resize(static_cast<size_t>(count));
      MEDLLM_SIMD_CALL(attention_scores, query, keys + kv * hd, visible.data(), count, kv_stride, hd, options.scale,
                       scores.data());
      if (options.softcap > 0.0f) softcap(scores.data(), count, options.softcap);
      softmax(scores.data(), count);
      MEDLLM_SIMD_CALL(attention_values, scores.data(), values + kv * hd, visible.data(), count, kv_stride, hd,
                       out + (t * shape.heads + h) * hd);
    }
  });
}

}  // namespace medllm::kernels
