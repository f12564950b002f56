#include "core/svg_chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/html_text.hpp"

namespace medllm {

std::string line_chart(const std::string& title, const std::vector<Series>& series, bool log_y) {
  constexpr double kWidth = 720, kHeight = 300, kLeft = 64, kRight = 16, kTop = 28, kBottom = 40;
  double x_min = 1e300, x_max = -1e300, y_min = 1e300, y_max = -1e300;
  for (const auto& s : series) {
    for (const auto& [x, y] : s.points) {
      if (!std::isfinite(y) || (log_y && y <= 0)) continue;
      x_min = std::min(x_min, x);
      x_max = std::max(x_max, x);
      y_min = std::min(y_min, log_y ? std::log10(y) : y);
      y_max = std::max(y_max, log_y ? std::log10(y) : y);
    }
  }
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" role=\"img\" "
      "aria-label=\"{2}\"><text x=\"{3}\" y=\"18\" font-size=\"14\" font-weight=\"bold\">{2}</text>",
      kWidth, kHeight, html_escape(title), kLeft);
  if (x_min > x_max) return svg + "<text x=\"64\" y=\"60\">no data</text></svg>";
  if (x_max == x_min) x_max = x_min + 1;
  if (y_max == y_min) {
    y_max += 0.5;
    y_min -= 0.5;
  }
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  const auto px = [&](double x) { return kLeft + (x - x_min) / (x_max - x_min) * plot_w; };
  const auto py = [&](double y) {
    return kTop + (1.0 - ((log_y ? std::log10(y) : y) - y_min) / (y_max - y_min)) * plot_h;
  };
  svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#fafbfc\" stroke=\"#d0d4d9\"/>", kLeft,
                     kTop, plot_w, plot_h);
  for (int i = 0; i <= 4; ++i) {  // y ticks
    const double v = y_min + (y_max - y_min) * i / 4.0;
    const double value = log_y ? std::pow(10.0, v) : v;
    const double y = kTop + (1.0 - i / 4.0) * plot_h;
    svg += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#e6e8eb\"/>", kLeft, y,
                       kLeft + plot_w, y);
    svg += fmt::format("<text x=\"{}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"end\">{:.4g}</text>", kLeft - 6,
                       y + 4, value);
  }
  for (int i = 0; i <= 4; ++i) {  // x ticks
    const double x = x_min + (x_max - x_min) * i / 4.0;
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{:.0f}</text>", px(x),
                       kTop + plot_h + 16, x);
  }
  svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">step</text>", kLeft + plot_w / 2,
                     kHeight - 6);
  double legend_x = kLeft + 200;
  for (const auto& s : series) {
    std::string points;
    for (const auto& [x, y] : s.points) {
      if (!std::isfinite(y) || (log_y && y <= 0)) continue;
      points += fmt::format("{:.1f},{:.1f} ", px(x), py(y));
    }
    svg += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"/>", s.color, points);
    if (s.points.size() <= 40) {
      for (const auto& [x, y] : s.points) {
        if (std::isfinite(y) && (!log_y || y > 0))
          svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.5\" fill=\"{}\"/>", px(x), py(y), s.color);
      }
    }
    svg += fmt::format(
        "<rect x=\"{}\" y=\"9\" width=\"12\" height=\"3\" fill=\"{}\"/><text x=\"{}\" y=\"16\" "
        "font-size=\"12\">{}</text>",
        legend_x, s.color, legend_x + 16, html_escape(s.name));
    legend_x += 150;
  }
  return svg + "</svg>";
}

}  // namespace medllm
