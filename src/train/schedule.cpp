#include "train/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.hpp"

namespace medllm {

double LearningRateSchedule::at(int64_t step) const {
  if (step < warmup_steps)
    return lr * static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup_steps));
  const double decay_steps = static_cast<double>(std::max<int64_t>(1, total_steps - warmup_steps));
  const double progress = static_cast<double>(step - warmup_steps) / decay_steps;
  switch (kind) {
    case ScheduleKind::Constant:
      return lr;
    case ScheduleKind::Linear:
      return lr * std::max(0.0, static_cast<double>(total_steps - step) / decay_steps);
    case ScheduleKind::Cosine:
      return lr *
             std::max(0.0, min_lr_ratio + (1.0 - min_lr_ratio) * 0.5 * (1.0 + std::cos(std::numbers::pi * progress)));
  }
  return lr;
}

ScheduleKind parse_schedule_kind(const std::string& name) {
  if (name == "constant") return ScheduleKind::Constant;
  if (name == "linear") return ScheduleKind::Linear;
  if (name == "cosine") return ScheduleKind::Cosine;
  fail("unknown learning-rate schedule '{}' (constant, linear, cosine)", name);
}

}  // namespace medllm
