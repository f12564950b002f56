#pragma once
// y = x · Wᵀ + b (+ LoRA: scale · (dropout(x) · Aᵀ) · Bᵀ) for training, with its backward.
// W is either a trained f32 Parameter or a frozen base tensor in any dtype, used where it lies.

#include <cstdint>
#include <vector>

#include "core/tensor.hpp"
#include "core/thread_pool.hpp"
#include "model/parameter.hpp"

namespace medllm {

// What one forward through a LoRA linear keeps for its backward.
struct LoraActivations {
  std::vector<float> projected;      // dropout(x) · Aᵀ, [n, rank]
  std::vector<float> dropped_input;  // dropout(x), [n, in]; empty when dropout is off
  std::vector<uint8_t> kept;         // dropout mask, [n, in]
};

struct TrainableLinear {
  TensorView weight;                  // [out, in]
  Parameter* weight_param = nullptr;  // set when W itself is trained
  Parameter* bias = nullptr;          // optional; trained when it has a gradient
  Parameter* lora_a = nullptr;        // [rank, in]
  Parameter* lora_b = nullptr;        // [out, rank]
  float lora_scale = 0.0f;
  float lora_dropout = 0.0f;

  int64_t in() const { return weight.cols(); }
  int64_t out() const { return weight.rows(); }

  // y: [n, out]. dropout_seed picks this call's LoRA dropout mask.
  void forward(const float* x, int64_t n, float* y, LoraActivations& saved, uint64_t dropout_seed,
               ThreadPool& pool) const;
  // Adds the gradients of every trained tensor and writes (or, with accumulate, adds) dx.
  void backward(const float* x, const float* dy, int64_t n, float* dx, bool accumulate, const LoraActivations& saved,
                ThreadPool& pool) const;
};

}  // namespace medllm
