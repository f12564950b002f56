#pragma once
// Numbers as the report pages write them, one definition for every page and table: a missing
// value is "n/a", never 0 or an empty cell.

#include <optional>
#include <string>
#include <string_view>

namespace medllm::report {

inline constexpr std::string_view kNa = "n/a";

// 0.4213 -> "42.1" (a fraction shown in % with one decimal).
std::string percent(std::optional<double> fraction);

// Whole numbers without decimals ("1273"), others as %g.
std::string count(std::optional<double> value);

// "12.3 s", "2 min 03 s", "1 h 05 min".
std::string duration(std::optional<double> seconds);

// "134M (134000000)": the rounded size and the exact count.
std::string parameter_count(std::optional<double> parameters);

}  // namespace medllm::report
