#pragma once
// Reading the fields of a JSON object, with errors in one style that name where the object came
// from (a file and line, a JSON path) and the field:
//   "{where}: field '{key}' is missing"
//   "{where}: field '{key}' must be a string, got 5"
// An optional field that is null counts as absent (Hugging Face files write null for "not set");
// a required field that is null is a value of the wrong type. Values are quoted in messages as
// json_for_message writes them.

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/json_file.hpp"

namespace medllm {

// "{where}: field '{key}'", the subject of every message about a field.
std::string field_name(std::string_view where, std::string_view key);

// "{subject} must be {expected}, got {value}": the one wording for a value of the wrong kind.
[[noreturn]] void fail_value(std::string_view subject, std::string_view expected, const nlohmann::json& value);

// `value` as a T, which it must fit (a uint64 seed and an int32 count alike).
template <class T>
T integer_value(const nlohmann::json& value, std::string_view subject) {
  constexpr auto lo = std::numeric_limits<T>::min();
  constexpr auto hi = std::numeric_limits<T>::max();
  if (!value.is_number_integer()) fail_value(subject, "an integer", value);
  const bool fits = value.is_number_unsigned() ? std::cmp_less_equal(value.get<uint64_t>(), hi)
                                               : std::in_range<T>(value.get<int64_t>());
  if (!fits) fail_value(subject, fmt::format("an integer from {} to {}", lo, hi), value);
  return value.is_number_unsigned() ? static_cast<T>(value.get<uint64_t>()) : static_cast<T>(value.get<int64_t>());
}

// The checks of the field readers below, for a value that is no object's field (an array's
// element); `subject` as field_name writes it.
const std::string& string_value(const nlohmann::json& value, std::string_view subject);
const std::string& text_value(const nlohmann::json& value, std::string_view subject);  // not blank

// The field's value; an Error when `object` is not an object or has no such field.
const nlohmann::json& required_field(const nlohmann::json& object, std::string_view key, std::string_view where);
// The field's value, or nullptr when it is absent or null.
const nlohmann::json* optional_field(const nlohmann::json& object, std::string_view key, std::string_view where);

const std::string& required_string(const nlohmann::json& object, std::string_view key, std::string_view where);
// A string with more than ASCII whitespace in it (a question, an id).
const std::string& required_text(const nlohmann::json& object, std::string_view key, std::string_view where);
std::optional<std::string> optional_string(const nlohmann::json& object, std::string_view key, std::string_view where);
bool required_bool(const nlohmann::json& object, std::string_view key, std::string_view where);
bool optional_bool(const nlohmann::json& object, std::string_view key, std::string_view where, bool fallback);
std::optional<double> optional_number(const nlohmann::json& object, std::string_view key, std::string_view where);
int64_t required_integer(const nlohmann::json& object, std::string_view key, std::string_view where,
                         int64_t min = std::numeric_limits<int64_t>::min(),
                         int64_t max = std::numeric_limits<int64_t>::max());
const nlohmann::json& required_array(const nlohmann::json& object, std::string_view key, std::string_view where);
// An array of strings; a wrong element is named by its index ("field 'choices[2]'").
std::vector<std::string> required_string_array(const nlohmann::json& object, std::string_view key,
                                               std::string_view where);

}  // namespace medllm
