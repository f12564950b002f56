#include "kernels/attention_training.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace medllm::kernels {

namespace {

float dot(const float* a, const float* b, int64_t n) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

int64_t first_visible(int64_t query, int64_t window) {
  return window > 0 ? std::max<int64_t>(0, query - window + 1) : 0;
}

// The scaled, soft-capped scores of one query over keys [first, query].
void scores_of(const float* query, const float* keys, int64_t key_stride, int64_t first, int64_t last, int64_t head_dim,
               const AttentionOptions& options, float* scores) {
  for (int64_t j = first; j <= last; ++j) {
    float s = dot(query, keys + j * key_stride, head_dim) * options.scale;
    if (options.softcap > 0.0f) s = options.softcap * std::tanh(s / options.softcap);
    scores[j - first] = s;
  }
}

}  // namespace

void causal_attention_forward(const float* q, const float* k, const float* v, const CausalAttentionShape& shape,
                              const AttentionOptions& options, float* out, float* lse, ThreadPool& pool) {
  const int64_t heads = shape.heads.heads;
  const int64_t hd = shape.heads.head_dim;
  const int64_t group = heads / shape.heads.kv_heads;
  const int64_t kv_stride = shape.heads.kv_heads * hd;
  pool.parallel_for(shape.batch * heads, [&](int64_t begin, int64_t end) {
    std::vector<float> scores(static_cast<size_t>(shape.seq));
    for (int64_t task = begin; task < end; ++task) {
      const int64_t b = task / heads;
      const int64_t h = task % heads;
      const int64_t base = b * shape.seq;
      const float* keys = k + base * kv_stride + (h / group) * hd;
      const float* values = v + base * kv_stride + (h / group) * hd;
      for (int64_t i = 0; i < shape.seq; ++i) {
        const int64_t row = (base + i) * heads + h;
        const int64_t first = first_visible(i, shape.window);
        const int64_t count = i - first + 1;
        scores_of(q + row * hd, keys, kv_stride, first, i, hd, options, scores.data());
        const float max = *std::max_element(scores.begin(), scores.begin() + count);
        double sum = 0.0;
        for (int64_t j = 0; j < count; ++j) {
          scores[j] = std::exp(scores[j] - max);
          sum += scores[j];
        }
        const float inverse = static_cast<float>(1.0 / sum);
        lse[row] = max + static_cast<float>(std::log(sum));
        float* o = out + row * hd;
        std::fill(o, o + hd, 0.0f);
        for (int64_t j = 0; j < count; ++j) {
          const float p = scores[j] * inverse;
          const float* value = values + (first + j) * kv_stride;
          for (int64_t d = 0; d < hd; ++d) o[d] += p * value[d];
        }
      }
    }
  });
}

void causal_attention_backward(const float* q, const float* k, const float* v, const float* out, const float* lse,
                               const float* dout, const CausalAttentionShape& shape, const AttentionOptions& options,
                               float* dq, float* dk, float* dv, ThreadPool& pool) {
  const int64_t heads = shape.heads.heads;
  const int64_t kv_heads = shape.heads.kv_heads;
  const int64_t hd = shape.heads.head_dim;
  const int64_t group = heads / kv_heads;
  const int64_t kv_stride = kv_heads * hd;
  pool.parallel_for(shape.batch * kv_heads, [&](int64_t begin, int64_t end) {
    std::vector<float> scores(static_cast<size_t>(shape.seq));
    for (int64_t task = begin; task < end; ++task) {
      const int64_t b = task / kv_heads;
      const int64_t kvh = task % kv_heads;
      const int64_t base = b * shape.seq;
      const float* keys = k + base * kv_stride + kvh * hd;
      const float* values = v + base * kv_stride + kvh * hd;
      float* key_grads = dk + base * kv_stride + kvh * hd;
      float* value_grads = dv + base * kv_stride + kvh * hd;
      for (int64_t j = 0; j < shape.seq; ++j) {
        std::fill(key_grads + j * kv_stride, key_grads + j * kv_stride + hd, 0.0f);
        std::fill(value_grads + j * kv_stride, value_grads + j * kv_stride + hd, 0.0f);
      }
      for (int64_t h = kvh * group; h < (kvh + 1) * group; ++h) {
        for (int64_t i = 0; i < shape.seq; ++i) {
          const int64_t row = (base + i) * heads + h;
          const float* query = q + row * hd;
          const float* grad_out = dout + row * hd;
          float* grad_query = dq + row * hd;
          std::fill(grad_query, grad_query + hd, 0.0f);
          const int64_t first = first_visible(i, shape.window);
          scores_of(query, keys, kv_stride, first, i, hd, options, scores.data());
          // ∂L/∂score_j = p_j (dout·v_j − dout·out), then through the soft-cap.
          const float dout_dot_out = dot(grad_out, out + row * hd, hd);
          for (int64_t j = first; j <= i; ++j) {
            const float capped = scores[j - first];
            const float p = std::exp(capped - lse[row]);
            const float* value = values + j * kv_stride;
            float ds = p * (dot(grad_out, value, hd) - dout_dot_out);
            if (options.softcap > 0.0f) {
              const float t = capped / options.softcap;
              ds *= 1.0f - t * t;
            }
            const float g = ds * options.scale;
            const float* key = keys + j * kv_stride;
            float* key_grad = key_grads + j * kv_stride;
            float* value_grad = value_grads + j * kv_stride;
            for (int64_t d = 0; d < hd; ++d) {
              grad_query[d] += g * key[d];
              key_grad[d] += g * query[d];
              value_grad[d] += p * grad_out[d];
            }
          }
        }
      }
    }
  });
}

}  // namespace medllm::kernels
