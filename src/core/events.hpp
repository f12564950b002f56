#pragma once
// How long work talks to whoever runs it. The library never prints, installs signal handlers or
// exits: it reports progress and notable events through callbacks and stops when a cancel token
// is set. The CLI (cli/console) prints them and turns Ctrl-C into a cancel request; a server or a
// test passes its own.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string_view>

namespace medllm {

// Where long work stands, as numbers (drawing it is the caller's business).
struct ProgressUpdate {
  std::string_view label;
  std::string_view unit;  // "steps", "bytes", "items"
  int64_t done = 0;
  int64_t total = 0;
  double elapsed_seconds = 0.0;
  bool final = false;  // the work has ended

  double rate() const { return elapsed_seconds > 0.0 ? static_cast<double>(done) / elapsed_seconds : 0.0; }
  // Seconds left at the current rate; negative when unknown.
  double eta_seconds() const { return rate() > 0.0 ? static_cast<double>(total - done) / rate() : -1.0; }
};
using ProgressCallback = std::function<void(const ProgressUpdate&)>;

// Set from anywhere (another thread, a signal handler: the flag is a lock-free atomic) to ask
// running work to stop at its next safe point.
class CancelToken {
 public:
  void request() noexcept { requested_.store(true, std::memory_order_relaxed); }
  bool requested() const noexcept { return requested_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> requested_ = false;
  static_assert(std::atomic<bool>::is_always_lock_free);
};

// What a long library call may report to, all optional.
struct RunEvents {
  ProgressCallback progress;
  std::function<void(std::string_view line)> message;  // notable events, one line each
  const CancelToken* cancel = nullptr;
  // Called while a checkpoint is half written (some of its files written, none renamed into place),
  // so that a test can kill the process exactly there.
  std::function<void()> checkpoint_half_written;

  void say(std::string_view line) const {
    if (message) message(line);
  }
  bool cancelled() const { return cancel != nullptr && cancel->requested(); }
};

}  // namespace medllm
