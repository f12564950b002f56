#pragma once
// Counts long work and reports it (done/total, elapsed) through a ProgressCallback, at most every
// quarter second and once at the end. It never prints: cli/console draws the line.

#include <chrono>
#include <cstdint>
#include <string>

#include "core/events.hpp"

namespace medllm {

// "mm:ss" or "h:mm:ss"; "--:--" when unknown (negative) or absurdly long.
std::string format_duration(double seconds);

class Progress {
 public:
  Progress(std::string label, int64_t total, std::string unit, ProgressCallback report);
  void advance(int64_t count = 1);
  void finish();  // the final report, with the totals
  int64_t done() const { return done_; }
  double elapsed_seconds() const;

 private:
  void report(bool final) const;
  std::string label_;
  int64_t total_;
  std::string unit_;
  ProgressCallback report_;
  int64_t done_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_report_;
};

}  // namespace medllm
