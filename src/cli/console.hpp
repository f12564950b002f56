#pragma once
// How the CLI shows the library's long work: progress lines on stderr (redrawn in place on a
// terminal, every ten seconds in a log so CI output stays short), messages prefixed "medllm: ",
// and SIGINT/SIGTERM turned into a cancel request while work runs.

#include "core/events.hpp"

namespace medllm::cli {

// Draws ProgressUpdates on stderr.
ProgressCallback console_progress();

// Progress and messages on stderr, cancelled through `cancel` when given. With the test hook
// MEDLLM_FAULT=checkpoint-write, the process dies (exit 137, as SIGKILL would) while a checkpoint
// is half written.
RunEvents console_events(const CancelToken* cancel = nullptr);

// While alive, SIGINT and SIGTERM request `token` instead of killing the process; the previous
// handlers come back at destruction.
class StopOnSignals {
 public:
  explicit StopOnSignals(CancelToken& token);
  ~StopOnSignals();
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;
  bool stopped() const { return token_.requested(); }

 private:
  CancelToken& token_;
  void (*previous_int_)(int);
  void (*previous_term_)(int);
};

}  // namespace medllm::cli
