#pragma once
// Wall-clock timing and the summary statistics every benchmark figure is reported with.

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <vector>

namespace medllm::bench {

// Seconds taken by fn(), on the steady clock.
template <typename Fn>
double time_seconds(Fn&& fn) {
  const auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Repeated measurements of one quantity. The median is the figure we report because it ignores
// the occasional repetition slowed down by other work on the machine; min and max show the spread.
struct Summary {
  std::vector<double> samples;
  double median = 0.0;
  double min = 0.0;
  double max = 0.0;

  nlohmann::json to_json() const { return {{"median", median}, {"min", min}, {"max", max}, {"samples", samples}}; }
};

inline Summary summarize(std::vector<double> samples) {
  Summary summary;
  summary.samples = samples;
  if (samples.empty()) return summary;
  std::sort(samples.begin(), samples.end());
  const size_t mid = samples.size() / 2;
  summary.median = samples.size() % 2 == 1 ? samples[mid] : 0.5 * (samples[mid - 1] + samples[mid]);
  summary.min = samples.front();
  summary.max = samples.back();
  return summary;
}

}  // namespace medllm::bench
