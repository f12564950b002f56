#pragma once
// The charts of every report page, as inline SVG (no scripts, no external assets): line charts
// (training curves), horizontal bar charts (one bar per row: accuracy per benchmark or subject)
// and column charts (groups of vertical bars: an exam's years). All draw their value axes
// through report/axis.hpp, so every chart has round ticks, a titled axis with its unit, and a
// log scale only where the title says "log scale".

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "report/axis.hpp"
#include "report/svg.hpp"

namespace medllm::report {

inline constexpr double kChartWidth = 900;

struct Series {
  std::string name = {};
  std::string color = {};
  std::vector<std::pair<double, double>> points = {};  // (x, y)
};

struct LineChart {
  std::string title = {};  // drawn above the plot; also the chart's accessible name
  AxisSpec x = {}, y = {};
  std::vector<Series> series = {};
};

// Points that cannot be drawn (non-finite, or ≤ 0 on a log axis) are skipped; a chart without
// any says "no data".
std::string line_chart(const LineChart& chart);

struct BarRow {
  std::string label = {};     // plain text; shortened to fit the label column
  std::string sublabel = {};  // a second, smaller line; "" for none
  std::optional<double> value = {};
  std::optional<double> low = {}, high = {};  // an interval drawn as a whisker
  std::optional<double> chance = {};          // a short dashed marker across the bar
  std::string value_label = {};               // printed at the end of the bar (or whisker)
  std::string color = {};
  std::string tooltip = {};
};

struct BarChart {
  std::string aria_label = {};
  AxisSpec axis = {};  // the horizontal value axis
  std::vector<BarRow> rows = {};
  std::vector<LegendItem> legend = {};
  std::optional<double> reference = {};  // a full-height dashed line (e.g. overall accuracy)
  std::string reference_label = {};
  std::optional<double> chance_line = {};  // a full-height chance line
  std::string chance_label = {};
  double label_width = 220;  // the label column
  double row_height = 36;
  double bar_height = 18;
  double label_size = 13;
};

std::string bar_chart(const BarChart& chart);

struct ColumnBar {
  std::optional<double> value = {};  // nullopt: no bar
  std::string color = {};
  std::string label = {};  // printed at the bar; "" for none
  std::string tooltip = {};
  bool emphasis = false;  // a bold label: the model among its baselines
};

struct ColumnGroup {
  std::string label = {};             // under the group (a year)
  std::string sublabel = {};          // a second line under it; "" for none
  std::vector<ColumnBar> bars = {};   // one per series, in legend order
  std::optional<double> marker = {};  // a dashed line across the group (that year's possible points)
};

struct ColumnChart {
  std::string aria_label = {};
  AxisSpec axis = {};  // the vertical value axis
  std::vector<ColumnGroup> groups = {};
  std::vector<LegendItem> legend = {};
  std::optional<double> reference = {};  // a dashed line across the plot (a pass line), labelled at its right
  std::string reference_label = {};
  double plot_height = 280;
  double max_bar_width = 34;
  double group_fill = 0.84;    // the share of a group's width its bars take
  bool labels_inside = false;  // value labels inside the top of the bar instead of above it
};

std::string column_chart(const ColumnChart& chart);

}  // namespace medllm::report
