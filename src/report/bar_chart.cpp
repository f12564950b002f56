#include <fmt/format.h>

#include <algorithm>

#include "report/chart_axes.hpp"
#include "report/charts.hpp"
#include "report/format.hpp"
#include "report/text_width.hpp"

namespace medllm::report {
namespace {

constexpr std::string_view kChanceColor = "#c0392b";

struct Layout {
  PlotArea plot;
  double height;
};

Layout layout_of(const BarChart& chart) {
  const double left = chart.label_width + 10;
  const double top = chart.legend.empty() ? 24 : 44;
  const double bottom = top + chart.row_height * static_cast<double>(chart.rows.size());
  return {{left, kChartWidth - 60, top, bottom}, bottom + 52};
}

double row_center(const BarChart& chart, const Layout& layout, size_t i) {
  return layout.plot.top + chart.row_height * (static_cast<double>(i) + 0.5);
}

void draw_label(Svg& svg, const BarChart& chart, const BarRow& row, double x, double center) {
  const double width = chart.label_width - 4;
  const std::string label = fit_text(row.label, chart.label_size, width);
  if (row.sublabel.empty()) {
    svg.text(x, center + chart.label_size * 0.35, label, "end", chart.label_size);
    return;
  }
  svg.text(x, center - 2, label, "end", chart.label_size, "font-weight=\"600\"");
  svg.text(x, center + 12, fit_text(row.sublabel, 11, width), "end", 11, "fill=\"#666\"");
}

// The bar, its whisker and chance marker; returns where the value label may start (the end of
// the bar or of the whisker, whichever is further right).
double draw_bar(Svg& svg, const BarChart& chart, const Axis& axis, const PlotArea& plot, const BarRow& row,
                double center) {
  const double bar_end = plot.x(axis, *row.value);
  svg.rect(plot.left, center - chart.bar_height / 2, bar_end - plot.left, chart.bar_height, row.color, row.tooltip);
  double anchor = bar_end;
  if (row.low && row.high) {
    const double x1 = plot.x(axis, *row.low), x2 = plot.x(axis, *row.high);
    const double cap = chart.bar_height / 2 - 2;
    svg.line(x1, center, x2, center, "#222", 1.5);
    svg.line(x1, center - cap, x1, center + cap, "#222", 1.5);
    svg.line(x2, center - cap, x2, center + cap, "#222", 1.5);
    anchor = std::max(anchor, x2);
  }
  if (row.chance) {
    const double x = plot.x(axis, *row.chance);
    svg.line(x, center - chart.row_height / 2 + 3, x, center + chart.row_height / 2 - 3, kChanceColor, 2, "4 3");
  }
  return anchor;
}

// The reference (overall) and chance lines, each labelled above the plot on the side away from
// the other line, so the two labels never overlap.
void draw_full_height_lines(Svg& svg, const BarChart& chart, const Axis& axis, const PlotArea& plot) {
  const bool chance_left = !chart.reference || !chart.chance_line || *chart.chance_line <= *chart.reference;
  if (chart.reference) {
    const double x = plot.x(axis, *chart.reference);
    svg.line(x, plot.top - 4, x, plot.bottom, "#333", 1.5, "6 4");
    svg.text(chance_left ? x + 4 : x - 4, plot.top - 8, chart.reference_label, chance_left ? "start" : "end", 11,
             "fill=\"#333\"");
  }
  if (chart.chance_line) {
    const double x = plot.x(axis, *chart.chance_line);
    svg.line(x, plot.top - 4, x, plot.bottom, kChanceColor, 1.5, "4 3");
    svg.text(chance_left ? x - 4 : x + 4, plot.top - 8, chart.chance_label, chance_left ? "end" : "start", 11,
             fmt::format("fill=\"{}\"", kChanceColor));
  }
}

// After the bars: right of the whisker with a halo, or inside the bar's end where no room is left.
void draw_value_label(Svg& svg, const std::string& label, double bar_end, double anchor, double center) {
  if (anchor + 8 + text_width(label, 12) <= kChartWidth - 4) {
    svg.text(anchor + 6, center + 4, label, "start", 12, fmt::format("font-weight=\"600\" {}", kHalo));
  } else {
    svg.text(bar_end - 6, center + 4, label, "end", 12, "fill=\"#fff\" font-weight=\"600\"");
  }
}

// Bars grow from zero; the axis covers every bar, whisker and line.
Axis value_axis(const BarChart& chart) {
  double hi = 0;
  for (const BarRow& row : chart.rows) {
    for (const auto& value : {row.value, row.high, row.chance}) hi = std::max(hi, value.value_or(0));
  }
  hi = std::max({hi, chart.reference.value_or(0), chart.chance_line.value_or(0)});
  return Axis(chart.axis, 0, hi);
}

}  // namespace

std::string bar_chart(const BarChart& chart) {
  const Layout layout = layout_of(chart);
  const PlotArea& plot = layout.plot;
  const Axis axis = value_axis(chart);
  Svg svg(kChartWidth, layout.height, chart.aria_label);
  for (size_t i = 1; i < chart.rows.size(); i += 2) {  // banded rows
    svg.rect(0, plot.top + chart.row_height * static_cast<double>(i), kChartWidth, chart.row_height, "#f6f7f9");
  }
  if (!chart.legend.empty()) svg.legend(plot.left, 20, chart.legend);
  draw_horizontal_axis(svg, axis, plot);
  // Bars first, then the full-height lines, then the value labels on top of everything.
  std::vector<std::pair<double, double>> anchors(chart.rows.size());  // (bar end, label start)
  for (size_t i = 0; i < chart.rows.size(); ++i) {
    const BarRow& row = chart.rows[i];
    const double center = row_center(chart, layout, i);
    draw_label(svg, chart, row, plot.left - 10, center);
    if (!row.value) {
      svg.text(plot.left + 6, center + 4, kNa, "start", 12, "fill=\"#999\"");
      continue;
    }
    anchors[i] = {plot.x(axis, *row.value), draw_bar(svg, chart, axis, plot, row, center)};
  }
  draw_full_height_lines(svg, chart, axis, plot);
  for (size_t i = 0; i < chart.rows.size(); ++i) {
    if (chart.rows[i].value) {
      draw_value_label(svg, chart.rows[i].value_label, anchors[i].first, anchors[i].second,
                       row_center(chart, layout, i));
    }
  }
  return svg.finish();
}

}  // namespace medllm::report
