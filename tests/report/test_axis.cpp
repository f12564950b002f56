// Chart axes: ticks are round (1, 2 or 5 × 10^k, evenly spaced) and cover the data without
// wasting more than a step on either side; an axis is logarithmic only when its title says
// "log scale", and the charts draw what the axis says.

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "report/axis.hpp"
#include "report/charts.hpp"
#include "report/training_report.hpp"

namespace medllm::report {
namespace {

// The mantissa of a positive value: 1 <= m < 10.
double mantissa(double value) {
  return value / std::pow(10.0, std::floor(std::log10(value) + 1e-12));
}

bool round_step(double step) {
  const double m = mantissa(step);
  return std::fabs(m - 1) < 1e-9 || std::fabs(m - 2) < 1e-9 || std::fabs(m - 5) < 1e-9 || std::fabs(m - 10) < 1e-9;
}

void expect_round_linear_ticks(double lo, double hi, int intervals) {
  SCOPED_TRACE(testing::Message() << "range [" << lo << ", " << hi << "], " << intervals << " intervals");
  const std::vector<double> ticks = linear_ticks(lo, hi, intervals);
  ASSERT_GE(ticks.size(), 2u);
  const double step = ticks[1] - ticks[0];
  EXPECT_TRUE(round_step(step)) << step;
  for (size_t i = 0; i < ticks.size(); ++i) {
    // Every tick a whole multiple of the step, the steps all equal.
    EXPECT_NEAR(ticks[i] / step, std::round(ticks[i] / step), 1e-6) << ticks[i];
    if (i > 0) {
      EXPECT_NEAR(ticks[i] - ticks[i - 1], step, step * 1e-9);
    }
  }
  EXPECT_LE(ticks.front(), lo);
  EXPECT_GE(ticks.back(), hi);
  EXPECT_GT(ticks.front(), lo - step);  // no empty step below the data ...
  EXPECT_LT(ticks.back(), hi + step);   // ... or above it
  EXPECT_LE(ticks.size(), static_cast<size_t>(2 * intervals + 2));
}

TEST(Axis, NiceStepsAreOneTwoOrFiveTimesAPowerOfTen) {
  EXPECT_DOUBLE_EQ(nice_step(1), 1);
  EXPECT_DOUBLE_EQ(nice_step(1.01), 2);
  EXPECT_DOUBLE_EQ(nice_step(2.5), 5);
  EXPECT_DOUBLE_EQ(nice_step(7), 10);
  EXPECT_DOUBLE_EQ(nice_step(0.3), 0.5);
  EXPECT_NEAR(nice_step(0.0012), 0.002, 1e-15);
  EXPECT_DOUBLE_EQ(nice_step(105.8), 200);
}

TEST(Axis, LinearTicksAreRoundAndCoverTheData) {
  expect_round_linear_ticks(0, 1, 5);
  expect_round_linear_ticks(0, 100, 10);
  expect_round_linear_ticks(0, 529, 5);
  expect_round_linear_ticks(1.3, 6.9, 5);
  expect_round_linear_ticks(-3.7, 12.2, 5);
  expect_round_linear_ticks(0.000012, 0.00031, 5);  // learning rates
  expect_round_linear_ticks(1, 600, 5);             // steps
  expect_round_linear_ticks(123456, 987654321, 4);
  std::mt19937_64 random(7);
  std::uniform_real_distribution<double> exponent(-6, 6), unit(-1, 1);
  for (int i = 0; i < 500; ++i) {
    const double scale = std::pow(10.0, exponent(random));
    const double a = unit(random) * scale, b = unit(random) * scale;
    expect_round_linear_ticks(std::min(a, b), std::max(a, b), 2 + i % 9);
  }
}

TEST(Axis, ASingleValueGetsARoundIntervalAroundIt) {
  for (double value : {0.0, 5.0, -2.0, 0.37}) {
    const std::vector<double> ticks = linear_ticks(value, value, 5);
    EXPECT_LT(ticks.front(), value);
    EXPECT_GT(ticks.back(), value);
    EXPECT_TRUE(round_step(ticks[1] - ticks[0]));
  }
}

TEST(Axis, WholeNumberAxesHaveNoTickBetweenIntegers) {
  const Axis steps({.label = "step", .whole_numbers = true}, 1, 3);
  for (double tick : steps.ticks()) EXPECT_EQ(tick, std::round(tick));
  EXPECT_EQ(steps.tick_label(2), "2");
}

TEST(Axis, LogTicksAreRoundAndCoverTheData) {
  const std::vector<std::pair<double, double>> ranges = {{1.3, 6.2}, {0.5, 12},   {2.1, 2.4},
                                                         {1e-5, 3},  {3e-9, 2e4}, {0.02, 0.9}};
  for (const auto& [lo, hi] : ranges) {
    SCOPED_TRACE(testing::Message() << "range [" << lo << ", " << hi << "]");
    const std::vector<double> ticks = log_ticks(lo, hi);
    ASSERT_GE(ticks.size(), 2u);
    for (double tick : ticks) EXPECT_TRUE(round_step(tick)) << tick;
    for (size_t i = 1; i < ticks.size(); ++i) EXPECT_GT(ticks[i], ticks[i - 1]);
    EXPECT_LE(ticks.front(), lo * (1 + 1e-12));
    EXPECT_GE(ticks.back(), hi * (1 - 1e-12));
    EXPECT_LE(ticks.size(), 10u);
  }
  EXPECT_EQ(log_ticks(1.3, 6.2), (std::vector<double>{1, 2, 5, 10}));
}

TEST(Axis, IsLogarithmicOnlyWhenTitledSo) {
  const Axis linear({.label = "loss", .unit = "nats per token"}, 1, 100);
  const Axis log({.label = "loss", .unit = "nats per token", .scale = Scale::log}, 1, 100);
  EXPECT_EQ(linear.title(), "loss (nats per token)");
  EXPECT_EQ(log.title(), "loss (nats per token, log scale)");
  EXPECT_EQ(Axis({.label = "loss", .scale = Scale::log}, 1, 100).title(), "loss (log scale)");
  // Where 10 lies between 1 and 100 tells the scales apart.
  EXPECT_NEAR(log.fraction(10), 0.5, 1e-12);
  EXPECT_NEAR(linear.fraction(10), 0.1, 1e-12);  // ticks 0, 20, ..., 100
}

// The tick labels of a line chart's y axis: the text elements drawn right-aligned at the left edge.
std::vector<std::string> y_tick_labels(const std::string& svg) {
  std::vector<std::string> labels;
  const std::string marker = "font-size=\"11.0\" text-anchor=\"end\" fill=\"#555\">";
  for (size_t at = svg.find(marker); at != std::string::npos; at = svg.find(marker, at + 1)) {
    const size_t start = at + marker.size();
    labels.push_back(svg.substr(start, svg.find('<', start) - start));
  }
  return labels;
}

TrainingLog log_with_losses(const std::vector<double>& losses) {
  TrainingLog log;
  for (size_t i = 0; i < losses.size(); ++i)
    log.steps.push_back({.step = static_cast<int64_t>(i + 1), .loss = losses[i], .learning_rate = 1e-3});
  return log;
}

TEST(LineChart, DrawsALogAxisOnlyWhereTheLossesSpanADecade) {
  const LineChart wide = loss_chart(log_with_losses({9.5, 4.0, 1.2, 0.4}));
  const LineChart narrow = loss_chart(log_with_losses({2.5, 2.3, 2.2, 2.05}));
  EXPECT_EQ(wide.y.scale, Scale::log);
  EXPECT_EQ(narrow.y.scale, Scale::linear);
  const std::string wide_svg = line_chart(wide), narrow_svg = line_chart(narrow);
  EXPECT_NE(wide_svg.find(">loss (nats per token, log scale)</text>"), std::string::npos);
  EXPECT_NE(narrow_svg.find(">loss (nats per token)</text>"), std::string::npos);
  EXPECT_EQ(narrow_svg.find("log"), std::string::npos);
  EXPECT_EQ(y_tick_labels(wide_svg), (std::vector<std::string>{"0.2", "0.5", "1", "2", "5", "10"}));
  EXPECT_EQ(y_tick_labels(narrow_svg), (std::vector<std::string>{"2.0", "2.1", "2.2", "2.3", "2.4", "2.5"}));
}

TEST(LineChart, SkipsWhatItCannotDraw) {
  LineChart chart{.title = "t", .x = {.label = "step"}, .y = {.label = "v", .scale = Scale::log}};
  chart.series.push_back({"s", "#000", {{1, 0.0}, {2, -1.0}, {3, NAN}, {4, 10.0}, {5, 100.0}}});
  const std::string svg = line_chart(chart);
  EXPECT_EQ(y_tick_labels(svg), (std::vector<std::string>{"10", "20", "50", "100"}));
  chart.series[0].points = {{1, 0.0}};
  EXPECT_NE(line_chart(chart).find(">no data</text>"), std::string::npos);
}

}  // namespace
}  // namespace medllm::report
