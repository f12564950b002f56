#pragma once
// Reading a JSON file with an Error that names the file (and where the JSON broke).

#include <nlohmann/json.hpp>
#include <string>

namespace medllm {

nlohmann::json read_json_file(const std::string& path);

}  // namespace medllm
