#include "report/svg.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "report/escape.hpp"
#include "report/text_width.hpp"

namespace medllm::report {

std::string svg_number(double value) {
  return fmt::format("{:.1f}", value);
}

Svg::Svg(double width, double height, std::string_view label) {
  out_ = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" role=\"img\" "
      "aria-label=\"{2}\">\n",
      svg_number(width), svg_number(height), html_escape(label));
}

void Svg::rect(double x, double y, double width, double height, std::string_view fill, std::string_view tooltip) {
  out_ += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"", svg_number(x), svg_number(y),
                      svg_number(std::max(0.0, width)), svg_number(std::max(0.0, height)), fill);
  out_ += tooltip.empty() ? "/>\n" : fmt::format("><title>{}</title></rect>\n", html_escape(tooltip));
}

void Svg::line(double x1, double y1, double x2, double y2, std::string_view stroke, double width,
               std::string_view dash) {
  out_ += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"{}\"", svg_number(x1),
                      svg_number(y1), svg_number(x2), svg_number(y2), stroke, svg_number(width));
  if (!dash.empty()) out_ += fmt::format(" stroke-dasharray=\"{}\"", dash);
  out_ += "/>\n";
}

void Svg::polyline(const std::vector<std::pair<double, double>>& points, std::string_view stroke, double width) {
  std::string coordinates;
  for (const auto& [x, y] : points) coordinates += fmt::format("{},{} ", svg_number(x), svg_number(y));
  if (!coordinates.empty()) coordinates.pop_back();
  out_ += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" points=\"{}\"/>\n", stroke,
                      svg_number(width), coordinates);
}

void Svg::circle(double cx, double cy, double r, std::string_view fill) {
  out_ += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\"/>\n", svg_number(cx), svg_number(cy),
                      svg_number(r), fill);
}

void Svg::text(double x, double y, std::string_view content, std::string_view anchor, double size,
               std::string_view extra) {
  out_ += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"{}\"", svg_number(x), svg_number(y), svg_number(size));
  if (anchor != "start") out_ += fmt::format(" text-anchor=\"{}\"", anchor);
  if (!extra.empty()) out_ += fmt::format(" {}", extra);
  out_ += fmt::format(">{}</text>\n", html_escape(content));
}

void Svg::vertical_text(double x, double y, std::string_view content, double size) {
  text(x, y, content, "middle", size,
       fmt::format("fill=\"#333\" transform=\"rotate(-90 {} {})\"", svg_number(x), svg_number(y)));
}

void Svg::legend_mark(double x, double y, const LegendItem& item) {
  switch (item.mark) {
    case LegendMark::box:
      rect(x, y - 10, 14, 12, item.color);
      break;
    case LegendMark::line:
      line(x, y - 4, x + 16, y - 4, item.color, 2.5);
      break;
    case LegendMark::hdash:
      line(x, y - 4, x + 16, y - 4, item.color, 2, "5 3");
      break;
    case LegendMark::vdash:
      line(x + 7, y - 12, x + 7, y + 3, item.color, 2, "4 3");
      break;
    case LegendMark::whisker:
      line(x, y - 4, x + 14, y - 4, item.color, 1.5);
      line(x, y - 8, x, y, item.color, 1.5);
      line(x + 14, y - 8, x + 14, y, item.color, 1.5);
      break;
  }
}

void Svg::legend(double x, double y, const std::vector<LegendItem>& items) {
  for (const LegendItem& item : items) {
    legend_mark(x, y, item);
    text(x + 20, y, item.label, "start", 12);
    x += 20 + text_width(item.label, 12) + 22;
  }
}

std::string Svg::finish() {
  return out_ + "</svg>\n";
}

}  // namespace medllm::report
