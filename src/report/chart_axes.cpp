#include "report/chart_axes.hpp"

namespace medllm::report {
namespace {

// The axis line at the minimum is darker than the grid so that bars visibly start from it.
const char* grid_color(const Axis& axis, double tick) {
  return tick == axis.min() ? "#888" : "#e2e2e2";
}

}  // namespace

void draw_vertical_axis(Svg& svg, const Axis& axis, const PlotArea& plot) {
  for (double tick : axis.ticks()) {
    const double y = plot.y(axis, tick);
    svg.line(plot.left, y, plot.right, y, grid_color(axis, tick), 1);
    svg.text(plot.left - 8, y + 4, axis.tick_label(tick), "end", 11, "fill=\"#555\"");
  }
  svg.vertical_text(16, (plot.top + plot.bottom) / 2, axis.title());
}

void draw_horizontal_axis(Svg& svg, const Axis& axis, const PlotArea& plot) {
  for (double tick : axis.ticks()) {
    const double x = plot.x(axis, tick);
    svg.line(x, plot.top - 4, x, plot.bottom, grid_color(axis, tick), 1);
    svg.text(x, plot.bottom + 16, axis.tick_label(tick), "middle", 11, "fill=\"#555\"");
  }
  svg.text((plot.left + plot.right) / 2, plot.bottom + 38, axis.title(), "middle", 12, "fill=\"#333\"");
}

}  // namespace medllm::report
