#include "kernels/attention_training.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/elementwise.hpp"
#include "kernels/sgemm_tiles.hpp"

namespace medllm::kernels {

namespace {

// Queries per block: the scores of a block ([block × visible keys]) are the only buffer that
// grows with the sequence, linearly.
constexpr int64_t kQueryBlock = 64;

// One (sequence, head) view of the packed [tokens, heads, head_dim] layout.
struct HeadView {
  const float* q;  // first query of the sequence for this head; rows are `q_stride` apart
  const float* k;
  const float* v;
  int64_t q_stride, kv_stride, head_dim;
};

// The visible keys of the query block [first, end): [lowest, end), where lowest is the first key
// any query of the block may see; keys a query may not see are masked in the block.
int64_t lowest_key(int64_t first_query, int64_t window) {
  return window > 0 ? std::max<int64_t>(0, first_query - window + 1) : 0;
}

bool visible(int64_t query, int64_t key, int64_t window) {
  return key <= query && (window <= 0 || key > query - window);
}

// scores[r][c] = capped(scale · q_{first+r} · k_{lowest+c}) for visible pairs, -inf otherwise.
void block_scores(const HeadView& h, int64_t first, int64_t rows, int64_t lowest, int64_t cols, int64_t window,
                  const AttentionOptions& options, float* scores) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows), static_cast<int>(cols),
              static_cast<int>(h.head_dim), options.scale, h.q + first * h.q_stride, static_cast<int>(h.q_stride),
              h.k + lowest * h.kv_stride, static_cast<int>(h.kv_stride), 0.0f, scores, static_cast<int>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    float* row = scores + r * cols;
    for (int64_t c = 0; c < cols; ++c) {
      if (!visible(first + r, lowest + c, window)) {
        row[c] = -std::numeric_limits<float>::infinity();
      } else if (options.softcap > 0.0f) {
        row[c] = options.softcap * std::tanh(row[c] / options.softcap);
      }
    }
  }
}

}  // namespace

void causal_attention_forward(const float* q, const float* k, const float* v, const CausalAttentionShape& shape,
                              const AttentionOptions& options, float* out, float* lse, ThreadPool& pool) {
  blas_single_threaded();
  const int64_t heads = shape.heads.heads;
  const int64_t hd = shape.heads.head_dim;
  const int64_t group = heads / shape.heads.kv_heads;
  const int64_t kv_stride = shape.heads.kv_heads * hd;
  const int64_t q_stride = heads * hd;
  pool.parallel_for(shape.batch * heads, [&](int64_t begin, int64_t end) {
    std::vector<float> scores(static_cast<size_t>(kQueryBlock * shape.seq));
    for (int64_t task = begin; task < end; ++task) {
      const int64_t b = task / heads;
      const int64_t h = task % heads;
      const int64_t base = b * shape.seq;
      const HeadView view{q + base * q_stride + h * hd,
                          k + base * kv_stride + (h / group) * hd,
                          v + base * kv_stride + (h / group) * hd,
                          q_stride,
                          kv_stride,
                          hd};
      for (int64_t first = 0; first < shape.seq; first += kQueryBlock) {
        const int64_t rows = std::min(kQueryBlock, shape.seq - first);
        const int64_t lowest = lowest_key(first, shape.window);
        const int64_t cols = first + rows - lowest;
        block_scores(view, first, rows, lowest, cols, shape.window, options, scores.data());
        for (int64_t r = 0; r < rows; ++r) {
          lse[(base + first + r) * heads + h] = softmax(scores.data() + r * cols, cols);
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(rows), static_cast<int>(hd),
                    static_cast<int>(cols), 1.0f, scores.data(), static_cast<int>(cols), view.v + lowest * kv_stride,
                    static_cast<int>(kv_stride), 0.0f, out + (base + first) * q_stride + h * hd,
                    static_cast<int>(q_stride));
      }
    }
  });
}

void causal_attention_backward(const float* q, const float* k, const float* v, const float* out, const float* lse,
                               const float* dout, const CausalAttentionShape& shape, const AttentionOptions& options,
                               float* dq, float* dk, float* dv, ThreadPool& pool) {
  blas_single_threaded();
  const int64_t heads = shape.heads.heads;
  const int64_t kv_heads = shape.heads.kv_heads;
  const int64_t hd = shape.heads.head_dim;
  const int64_t group = heads / kv_heads;
  const int64_t kv_stride = kv_heads * hd;
  const int64_t q_stride = heads * hd;
  pool.parallel_for(shape.batch * kv_heads, [&](int64_t begin, int64_t end) {
    std::vector<float> probs(static_cast<size_t>(kQueryBlock * shape.seq));
    std::vector<float> grads(static_cast<size_t>(kQueryBlock * shape.seq));
    for (int64_t task = begin; task < end; ++task) {
      const int64_t b = task / kv_heads;
      const int64_t kvh = task % kv_heads;
      const int64_t base = b * shape.seq;
      float* key_grads = dk + base * kv_stride + kvh * hd;
      float* value_grads = dv + base * kv_stride + kvh * hd;
      for (int64_t j = 0; j < shape.seq; ++j) {
        std::fill(key_grads + j * kv_stride, key_grads + j * kv_stride + hd, 0.0f);
        std::fill(value_grads + j * kv_stride, value_grads + j * kv_stride + hd, 0.0f);
      }
      for (int64_t h = kvh * group; h < (kvh + 1) * group; ++h) {
        const HeadView view{q + base * q_stride + h * hd,
                            k + base * kv_stride + kvh * hd,
                            v + base * kv_stride + kvh * hd,
                            q_stride,
                            kv_stride,
                            hd};
        const float* grad_out = dout + base * q_stride + h * hd;
        const float* o = out + base * q_stride + h * hd;
        float* grad_q = dq + base * q_stride + h * hd;
        for (int64_t first = 0; first < shape.seq; first += kQueryBlock) {
          const int64_t rows = std::min(kQueryBlock, shape.seq - first);
          const int64_t lowest = lowest_key(first, shape.window);
          const int64_t cols = first + rows - lowest;
          // P from the capped scores and the saved log Σ exp.
          block_scores(view, first, rows, lowest, cols, shape.window, options, probs.data());
          // dP = dO · Vᵀ
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows), static_cast<int>(cols),
                      static_cast<int>(hd), 1.0f, grad_out + first * q_stride, static_cast<int>(q_stride),
                      view.v + lowest * kv_stride, static_cast<int>(kv_stride), 0.0f, grads.data(),
                      static_cast<int>(cols));
          for (int64_t r = 0; r < rows; ++r) {
            const int64_t query = first + r;
            const float row_lse = lse[(base + query) * heads + h];
            float dout_dot_out = 0.0f;
            for (int64_t d = 0; d < hd; ++d) dout_dot_out += grad_out[query * q_stride + d] * o[query * q_stride + d];
            float* p = probs.data() + r * cols;
            float* g = grads.data() + r * cols;
            for (int64_t c = 0; c < cols; ++c) {
              const float capped = p[c];
              const float prob = std::isinf(capped) ? 0.0f : std::exp(capped - row_lse);
              // ∂L/∂score = p (dP − dO·O), through the soft-cap, times the scale of q·k.
              float ds = prob * (g[c] - dout_dot_out);
              if (options.softcap > 0.0f && prob != 0.0f) {
                const float t = capped / options.softcap;
                ds *= 1.0f - t * t;
              }
              p[c] = prob;
              g[c] = ds * options.scale;
            }
          }
          // dQ = dS · K,  dK += dSᵀ · Q,  dV += Pᵀ · dO
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(rows), static_cast<int>(hd),
                      static_cast<int>(cols), 1.0f, grads.data(), static_cast<int>(cols), view.k + lowest * kv_stride,
                      static_cast<int>(kv_stride), 0.0f, grad_q + first * q_stride, static_cast<int>(q_stride));
          cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(cols), static_cast<int>(hd),
                      static_cast<int>(rows), 1.0f, grads.data(), static_cast<int>(cols), view.q + first * q_stride,
                      static_cast<int>(q_stride), 1.0f, key_grads + lowest * kv_stride, static_cast<int>(kv_stride));
          cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(cols), static_cast<int>(hd),
                      static_cast<int>(rows), 1.0f, probs.data(), static_cast<int>(cols), grad_out + first * q_stride,
                      static_cast<int>(q_stride), 1.0f, value_grads + lowest * kv_stride, static_cast<int>(kv_stride));
        }
      }
    }
  });
}

}  // namespace medllm::kernels
