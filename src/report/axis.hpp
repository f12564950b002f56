#pragma once
// Chart axes: where a value lies along the axis, round tick values, and the axis title with its
// unit. A reader must be able to take numbers off a chart, so ticks are 1, 2 or 5 × 10^k and
// cover the data, and an axis is logarithmic only when its title says so.

#include <optional>
#include <string>
#include <vector>

namespace medllm::report {

enum class Scale { linear, log };

struct AxisSpec {
  std::string label = {};  // what is measured: "loss", "accuracy", "step"
  std::string unit = {};   // "%", "nats per token"; "" for none
  Scale scale = Scale::linear;
  std::optional<double> min = {}, max = {};  // fixed ends (0 and 100 for a percentage); else from the data
  int target_ticks = 5;                      // about how many intervals a linear axis gets
  bool whole_numbers = false;                // counts (steps, points): no tick between two integers
};

class Axis {
 public:
  // An axis covering [data_min, data_max] (and the spec's fixed ends). A log axis needs positive
  // values; an empty range (min > max) gives the axis 0..1.
  Axis(AxisSpec spec, double data_min, double data_max);

  double min() const { return ticks_.front(); }
  double max() const { return ticks_.back(); }
  const std::vector<double>& ticks() const { return ticks_; }
  Scale scale() const { return spec_.scale; }

  // 0 at min(), 1 at max(), log-spaced on a log axis; clamped to [0, 1].
  double fraction(double value) const;
  // "loss (nats per token, log scale)": the label, then the unit and the scale when not linear.
  std::string title() const;
  // A tick value with as many decimals as the ticks' step needs ("0.2", "5", "1e-05").
  std::string tick_label(double value) const;

 private:
  AxisSpec spec_;
  std::vector<double> ticks_;
  double step_ = 1;  // between linear ticks
};

// The smallest 1, 2 or 5 × 10^k that is at least raw (raw > 0).
double nice_step(double raw);

// Multiples of a round step (at least min_step) from the largest one ≤ lo to the smallest one
// ≥ hi, about `intervals` intervals apart.
std::vector<double> linear_ticks(double lo, double hi, int intervals, double min_step = 0);

// 1, 2, 5 × 10^k (or only powers of ten when the range spans more than two decades), from the
// largest one ≤ lo to the smallest one ≥ hi; lo and hi positive.
std::vector<double> log_ticks(double lo, double hi);

}  // namespace medllm::report
