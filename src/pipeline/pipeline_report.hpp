#pragma once
// report.html of a pipeline run: the before/after table, each stage's loss curves, the sample
// answers before and after, and the recipe — one self-contained page (inline SVG, no scripts).

#include <nlohmann/json.hpp>
#include <string>

namespace medllm {

void write_pipeline_report(const nlohmann::ordered_json& result, const nlohmann::json& recipe, const std::string& path);

}  // namespace medllm
