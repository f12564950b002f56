#include <algorithm>
#include <cmath>

#include "report/chart_axes.hpp"
#include "report/charts.hpp"

namespace medllm::report {
namespace {

constexpr double kHeight = 330;
// Markers on every point help only while points are few enough to tell apart.
constexpr size_t kMaxMarkedPoints = 40;

bool drawable(const AxisSpec& axis, double value) {
  return std::isfinite(value) && (axis.scale != Scale::log || value > 0);
}

std::vector<std::pair<double, double>> drawable_points(const LineChart& chart, const Series& series) {
  std::vector<std::pair<double, double>> points;
  for (const auto& [x, y] : series.points) {
    if (drawable(chart.x, x) && drawable(chart.y, y)) points.emplace_back(x, y);
  }
  return points;
}

// The data's extent along both axes; min > max when there is nothing to draw.
struct Extent {
  double x_min = INFINITY, x_max = -INFINITY, y_min = INFINITY, y_max = -INFINITY;
};

Extent extent_of(const LineChart& chart) {
  Extent e;
  for (const Series& series : chart.series) {
    for (const auto& [x, y] : drawable_points(chart, series)) {
      e.x_min = std::min(e.x_min, x), e.x_max = std::max(e.x_max, x);
      e.y_min = std::min(e.y_min, y), e.y_max = std::max(e.y_max, y);
    }
  }
  return e;
}

std::vector<LegendItem> legend_of(const LineChart& chart) {
  std::vector<LegendItem> items;
  for (const Series& series : chart.series) items.push_back({LegendMark::line, series.color, series.name});
  return items;
}

}  // namespace

std::string line_chart(const LineChart& chart) {
  Svg svg(kChartWidth, kHeight, chart.title);
  svg.text(76, 18, chart.title, "start", 14, "font-weight=\"bold\"");
  const Extent e = extent_of(chart);
  if (e.x_min > e.x_max) {
    svg.text(76, 60, "no data", "start", 12, "fill=\"#999\"");
    return svg.finish();
  }
  svg.legend(76, 40, legend_of(chart));
  const Axis x(chart.x, e.x_min, e.x_max), y(chart.y, e.y_min, e.y_max);
  const PlotArea plot{76, kChartWidth - 24, 56, kHeight - 46};
  draw_vertical_axis(svg, y, plot);
  draw_horizontal_axis(svg, x, plot);
  for (const Series& series : chart.series) {
    const auto points = drawable_points(chart, series);
    std::vector<std::pair<double, double>> at;
    for (const auto& [px, py] : points) at.emplace_back(plot.x(x, px), plot.y(y, py));
    svg.polyline(at, series.color, 1.5);
    if (at.size() > kMaxMarkedPoints) continue;
    for (const auto& [cx, cy] : at) svg.circle(cx, cy, 2.5, series.color);
  }
  return svg.finish();
}

}  // namespace medllm::report
