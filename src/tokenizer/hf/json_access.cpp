#include "core/error.hpp"
#include "core/json_file.hpp"
#include "tokenizer/hf/components.hpp"

namespace medllm::hf {

const json& require(const json& object, const char* key, const std::string& where) {
  if (!object.is_object()) fail("{}: expected an object", where);
  if (!object.contains(key)) fail("{}: missing field '{}'", where, key);
  return object[key];
}

std::string require_string(const json& object, const char* key, const std::string& where) {
  const json& value = require(object, key, where);
  if (!value.is_string()) fail("{}.{}: expected a string, found {}", where, key, json_for_message(value));
  return value.get<std::string>();
}

bool optional_bool(const json& object, const char* key, bool fallback, const std::string& where) {
  if (!object.contains(key) || object[key].is_null()) return fallback;
  if (!object[key].is_boolean()) fail("{}.{}: expected true or false, found {}", where, key, json_for_message(object[key]));
  return object[key].get<bool>();
}

}  // namespace medllm::hf
