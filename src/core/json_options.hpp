#pragma once
// Option structs read from and written to JSON objects through one visitor that names each field
// (visit(key, field) for every field), so the names are spelled once per struct. Unknown keys and
// values of the wrong type are errors naming the source and the key.

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <type_traits>

#include "core/error.hpp"
#include "core/json_file.hpp"

namespace medllm {

// visit_fields(options, visitor) must call visitor(const char* key, field&) for every field.
template <class Options, class VisitFields>
Options options_from_json(const nlohmann::json& config, const std::string& source, VisitFields visit_fields) {
  if (!config.is_object()) fail("{}: expected a JSON object of settings, got {}", source, config.type_name());
  Options options;
  std::set<std::string> known;
  visit_fields(options, [&](const char* key, auto& field) {
    known.insert(key);
    if (!config.contains(key)) return;
    try {
      field = config[key].template get<std::remove_reference_t<decltype(field)>>();
    } catch (const nlohmann::json::exception&) {
      fail("{}: field '{}' has the wrong type: {}", source, key, json_for_message(config[key]));
    }
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
  visit_fields(copy, [&](const char* key, auto& field) { out[key] = field; });
  return out;
}

}  // namespace medllm
