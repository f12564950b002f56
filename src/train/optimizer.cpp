#include "train/optimizer.hpp"

#include <cmath>

#include "core/error.hpp"

namespace medllm {

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

void AdamW::step(double lr) {
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
  for (size_t i = 0; i < parameters_.size(); ++i) {
    Parameter& p = *parameters_[i];
    const auto decay = static_cast<float>(1.0 - lr * (p.decay ? options_.weight_decay : 0.0));
    float* value = p.value.data();
    const float* grad = p.grad.data();
    float* m = m_[i].data();
    float* v = v_[i].data();
    for (size_t j = 0; j < p.value.size(); ++j) {
      value[j] *= decay;  // decoupled: decay the weight, not the gradient
      m[j] = beta1 * m[j] + one_minus_beta1 * grad[j];
      v[j] = beta2 * v[j] + one_minus_beta2 * grad[j] * grad[j];
      const float denominator = std::sqrt(v[j]) / bias_correction2_sqrt + eps;
      value[j] -= step_size * m[j] / denominator;
    }
  }
}

double global_grad_norm(const std::vector<Parameter*>& parameters) {
  double sum = 0.0;
  for (const Parameter* p : parameters) {
    for (const float g : p->grad) sum += static_cast<double>(g) * g;
  }
  return std::sqrt(sum);
}

double clip_grad_norm(const std::vector<Parameter*>& parameters, double max_norm) {
  const double norm = global_grad_norm(parameters);
  const double factor = max_norm / (norm + 1e-6);
  if (factor < 1.0) {
    const auto f = static_cast<float>(factor);
    for (Parameter* p : parameters) {
      for (float& g : p->grad) g *= f;
    }
  }
  return norm;
}

}  // namespace medllm
