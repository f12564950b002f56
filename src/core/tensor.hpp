#pragma once
// A non-owning view of a contiguous row-major tensor: dtype, shape and a pointer.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/dtype.hpp"

namespace medllm {

using Shape = std::vector<int64_t>;

int64_t shape_numel(const Shape& shape);
std::string shape_to_string(const Shape& shape);  // "[4096, 32000]"

struct TensorView {
  DType dtype = DType::F32;
  Shape shape;  // outermost first; matrices are [rows, cols] = [out_features, in_features]
  const std::byte* data = nullptr;

  int64_t numel() const { return shape_numel(shape); }
  size_t nbytes() const { return dtype_bytes(dtype, numel()); }
  int64_t cols() const { return shape.empty() ? 1 : shape.back(); }
  int64_t rows() const { return cols() == 0 ? 0 : numel() / cols(); }
  size_t row_bytes() const { return dtype_bytes(dtype, cols()); }
  const std::byte* row(int64_t r) const { return data + static_cast<size_t>(r) * row_bytes(); }
  explicit operator bool() const { return data != nullptr; }
};

}  // namespace medllm
