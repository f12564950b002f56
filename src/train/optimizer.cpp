#include "train/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

#include "core/error.hpp"

namespace medllm {

namespace {

constexpr int64_t kChunk = 65536;

// body(parameter index, begin, end) over every parameter's elements in fixed chunks.
void for_chunks(const std::vector<Parameter*>& parameters, ThreadPool* pool,
                const std::function<void(size_t, int64_t, int64_t)>& body) {
  std::vector<std::pair<size_t, int64_t>> chunks;  // (parameter, first element)
  for (size_t i = 0; i < parameters.size(); ++i) {
    for (int64_t first = 0; first < parameters[i]->numel(); first += kChunk) chunks.emplace_back(i, first);
  }
  const auto run = [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      const auto [i, first] = chunks[static_cast<size_t>(c)];
      body(i, first, std::min(parameters[i]->numel(), first + kChunk));
    }
  };
  if (pool != nullptr) {
    pool->parallel_for(static_cast<int64_t>(chunks.size()), run);
  } else {
    run(0, static_cast<int64_t>(chunks.size()));
  }
}

}  // namespace

AdamW::AdamW(std::vector<Parameter*> parameters, const AdamWOptions& options)
    : parameters_(std::move(parameters)), options_(options) {
  if (!(options.beta1 >= 0 && options.beta1 < 1)) fail("AdamW beta1 must be in [0, 1), got {}", options.beta1);
  if (!(options.beta2 >= 0 && options.beta2 < 1)) fail("AdamW beta2 must be in [0, 1), got {}", options.beta2);
  if (!(options.eps > 0)) fail("AdamW eps must be positive, got {}", options.eps);
  if (!(options.weight_decay >= 0)) fail("AdamW weight decay must be ≥ 0, got {}", options.weight_decay);
  for (const Parameter* p : parameters_) {
    if (!p->trainable()) fail("AdamW: parameter '{}' is frozen", p->name);
    m_.emplace_back(p->value.size(), 0.0f);
    v_.emplace_back(p->value.size(), 0.0f);
  }
}

void AdamW::step(double lr, ThreadPool* pool) {
  ++steps_;
  const double bias_correction1 = 1.0 - std::pow(options_.beta1, static_cast<double>(steps_));
  const double bias_correction2 = 1.0 - std::pow(options_.beta2, static_cast<double>(steps_));
  const auto step_size = static_cast<float>(lr / bias_correction1);
  const auto bias_correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
  const auto beta1 = static_cast<float>(options_.beta1);
  const auto one_minus_beta1 = static_cast<float>(1.0 - options_.beta1);
  const auto beta2 = static_cast<float>(options_.beta2);
  const auto one_minus_beta2 = static_cast<float>(1.0 - options_.beta2);
  const auto eps = static_cast<float>(options_.eps);
  for_chunks(parameters_, pool, [&](size_t i, int64_t begin, int64_t end) {
    Parameter& p = *parameters_[i];
    const auto decay = static_cast<float>(1.0 - lr * (p.decay ? options_.weight_decay : 0.0));
    float* value = p.value.data();
    const float* grad = p.grad.data();
    float* m = m_[i].data();
    float* v = v_[i].data();
    for (int64_t j = begin; j < end; ++j) {
      value[j] *= decay;  // decoupled: decay the weight, not the gradient
      m[j] = beta1 * m[j] + one_minus_beta1 * grad[j];
      v[j] = beta2 * v[j] + one_minus_beta2 * grad[j] * grad[j];
      const float denominator = std::sqrt(v[j]) / bias_correction2_sqrt + eps;
      value[j] -= step_size * m[j] / denominator;
    }
  });
}

double global_grad_norm(const std::vector<Parameter*>& parameters, ThreadPool* pool) {
  size_t chunks = 0;
  for (const Parameter* p : parameters) chunks += static_cast<size_t>((p->numel() + kChunk - 1) / kChunk);
  std::vector<double> partial(chunks, 0.0);
  std::vector<size_t> first_chunk(parameters.size() + 1, 0);
  for (size_t i = 0; i < parameters.size(); ++i)
    first_chunk[i + 1] = first_chunk[i] + static_cast<size_t>((parameters[i]->numel() + kChunk - 1) / kChunk);
  for_chunks(parameters, pool, [&](size_t i, int64_t begin, int64_t end) {
    double sum = 0.0;
    for (int64_t j = begin; j < end; ++j) sum += static_cast<double>(parameters[i]->grad[j]) * parameters[i]->grad[j];
    partial[first_chunk[i] + static_cast<size_t>(begin / kChunk)] = sum;
  });
  double total = 0.0;
  for (const double sum : partial) total += sum;
  return std::sqrt(total);
}

double clip_grad_norm(const std::vector<Parameter*>& parameters, double max_norm, ThreadPool* pool) {
  const double norm = global_grad_norm(parameters, pool);
  const double factor = max_norm / (norm + 1e-6);
  if (factor < 1.0) {
    const auto f = static_cast<float>(factor);
    for_chunks(parameters, pool, [&](size_t i, int64_t begin, int64_t end) {
      for (int64_t j = begin; j < end; ++j) parameters[i]->grad[j] *= f;
    });
  }
  return norm;
}

}  // namespace medllm
