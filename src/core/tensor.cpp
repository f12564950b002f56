#include "core/tensor.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace medllm {

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_to_string(const Shape& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

}  // namespace medllm
