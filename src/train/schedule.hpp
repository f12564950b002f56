#pragma once
// Learning-rate schedules of transformers.optimization: linear warmup, then constant, linear
// decay to zero, or cosine decay (to min_lr_ratio · lr).

#include <cstdint>
#include <string>

namespace medllm {

enum class ScheduleKind { Constant, Linear, Cosine };

struct LearningRateSchedule {
  double lr = 1e-4;  // peak
  ScheduleKind kind = ScheduleKind::Cosine;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  double min_lr_ratio = 0.0;  // cosine floor

  // The learning rate of optimizer step `step` (0-based: the first update uses step 0).
  double at(int64_t step) const;
};

ScheduleKind parse_schedule_kind(const std::string& name);  // "constant", "linear", "cosine"

}  // namespace medllm
