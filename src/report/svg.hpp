#pragma once
// A small writer of inline SVG for the charts: shapes with escaped text and tooltips, and
// legends laid out left to right. Coordinates are written with one decimal.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace medllm::report {

enum class LegendMark {
  box,      // a filled square: bars
  line,     // a short solid line: a line series
  hdash,    // a dashed horizontal line: a reference line across the plot
  vdash,    // a dashed vertical line: a marker on a bar (chance level)
  whisker,  // an interval with end caps
};

struct LegendItem {
  LegendMark mark = LegendMark::box;
  std::string color = {};
  std::string label = {};  // plain text
};

class Svg {
 public:
  // label: the chart's accessible name (aria-label).
  Svg(double width, double height, std::string_view label);

  void rect(double x, double y, double width, double height, std::string_view fill, std::string_view tooltip = {});
  void line(double x1, double y1, double x2, double y2, std::string_view stroke, double width = 1,
            std::string_view dash = {});
  void polyline(const std::vector<std::pair<double, double>>& points, std::string_view stroke, double width);
  void circle(double cx, double cy, double r, std::string_view fill);
  // anchor: start | middle | end; extra: further attributes, already escaped.
  void text(double x, double y, std::string_view content, std::string_view anchor = "start", double size = 12,
            std::string_view extra = {});
  // Text turned 90° counter-clockwise about (x, y): a vertical axis title.
  void vertical_text(double x, double y, std::string_view content, double size = 12);
  // Items left to right from (x, y), y being the text baseline.
  void legend(double x, double y, const std::vector<LegendItem>& items);

  std::string finish();

 private:
  void legend_mark(double x, double y, const LegendItem& item);
  std::string out_;
};

// One decimal: enough for a screen, short in the file.
std::string svg_number(double value);

// A white outline behind value labels keeps them legible over grid lines and whiskers.
inline constexpr std::string_view kHalo =
    "stroke=\"#fff\" stroke-width=\"3\" stroke-linejoin=\"round\" paint-order=\"stroke\"";

}  // namespace medllm::report
