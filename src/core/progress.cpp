#include "core/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

namespace medllm {

namespace {

std::string format_duration(double seconds) {
  if (seconds < 0 || seconds > 360000) return "--:--";
  const auto s = static_cast<int64_t>(seconds + 0.5);
  return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
                   : fmt::format("{:02}:{:02}", s / 60, s % 60);
}

}  // namespace

Progress::Progress(std::string label, int64_t total, std::string unit, std::FILE* out)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      out_(out),
      terminal_(out != nullptr && isatty(fileno(out))),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::advance(int64_t count) {
  done_ += count;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_draw_).count();
  if (since >= (terminal_ ? 0.25 : 10.0)) {
    last_draw_ = now;
    draw(false);
  }
}

void Progress::finish() {
  draw(true);
}

void Progress::draw(bool final) {
  if (out_ == nullptr) return;
  const double elapsed = elapsed_seconds();
  const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done_) / rate : -1.0;
  const int width = 24;
  const int filled = total_ > 0 ? static_cast<int>(width * done_ / total_) : width;
  const std::string bar =
      std::string(static_cast<size_t>(filled), '#') + std::string(static_cast<size_t>(width - filled), '.');
  const std::string line = final ? fmt::format("{} [{}] {}/{} {} in {} ({:.2f} {}/s)", label_, bar, done_, total_,
                                               unit_, format_duration(elapsed), rate, unit_)
                                 : fmt::format("{} [{}] {}/{} {} {:.2f} {}/s ETA {}", label_, bar, done_, total_, unit_,
                                               rate, unit_, format_duration(eta));
  std::fprintf(out_, terminal_ ? "\r\033[K%s%s" : "%s%s", line.c_str(), final || !terminal_ ? "\n" : "");
  std::fflush(out_);
}

}  // namespace medllm
