#include "core/progress.hpp"

#include <fmt/format.h>

namespace medllm {

std::string format_duration(double seconds) {
  if (seconds < 0 || seconds > 360000) return "--:--";
  const auto s = static_cast<int64_t>(seconds + 0.5);
  return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
                   : fmt::format("{:02}:{:02}", s / 60, s % 60);
}

Progress::Progress(std::string label, int64_t total, std::string unit, ProgressCallback report)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      report_(std::move(report)),
      start_(std::chrono::steady_clock::now()),
      last_report_(start_) {}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::advance(int64_t count) {
  done_ += count;
  if (!report_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_report_ < std::chrono::milliseconds(250)) return;
  last_report_ = now;
  report(false);
}

void Progress::finish() {
  if (report_) report(true);
}

void Progress::report(bool final) const {
  report_(ProgressUpdate{label_, unit_, done_, total_, elapsed_seconds(), final});
}

}  // namespace medllm
