#pragma once
// training_report.html: loss, held-out loss and learning-rate curves of a run, drawn as inline
// SVG from metrics.jsonl (one self-contained file, no scripts).

#include <nlohmann/json.hpp>
#include <string>

#include "core/svg_chart.hpp"

namespace medllm {

// The curves of a metrics.jsonl: train loss and learning rate per step, held-out loss per eval.
struct TrainingCurves {
  Series train, eval, learning_rate;
  nlohmann::json last_train;  // the last training row (tokens_per_second, elapsed_seconds, ...)
};
TrainingCurves read_training_curves(const std::string& metrics_path);

void write_training_report(const std::string& output_dir, const std::string& metrics_path,
                           const nlohmann::json& settings);

}  // namespace medllm
