#pragma once
// metrics.jsonl of a training run, one JSON object a line: a row per optimizer step and a row per
// held-out evaluation. The trainer writes the rows with to_json and the training and pipeline
// reports read them back with read_training_log, through these structs only.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace medllm {

struct TrainStepRecord {
  int64_t step = 0;
  double loss = 0;  // mean cross-entropy of the step's scored tokens (nats per token)
  double learning_rate = 0;
  double grad_norm = 0;  // before clipping
  int64_t scored_tokens = 0;
  double tokens_per_second = 0;  // of this run (since start or resume)
  double elapsed_seconds = 0;    // of the whole training, resumed runs included
  int64_t epoch = 0;
};

struct EvalRecord {
  int64_t step = 0;
  double loss = 0;  // held-out cross-entropy (nats per token); the row also records exp(loss)
};

nlohmann::json to_json(const TrainStepRecord& record);
nlohmann::json to_json(const EvalRecord& record);

struct TrainingLog {
  std::vector<TrainStepRecord> steps = {};
  std::vector<EvalRecord> evals = {};
};

// The rows of metrics.jsonl in file order. A missing file is an empty log; a line that does not
// parse (cut by a kill) or lacks its numbers is skipped, so a report can always be drawn.
TrainingLog read_training_log(const std::string& metrics_path);

}  // namespace medllm
