#include "cli/console.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "core/progress.hpp"

namespace medllm::cli {

namespace {

std::string progress_line(const ProgressUpdate& p) {
  constexpr int kWidth = 24;
  const int filled =
      p.total > 0 ? static_cast<int>(kWidth * std::clamp<int64_t>(p.done, 0, p.total) / p.total) : kWidth;
  const std::string bar =
      std::string(static_cast<size_t>(filled), '#') + std::string(static_cast<size_t>(kWidth - filled), '.');
  if (p.final) {
    return fmt::format("{} [{}] {}/{} {} in {} ({:.2f} {}/s)", p.label, bar, p.done, p.total, p.unit,
                       format_duration(p.elapsed_seconds), p.rate(), p.unit);
  }
  return fmt::format("{} [{}] {}/{} {} {:.2f} {}/s ETA {}", p.label, bar, p.done, p.total, p.unit, p.rate(), p.unit,
                     format_duration(p.eta_seconds()));
}

// The token the installed handlers request; one run at a time installs them.
std::atomic<CancelToken*> g_signal_token = nullptr;

extern "C" void request_stop(int) {
  if (CancelToken* token = g_signal_token.load()) token->request();
}

}  // namespace

ProgressCallback console_progress() {
  const bool terminal = isatty(fileno(stderr)) != 0;
  auto last = std::make_shared<std::chrono::steady_clock::time_point>();
  return [terminal, last](const ProgressUpdate& p) {
    const auto now = std::chrono::steady_clock::now();
    if (!p.final && !terminal && now - *last < std::chrono::seconds(10)) return;
    *last = now;
    const std::string line = progress_line(p);
    std::fprintf(stderr, terminal ? "\r\033[K%s%s" : "%s%s", line.c_str(), p.final || !terminal ? "\n" : "");
    std::fflush(stderr);
  };
}

RunEvents console_events(const CancelToken* cancel) {
  RunEvents events;
  events.progress = console_progress();
  events.message = [](std::string_view line) { std::fprintf(stderr, "medllm: %.*s\n", int(line.size()), line.data()); };
  events.cancel = cancel;
  const char* fault = std::getenv("MEDLLM_FAULT");
  if (fault != nullptr && std::string_view(fault) == "checkpoint-write") {
    events.checkpoint_half_written = [] { ::_exit(137); };
  }
  return events;
}

StopOnSignals::StopOnSignals(CancelToken& token) : token_(token) {
  g_signal_token = &token;
  previous_int_ = std::signal(SIGINT, request_stop);
  previous_term_ = std::signal(SIGTERM, request_stop);
}

StopOnSignals::~StopOnSignals() {
  std::signal(SIGINT, previous_int_);
  std::signal(SIGTERM, previous_term_);
  g_signal_token = nullptr;
}

}  // namespace medllm::cli
