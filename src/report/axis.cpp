#include "report/axis.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

namespace medllm::report {
namespace {

// Relative slack so that a value a rounding error past a tick still counts as on it.
constexpr double kSlack = 1e-9;

}  // namespace

double nice_step(double raw) {
  if (!(raw > 0) || !std::isfinite(raw)) return 1;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double factor : {1.0, 2.0, 5.0}) {
    if (factor * magnitude >= raw * (1 - kSlack)) return factor * magnitude;
  }
  return 10 * magnitude;
}

std::vector<double> linear_ticks(double lo, double hi, int intervals, double min_step) {
  if (hi < lo) std::swap(lo, hi);
  if (hi == lo) {  // one value: a round interval around it
    const double pad = lo == 0 ? 1 : nice_step(std::fabs(lo) / 10);
    lo -= pad;
    hi += pad;
  }
  const double step = std::max(min_step, nice_step((hi - lo) / std::max(1, intervals)));
  // Ticks as integer multiples of the step, so 0.1 + 0.2 never shows as 0.30000000000000004.
  const auto first = static_cast<long long>(std::floor(lo / step + kSlack));
  const auto last = static_cast<long long>(std::ceil(hi / step - kSlack));
  std::vector<double> ticks;
  for (long long k = first; k <= last; ++k) ticks.push_back(static_cast<double>(k) * step);
  if (ticks.size() < 2) ticks.push_back(ticks.back() + step);
  return ticks;
}

std::vector<double> log_ticks(double lo, double hi) {
  if (hi < lo) std::swap(lo, hi);
  const int k_lo = static_cast<int>(std::floor(std::log10(lo) + kSlack));
  int k_hi = static_cast<int>(std::ceil(std::log10(hi) - kSlack));
  if (k_hi <= k_lo) k_hi = k_lo + 1;
  const bool many_decades = k_hi - k_lo > 2;
  const int decade_step = many_decades ? std::max(1, (k_hi - k_lo + 5) / 6) : 1;  // about six labels at most
  std::vector<double> candidates;
  for (int k = k_lo; candidates.empty() || candidates.back() < hi * (1 - kSlack); k += decade_step) {
    for (double m : {1.0, 2.0, 5.0}) {
      if (m == 1.0 || !many_decades) candidates.push_back(m * std::pow(10.0, k));
    }
  }
  // From the last candidate ≤ lo to the first ≥ hi.
  size_t begin = 0, end = candidates.size();
  while (begin + 1 < candidates.size() && candidates[begin + 1] <= lo * (1 + kSlack)) ++begin;
  while (end - 1 > begin + 1 && candidates[end - 2] >= hi * (1 - kSlack)) --end;
  return {candidates.begin() + static_cast<long>(begin), candidates.begin() + static_cast<long>(end)};
}

Axis::Axis(AxisSpec spec, double data_min, double data_max) : spec_(std::move(spec)) {
  if (!(data_min <= data_max) || !std::isfinite(data_min) || !std::isfinite(data_max)) {
    data_min = spec_.scale == Scale::log ? 1 : 0;
    data_max = spec_.scale == Scale::log ? 10 : 1;
  }
  if (spec_.min) data_min = std::min(data_min, *spec_.min);
  if (spec_.max) data_max = std::max(data_max, *spec_.max);
  if (spec_.scale == Scale::log) {
    if (!(data_min > 0)) data_min = data_max > 0 ? data_max / 10 : 1;  // callers drop values ≤ 0
    if (!(data_max > 0)) data_max = 10;
    ticks_ = log_ticks(data_min, data_max);
    return;
  }
  ticks_ = linear_ticks(data_min, data_max, spec_.target_ticks, spec_.whole_numbers ? 1.0 : 0.0);
  step_ = ticks_[1] - ticks_[0];
}

double Axis::fraction(double value) const {
  double f = 0;
  if (spec_.scale == Scale::log) {
    f = value > 0 ? (std::log10(value) - std::log10(min())) / (std::log10(max()) - std::log10(min())) : 0;
  } else {
    f = (value - min()) / (max() - min());
  }
  return std::clamp(std::isfinite(f) ? f : 0.0, 0.0, 1.0);
}

std::string Axis::title() const {
  std::string details = spec_.unit;
  if (spec_.scale == Scale::log) details += details.empty() ? "log scale" : ", log scale";
  return details.empty() ? spec_.label : fmt::format("{} ({})", spec_.label, details);
}

std::string Axis::tick_label(double value) const {
  if (std::fabs(value) < step_ * kSlack) value = 0;  // not "-0"
  const double largest = std::max(std::fabs(min()), std::fabs(max()));
  if (spec_.scale == Scale::log || step_ < 1e-3 || largest >= 1e6) return fmt::format("{:g}", value);
  const int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step_) + kSlack)));
  return fmt::format("{:.{}f}", value, decimals);
}

}  // namespace medllm::report
