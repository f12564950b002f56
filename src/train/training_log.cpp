#include "train/training_log.hpp"

#include <cmath>
#include <fstream>

namespace medllm {
namespace {

// The row's number at key, if it has one.
std::optional<double> number(const nlohmann::json& row, const char* key) {
  const auto it = row.find(key);
  if (it == row.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::optional<TrainStepRecord> step_record(const nlohmann::json& row) {
  const auto loss = number(row, "loss");
  if (!loss) return std::nullopt;
  TrainStepRecord record;
  record.step = static_cast<int64_t>(number(row, "step").value_or(0));
  record.loss = *loss;
  record.learning_rate = number(row, "learning_rate").value_or(0);
  record.grad_norm = number(row, "grad_norm").value_or(0);
  record.scored_tokens = static_cast<int64_t>(number(row, "scored_tokens").value_or(0));
  record.tokens_per_second = number(row, "tokens_per_second").value_or(0);
  record.elapsed_seconds = number(row, "elapsed_seconds").value_or(0);
  record.epoch = static_cast<int64_t>(number(row, "epoch").value_or(0));
  return record;
}

std::optional<EvalRecord> eval_record(const nlohmann::json& row) {
  const auto loss = number(row, "eval_loss");
  if (!loss) return std::nullopt;
  return EvalRecord{static_cast<int64_t>(number(row, "step").value_or(0)), *loss};
}

}  // namespace

nlohmann::json to_json(const TrainStepRecord& r) {
  return {{"step", r.step},
          {"loss", r.loss},
          {"learning_rate", r.learning_rate},
          {"grad_norm", r.grad_norm},
          {"scored_tokens", r.scored_tokens},
          {"tokens_per_second", r.tokens_per_second},
          {"elapsed_seconds", r.elapsed_seconds},
          {"epoch", r.epoch}};
}

nlohmann::json to_json(const EvalRecord& r) {
  return {{"step", r.step}, {"eval_loss", r.loss}, {"eval_perplexity", std::exp(r.loss)}};
}

TrainingLog read_training_log(const std::string& metrics_path) {
  TrainingLog log;
  std::ifstream in(metrics_path);
  for (std::string line; std::getline(in, line);) {
    nlohmann::json row;
    try {
      row = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      continue;  // a line cut by a kill
    }
    if (!row.is_object()) continue;
    if (auto record = step_record(row)) log.steps.push_back(*record);
    if (auto record = eval_record(row)) log.evals.push_back(*record);
  }
  return log;
}

}  // namespace medllm
