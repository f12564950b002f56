#pragma once
// Stop strings over streamed text, for the sequence decoder (runtime/sequence_decoder): streamed
// text must end before a stop string, never show part of one, and find stop strings that span
// several tokens.

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace medllm {

// Holds back generated text that might be the start of a stop string, and finds stop strings
// that span several tokens.
class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops) : stops_(std::move(stops)) {}

  // Appends text; returns the part that is final. Sets `stopped` when a stop string appeared.
  std::string append(std::string_view text, bool& stopped) {
    buffer_ += text;
    size_t earliest = std::string::npos;
    for (const auto& stop : stops_) {
      if (stop.empty()) continue;
      earliest = std::min(earliest, buffer_.find(stop));
    }
    if (earliest != std::string::npos) {
      stopped = true;
      std::string out = buffer_.substr(0, earliest);
      buffer_.clear();
      return out;
    }
    size_t hold = 0;  // longest buffer suffix that is a proper prefix of some stop string
    for (const auto& stop : stops_) {
      if (stop.empty()) continue;
      for (size_t length = std::min(stop.size() - 1, buffer_.size()); length > hold; --length) {
        if (buffer_.compare(buffer_.size() - length, length, stop, 0, length) == 0) {
          hold = length;
          break;
        }
      }
    }
    std::string out = buffer_.substr(0, buffer_.size() - hold);
    buffer_.erase(0, buffer_.size() - hold);
    return out;
  }
  std::string flush() { return std::exchange(buffer_, {}); }

 private:
  std::vector<std::string> stops_;
  std::string buffer_;
};

}  // namespace medllm
