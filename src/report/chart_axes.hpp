#pragma once
// Drawing an Axis along a chart's plot area: the grid line and label of every tick and the axis
// title, the same way in every chart (internal to report/charts).

#include "report/axis.hpp"
#include "report/svg.hpp"

namespace medllm::report {

struct PlotArea {
  double left, right, top, bottom;

  double x(const Axis& axis, double value) const { return left + axis.fraction(value) * (right - left); }
  double y(const Axis& axis, double value) const { return bottom - axis.fraction(value) * (bottom - top); }
};

// A value axis along the left edge: horizontal grid lines, tick labels left of the plot, the
// title turned upright at the far left.
void draw_vertical_axis(Svg& svg, const Axis& axis, const PlotArea& plot);

// A value axis along the bottom edge: vertical grid lines, tick labels under the plot, the title
// centred under them.
void draw_horizontal_axis(Svg& svg, const Axis& axis, const PlotArea& plot);

}  // namespace medllm::report
