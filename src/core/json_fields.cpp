#include "core/json_fields.hpp"

#include "core/utf8.hpp"

namespace medllm {

using nlohmann::json;

namespace {

// The field, or nullptr when it is absent; an Error when `object` is not an object.
const json* find_field(const json& object, std::string_view key, std::string_view where) {
  if (!object.is_object()) fail("{}: expected a JSON object, got {}", where, json_for_message(object));
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

}  // namespace

std::string field_name(std::string_view where, std::string_view key) {
  return fmt::format("{}: field '{}'", where, key);
}

void fail_value(std::string_view subject, std::string_view expected, const json& value) {
  fail("{} must be {}, got {}", subject, expected, json_for_message(value));
}

const std::string& string_value(const json& value, std::string_view subject) {
  if (!value.is_string()) fail_value(subject, "a string", value);
  return value.get_ref<const std::string&>();
}

const std::string& text_value(const json& value, std::string_view subject) {
  const std::string& text = string_value(value, subject);
  if (utf8::trim_ascii(text).empty()) fail("{} is empty", subject);
  return text;
}

const json& required_field(const json& object, std::string_view key, std::string_view where) {
  const json* value = find_field(object, key, where);
  if (value == nullptr) fail("{} is missing", field_name(where, key));
  return *value;
}

const json* optional_field(const json& object, std::string_view key, std::string_view where) {
  const json* value = find_field(object, key, where);
  return value == nullptr || value->is_null() ? nullptr : value;
}

const std::string& required_string(const json& object, std::string_view key, std::string_view where) {
  return string_value(required_field(object, key, where), field_name(where, key));
}

const std::string& required_text(const json& object, std::string_view key, std::string_view where) {
  return text_value(required_field(object, key, where), field_name(where, key));
}

std::optional<std::string> optional_string(const json& object, std::string_view key, std::string_view where) {
  const json* value = optional_field(object, key, where);
  if (value == nullptr) return std::nullopt;
  return string_value(*value, field_name(where, key));
}

bool required_bool(const json& object, std::string_view key, std::string_view where) {
  const json& value = required_field(object, key, where);
  if (!value.is_boolean()) fail_value(field_name(where, key), "true or false", value);
  return value.get<bool>();
}

bool optional_bool(const json& object, std::string_view key, std::string_view where, bool fallback) {
  return optional_field(object, key, where) == nullptr ? fallback : required_bool(object, key, where);
}

std::optional<double> optional_number(const json& object, std::string_view key, std::string_view where) {
  const json* value = optional_field(object, key, where);
  if (value == nullptr) return std::nullopt;
  if (!value->is_number()) fail_value(field_name(where, key), "a number", *value);
  return value->get<double>();
}

int64_t required_integer(const json& object, std::string_view key, std::string_view where, int64_t min, int64_t max) {
  const json& value = required_field(object, key, where);
  const std::string subject = field_name(where, key);
  const auto number = integer_value<int64_t>(value, subject);
  if (number < min || number > max) fail_value(subject, fmt::format("an integer from {} to {}", min, max), value);
  return number;
}

const json& required_array(const json& object, std::string_view key, std::string_view where) {
  const json& value = required_field(object, key, where);
  if (!value.is_array()) fail_value(field_name(where, key), "an array", value);
  return value;
}

std::vector<std::string> required_string_array(const json& object, std::string_view key, std::string_view where) {
  const json& values = required_array(object, key, where);
  std::vector<std::string> out;
  out.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i)
    out.push_back(string_value(values[i], field_name(where, fmt::format("{}[{}]", key, i))));
  return out;
}

}  // namespace medllm
