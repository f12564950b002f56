#pragma once
// Reading a JSON file with an Error that names the file (and where the JSON broke), and quoting
// untrusted JSON values inside error messages.

#include <nlohmann/json.hpp>
#include <string>

namespace medllm {

nlohmann::json read_json_file(const std::string& path);

// A JSON value as it should appear in an error message: compact, invalid UTF-8 replaced by U+FFFD
// (a plain dump() throws on it, turning a clear error into a crash) and cut to a readable length.
std::string json_for_message(const nlohmann::json& value);

}  // namespace medllm
