#include <fmt/format.h>

#include <algorithm>

#include "report/chart_axes.hpp"
#include "report/charts.hpp"

namespace medllm::report {
namespace {

struct Layout {
  PlotArea plot;
  double height;
  double group_width;
  double bar_width;
};

size_t bars_per_group(const ColumnChart& chart) {
  size_t n = 1;
  for (const ColumnGroup& group : chart.groups) n = std::max(n, group.bars.size());
  return n;
}

Layout layout_of(const ColumnChart& chart) {
  const double top = chart.legend.empty() ? 24 : 48;
  // Room at the right for the reference line's label.
  const PlotArea plot{64, kChartWidth - (chart.reference ? 110 : 20), top, top + chart.plot_height};
  const bool sublabels = std::any_of(chart.groups.begin(), chart.groups.end(),
                                     [](const ColumnGroup& group) { return !group.sublabel.empty(); });
  const double group_width = (plot.right - plot.left) / static_cast<double>(std::max<size_t>(1, chart.groups.size()));
  const double bar_width =
      std::min(chart.max_bar_width, group_width * chart.group_fill / static_cast<double>(bars_per_group(chart)));
  return {plot, plot.bottom + (sublabels ? 58 : 40), group_width, bar_width};
}

// Bars grow from zero; the axis covers every bar and marker.
Axis value_axis(const ColumnChart& chart) {
  double hi = chart.reference.value_or(0);
  for (const ColumnGroup& group : chart.groups) {
    hi = std::max(hi, group.marker.value_or(0));
    for (const ColumnBar& bar : group.bars) hi = std::max(hi, bar.value.value_or(0));
  }
  // Headroom above the tallest bar for its label, unless the axis has a fixed end.
  return Axis(chart.axis, 0, chart.axis.max ? hi : hi * 1.06);
}

// Inside the top of the bar, moved below the reference line where that line would cross it;
// above the bar when the bar is too short to hold it.
void label_inside(Svg& svg, const ColumnChart& chart, const Layout& layout, const Axis& axis, const ColumnBar& bar,
                  double x, double y) {
  const double size = layout.bar_width < 30 ? 9 : 11;
  double label_y = y + size + 3;
  if (chart.reference) {
    const double line = layout.plot.y(axis, *chart.reference);
    if (line >= label_y - size - 2 && line <= label_y + 2) label_y = line + size + 5;
  }
  if (label_y <= layout.plot.bottom - 2) {
    svg.text(x, label_y, bar.label, "middle", size, "fill=\"#fff\" font-weight=\"700\"");
  } else {
    svg.text(x, y - 4, bar.label, "middle", size, fmt::format("font-weight=\"700\" {}", kHalo));
  }
}

// Above the bar; turned upright when the bar is too narrow for the text.
void label_above(Svg& svg, const Layout& layout, const ColumnBar& bar, double x, double y) {
  const std::string weight = bar.emphasis ? "font-weight=\"700\"" : "fill=\"#333\"";
  if (layout.bar_width >= 20) {
    svg.text(x, y - 4, bar.label, "middle", 10, fmt::format("{} {}", weight, kHalo));
    return;
  }
  const double cx = x + 4;
  svg.text(cx, y - 4, bar.label, "start", 10,
           fmt::format("transform=\"rotate(-90 {} {})\" {}", svg_number(cx), svg_number(y - 4), kHalo));
}

void draw_group(Svg& svg, const ColumnChart& chart, const Layout& layout, const Axis& axis, size_t j) {
  const ColumnGroup& group = chart.groups[j];
  const PlotArea& plot = layout.plot;
  const double bars_width = layout.bar_width * static_cast<double>(group.bars.size());
  const double group_left =
      plot.left + layout.group_width * static_cast<double>(j) + (layout.group_width - bars_width) / 2;
  for (size_t s = 0; s < group.bars.size(); ++s) {
    const ColumnBar& bar = group.bars[s];
    if (!bar.value) continue;
    const double x = group_left + layout.bar_width * static_cast<double>(s), y = plot.y(axis, *bar.value);
    svg.rect(x + 1, y, layout.bar_width - 2, plot.bottom - y, bar.color, bar.tooltip);
    if (bar.label.empty()) continue;
    if (chart.labels_inside) {
      label_inside(svg, chart, layout, axis, bar, x + layout.bar_width / 2, y);
    } else {
      label_above(svg, layout, bar, x + layout.bar_width / 2, y);
    }
  }
  if (group.marker) {
    const double y = plot.y(axis, *group.marker);
    svg.line(group_left - 4, y, group_left + bars_width + 4, y, "#333", 1.5, "5 3");
  }
  const double center = plot.left + layout.group_width * (static_cast<double>(j) + 0.5);
  svg.text(center, plot.bottom + 18, group.label, "middle", 13, "font-weight=\"600\"");
  if (!group.sublabel.empty()) svg.text(center, plot.bottom + 34, group.sublabel, "middle", 11, "fill=\"#666\"");
}

}  // namespace

std::string column_chart(const ColumnChart& chart) {
  const Layout layout = layout_of(chart);
  const Axis axis = value_axis(chart);
  Svg svg(kChartWidth, layout.height, chart.aria_label);
  if (!chart.legend.empty()) svg.legend(layout.plot.left, 20, chart.legend);
  draw_vertical_axis(svg, axis, layout.plot);
  for (size_t j = 0; j < chart.groups.size(); ++j) draw_group(svg, chart, layout, axis, j);
  if (chart.reference) {
    const double y = layout.plot.y(axis, *chart.reference);
    svg.line(layout.plot.left, y, layout.plot.right, y, "#333", 1.5, "6 4");
    svg.text(layout.plot.right + 6, y + 4, chart.reference_label, "start", 11, "fill=\"#333\"");
  }
  return svg.finish();
}

}  // namespace medllm::report
