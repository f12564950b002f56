#pragma once
// AdamW with decoupled weight decay (Loshchilov & Hutter), as torch.optim.AdamW computes it,
// and gradient clipping by global norm (torch.nn.utils.clip_grad_norm_).

#include <cstdint>
#include <vector>

#include "core/thread_pool.hpp"
#include "model/parameter.hpp"

namespace medllm {

struct AdamWOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  // applied to parameters with decay = true only
};

class AdamW {
 public:
  AdamW(std::vector<Parameter*> parameters, const AdamWOptions& options);

  // One update of every parameter from its current gradient, at learning rate lr. Element-wise,
  // so spreading it over a pool changes no result.
  void step(double lr, ThreadPool* pool = nullptr);

  int64_t steps() const { return steps_; }
  const AdamWOptions& options() const { return options_; }
  const std::vector<Parameter*>& parameters() const { return parameters_; }
  // Moments per parameter, in the order given, for checkpoints.
  std::vector<std::vector<float>>& first_moments() { return m_; }
  std::vector<std::vector<float>>& second_moments() { return v_; }
  void set_steps(int64_t steps) { steps_ = steps; }

 private:
  std::vector<Parameter*> parameters_;
  AdamWOptions options_;
  std::vector<std::vector<float>> m_, v_;
  int64_t steps_ = 0;
};

// The L2 norm of all gradients together: squares summed in double per fixed chunk, chunks in
// order, so the result does not depend on the pool.
double global_grad_norm(const std::vector<Parameter*>& parameters, ThreadPool* pool = nullptr);

// Scales the gradients so their global norm is at most max_norm (clip_grad_norm_'s rule:
// factor max_norm / (norm + 1e-6), capped at 1). Returns the norm before clipping.
double clip_grad_norm(const std::vector<Parameter*>& parameters, double max_norm, ThreadPool* pool = nullptr);

}  // namespace medllm
