#pragma once
// training_report.html: loss, held-out loss and learning-rate curves of a run, drawn as inline
// SVG from metrics.jsonl (one self-contained file, no scripts).

#include <nlohmann/json.hpp>
#include <string>

namespace medllm {

void write_training_report(const std::string& output_dir, const std::string& metrics_path,
                           const nlohmann::json& settings);

}  // namespace medllm
