#pragma once
// A progress line for long work: done/total, rate and ETA, redrawn in place on a terminal and
// printed every few seconds otherwise (so CI logs stay short).

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace medllm {

class Progress {
 public:
  Progress(std::string label, int64_t total, std::string unit = "items", std::FILE* out = stderr);
  void advance(int64_t count = 1);  // redraws at most every 0.25 s (terminal) or 10 s (log)
  void finish();                    // final line with the totals
  int64_t done() const { return done_; }
  double elapsed_seconds() const;

 private:
  void draw(bool final);
  std::string label_;
  int64_t total_;
  std::string unit_;
  std::FILE* out_;
  bool terminal_;
  int64_t done_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace medllm
