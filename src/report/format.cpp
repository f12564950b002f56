#include "report/format.hpp"

#include <fmt/format.h>

#include <cmath>

namespace medllm::report {

std::string percent(std::optional<double> fraction) {
  return fraction ? fmt::format("{:.1f}", *fraction * 100) : std::string(kNa);
}

std::string count(std::optional<double> value) {
  if (!value) return std::string(kNa);
  if (std::floor(*value) == *value && std::fabs(*value) < 1e15)
    return fmt::format("{}", static_cast<long long>(*value));
  return fmt::format("{:g}", *value);
}

std::string duration(std::optional<double> seconds) {
  if (!seconds || *seconds < 0) return std::string(kNa);
  if (*seconds < 60) return fmt::format("{:.1f} s", *seconds);
  const auto whole = static_cast<long long>(std::llround(*seconds));
  if (whole < 3600) return fmt::format("{} min {:02} s", whole / 60, whole % 60);
  return fmt::format("{} h {:02} min", whole / 3600, (whole % 3600) / 60);
}

std::string parameter_count(std::optional<double> parameters) {
  if (!parameters) return std::string(kNa);
  const double p = *parameters;
  const std::string exact = count(parameters);
  if (p >= 1e9) return fmt::format("{:.3g}B ({})", p / 1e9, exact);
  if (p >= 1e6) return fmt::format("{:.3g}M ({})", p / 1e6, exact);
  if (p >= 1e3) return fmt::format("{:.3g}K ({})", p / 1e3, exact);
  return exact;
}

}  // namespace medllm::report
