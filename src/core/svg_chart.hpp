#pragma once
// Line charts as inline SVG (no scripts, no external assets), for the HTML reports of training
// runs and pipelines.

#include <string>
#include <utility>
#include <vector>

namespace medllm {

struct Series {
  std::string name;
  std::string color;
  std::vector<std::pair<double, double>> points;  // (step, value)
};

// A chart of one or more series sharing axes, x labelled "step"; log_y for losses spanning
// decades. Non-finite values (and non-positive ones on a log axis) are skipped.
std::string line_chart(const std::string& title, const std::vector<Series>& series, bool log_y);

}  // namespace medllm
