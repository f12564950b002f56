#pragma once
// The one strict reader of numbers written by people (flags, `--set` overrides, adapter scales):
// all of the text must be one decimal number of the target type, within the type's range and, for
// floating point, finite. "2e-3x", "3x", " 3", "0x10", "nan", "inf" and "1e999" are errors naming
// what was being read, never a silently different value.

#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "core/error.hpp"

namespace medllm {

// Reads all of `text` into `value`; returns "" or what is wrong ("'3x' is not an integer").
template <class T>
std::string read_number(std::string_view text, T& value) {
  static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>);
  const char* kind = std::is_integral_v<T> ? "an integer" : "a number";
  if constexpr (std::is_unsigned_v<T>) {
    if (text.starts_with('-')) return fmt::format("'{}' must not be negative", text);
  }
  const char* end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(text.data(), end, value);
  if (ec == std::errc::result_out_of_range) {
    return fmt::format("'{}' is out of range (from {} to {})", text, std::numeric_limits<T>::lowest(),
                       std::numeric_limits<T>::max());
  }
  if (text.empty() || ec != std::errc() || stop != end) return fmt::format("'{}' is not {}", text, kind);
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(value)) return fmt::format("'{}' is not a finite number", text);
  }
  return "";
}

// Reads all of `text` as a T; errors begin with `what` (an option or field).
template <class T>
T parse_number(std::string_view text, std::string_view what) {
  T value{};
  const std::string problem = read_number(text, value);
  if (!problem.empty()) fail("{}: {}", what, problem);
  return value;
}

}  // namespace medllm
