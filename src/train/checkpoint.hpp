#pragma once
// Training checkpoints: OUT/checkpoint-<step>/ holding the trained weights (model.safetensors),
// the AdamW moments (optimizer.safetensors) and trainer_state.json (step, data position,
// elapsed time, settings). A checkpoint is written into a hidden ".partial" directory and
// renamed into place only when complete, so a run killed mid-write leaves the previous
// checkpoint as the latest good one. The newest `keep` checkpoints are kept.

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "train/optimizer.hpp"

namespace medllm {

struct CheckpointState {
  int64_t step = 0;
  nlohmann::json trainer;  // data position, elapsed seconds, settings fingerprint, ...
};

// Writes OUT/checkpoint-<step>; removes older checkpoints beyond `keep` (0 keeps all).
std::string save_checkpoint(const std::string& out_dir, AdamW& optimizer, const CheckpointState& state, int keep,
                            const std::function<void()>& half_written = {});

// The newest complete checkpoint directory in out_dir, if any.
std::optional<std::string> latest_checkpoint(const std::string& out_dir);

// Restores weights and optimizer moments; returns the saved state. Errors name the file and
// tensor that do not fit the model being trained.
CheckpointState load_checkpoint(const std::string& directory, AdamW& optimizer);

}  // namespace medllm
