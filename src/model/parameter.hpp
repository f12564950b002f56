#pragma once
// A named f32 tensor that training reads and may update, with its gradient.

#include <string>
#include <vector>

#include "core/tensor.hpp"

namespace medllm {

struct Parameter {
  std::string name;  // the Hugging Face / PEFT name: "model.layers.0.mlp.up_proj.weight"
  Shape shape;
  std::vector<float> value;
  std::vector<float> grad;  // empty when the parameter is frozen
  bool decay = true;        // AdamW weight decay applies (matrices and embeddings, not norms or biases)

  bool trainable() const { return !grad.empty(); }
  int64_t numel() const { return shape_numel(shape); }
  TensorView view() const { return {DType::F32, shape, reinterpret_cast<const std::byte*>(value.data())}; }
};

}  // namespace medllm
