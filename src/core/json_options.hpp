#pragma once
// Option structs read from and written to JSON objects through one visitor that names each field
// (visit(key, field) or visit(key, field, FieldDoc{...}) for every field), so the names, their
// meaning and their bounds are spelled once per struct. Unknown keys, values of the wrong type,
// integers out of the field's range, non-finite numbers and values outside a field's bounds are
// errors naming the source and the key.

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/json_fields.hpp"
#include "core/json_file.hpp"

namespace medllm {

// What a field means (one line, for help) and the closed interval its value must lie in.
struct FieldDoc {
  const char* text = "";
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
};

// One field as help shows it: key, INT/FLOAT/BOOL/TEXT/LIST, default, meaning and bounds.
struct FieldHelp {
  std::string key;
  std::string type;
  nlohmann::json default_value;
  FieldDoc doc;
};

template <class T>
const char* field_type_name() {
  if constexpr (std::is_same_v<T, bool>) return "BOOL";
  if constexpr (std::is_integral_v<T>) return "INT";
  if constexpr (std::is_floating_point_v<T>) return "FLOAT";
  if constexpr (std::is_same_v<T, std::string>) return "TEXT";
  return "LIST";
}

// "from 0 to 1", "at least 1", "" (no bounds), for messages and help.
inline std::string bounds_text(const FieldDoc& doc) {
  const bool low = std::isfinite(doc.min), high = std::isfinite(doc.max);
  if (low && high) return fmt::format("from {} to {}", doc.min, doc.max);
  if (low) return fmt::format("at least {}", doc.min);
  if (high) return fmt::format("at most {}", doc.max);
  return "";
}

namespace json_options_detail {

template <class T>
T read_value(const nlohmann::json& value, const std::string& where) {
  if constexpr (std::is_same_v<T, bool>) {
    if (!value.is_boolean()) fail_value(where, "true or false", value);
    return value.get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    return integer_value<T>(value, where);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!value.is_number()) fail_value(where, "a number", value);
    const double number = value.get<double>();
    if (!std::isfinite(number) || !std::isfinite(static_cast<T>(number)))
      fail("{} must be a finite number, got {}", where, number);
    return static_cast<T>(number);
  } else {
    try {
      return value.get<T>();
    } catch (const nlohmann::json::exception&) {
      fail("{} has the wrong type: {}", where, json_for_message(value));
    }
  }
}

}  // namespace json_options_detail

// Reads one setting strictly into `field` (type, range of the field's type, finiteness, the
// bounds of `doc`); errors begin with `where`, e.g. "recipe.toml [run]: field 'seed'".
template <class T>
void read_json_field(const nlohmann::json& value, T& field, const std::string& where, const FieldDoc& doc = {}) {
  const T read = json_options_detail::read_value<T>(value, where);
  if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
    const auto number = static_cast<double>(read);
    if (number < doc.min || number > doc.max) fail_value(where, bounds_text(doc), value);
  }
  field = read;
}

// visit_fields(options, visitor) must call visitor(const char* key, field&[, FieldDoc]) for every field.
template <class Options, class VisitFields>
Options options_from_json(const nlohmann::json& config, const std::string& source, VisitFields visit_fields) {
  if (!config.is_object()) fail("{}: expected a JSON object of settings, got {}", source, config.type_name());
  Options options;
  std::set<std::string> known;
  visit_fields(options, [&](const char* key, auto& field, const FieldDoc& doc = {}) {
    known.insert(key);
    if (config.contains(key)) read_json_field(config[key], field, field_name(source, key), doc);
  });
  for (const auto& [key, value] : config.items()) {
    if (!known.contains(key)) fail("{}: unknown field '{}'", source, key);
  }
  return options;
}

template <class Options, class VisitFields>
nlohmann::json options_to_json(const Options& options, VisitFields visit_fields) {
  nlohmann::json out = nlohmann::json::object();
  Options copy = options;  // the visitor takes fields by mutable reference
  visit_fields(copy, [&](const char* key, auto& field, const FieldDoc& = {}) { out[key] = field; });
  return out;
}

// Every field of a default-constructed Options, in visiting order, for help texts.
template <class Options, class VisitFields>
std::vector<FieldHelp> options_help(VisitFields visit_fields) {
  std::vector<FieldHelp> out;
  Options defaults;
  visit_fields(defaults, [&](const char* key, auto& field, const FieldDoc& doc = {}) {
    out.push_back({key, field_type_name<std::remove_cvref_t<decltype(field)>>(), nlohmann::json(field), doc});
  });
  return out;
}

}  // namespace medllm
