#pragma once
// training_report.html: the loss, held-out loss and learning-rate curves of a run with its
// settings, drawn from metrics.jsonl (train/training_log.hpp) in the shared page shell. The
// trainer does not write it (train/ sits below report/): `medllm train` and the pipeline do, once
// training has returned, interrupted or not.

#include <nlohmann/json.hpp>
#include <string>

#include "report/charts.hpp"
#include "train/training_log.hpp"

namespace medllm::report {

// The loss curves (train and held-out) of a log; the loss axis is logarithmic only where the
// losses span more than a factor of 10 (and is then titled so).
LineChart loss_chart(const TrainingLog& log);

std::string training_report_html(const TrainingLog& log, const nlohmann::json& settings);

// Reads <output_dir>/metrics.jsonl and writes <output_dir>/training_report.html atomically.
void write_training_report(const std::string& output_dir, const nlohmann::json& settings);

}  // namespace medllm::report
