// AdamW, learning-rate schedules and gradient clipping against torch.optim.AdamW, LambdaLR with
// transformers' schedule functions and clip_grad_norm_ (tests/reference/make_training_references.py):
// the same gradients are fed to both, and every parameter after every step must agree.

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <medllm/error.hpp>
#include <nlohmann/json.hpp>

#include "support/test_support.hpp"
#include "train/optimizer.hpp"
#include "train/schedule.hpp"

namespace medllm {
namespace {

namespace fs = std::filesystem;

constexpr double kParameterTolerance = 2e-6;  // absolute; parameters are O(1), f32 arithmetic

nlohmann::json load_runs() {
  const fs::path file = fs::path(MEDLLM_REFERENCE_DIR).parent_path() / "training_reference/optimizer/adamw.json";
  std::ifstream in(file);
  if (!in) throw std::runtime_error("missing " + file.string() + ": run reference.training");
  return nlohmann::json::parse(in)["runs"];
}

TEST(AdamW, MatchesTorchWithSchedulesAndClipping) {
  const nlohmann::json runs = load_runs();
  ASSERT_EQ(runs.size(), 3u);
  for (const auto& run : runs) {
    const auto& s = run["settings"];
    SCOPED_TRACE(s.dump());
    Parameter matrix{"m", Shape{5, 7}, run["initial"][0].get<std::vector<float>>(), {}, true};
    Parameter vector{"v", Shape{7}, run["initial"][1].get<std::vector<float>>(), {}, false};
    matrix.grad.assign(35, 0.0f);
    vector.grad.assign(7, 0.0f);
    const std::vector<Parameter*> params = {&matrix, &vector};
    AdamW optimizer(params, AdamWOptions{.beta1 = s["betas"][0].get<double>(),
                                         .beta2 = s["betas"][1].get<double>(),
                                         .eps = s["eps"].get<double>(),
                                         .weight_decay = s["weight_decay"].get<double>()});
    LearningRateSchedule schedule{.lr = s["lr"].get<double>(),
                                  .kind = parse_schedule_kind(s["schedule"].get<std::string>()),
                                  .warmup_steps = s["warmup"].get<int64_t>(),
                                  .total_steps = s["steps"].get<int64_t>()};
    const double max_norm = s["max_grad_norm"].get<double>();
    int64_t step = 0;
    for (const auto& expected : run["steps"]) {
      matrix.grad = expected["grads"][0].get<std::vector<float>>();
      vector.grad = expected["grads"][1].get<std::vector<float>>();
      const double norm = max_norm > 0 ? clip_grad_norm(params, max_norm) : global_grad_norm(params);
      EXPECT_NEAR(norm, expected["grad_norm"].get<double>(), 1e-5) << "step " << step;
      const double lr = schedule.at(step);
      EXPECT_NEAR(lr, expected["lr"].get<double>(), 1e-12) << "step " << step;
      optimizer.step(lr);
      const auto want_matrix = expected["params"][0].get<std::vector<float>>();
      const auto want_vector = expected["params"][1].get<std::vector<float>>();
      for (size_t i = 0; i < want_matrix.size(); ++i)
        ASSERT_NEAR(matrix.value[i], want_matrix[i], kParameterTolerance) << "step " << step << " matrix[" << i << "]";
      for (size_t i = 0; i < want_vector.size(); ++i)
        ASSERT_NEAR(vector.value[i], want_vector[i], kParameterTolerance) << "step " << step << " vector[" << i << "]";
      ++step;
    }
    EXPECT_EQ(optimizer.steps(), step);
  }
}

// Spread over threads, the update and the norm are the same numbers.
TEST(AdamW, PoolDoesNotChangeTheUpdate) {
  std::vector<std::vector<float>> results;
  std::vector<double> norms;
  for (const bool use_pool : {false, true}) {
    std::vector<float> values(200000), grads(200000);
    for (size_t i = 0; i < values.size(); ++i) {
      values[i] = std::sin(static_cast<float>(i));
      grads[i] = std::cos(static_cast<float>(i) * 0.7f);
    }
    Parameter p{"p", Shape{200000}, values, grads, true};
    ThreadPool pool(2);
    AdamW optimizer({&p}, AdamWOptions{.weight_decay = 0.1});
    norms.push_back(clip_grad_norm({&p}, 10.0, use_pool ? &pool : nullptr));
    optimizer.step(1e-3, use_pool ? &pool : nullptr);
    results.push_back(p.value);
  }
  EXPECT_EQ(norms[0], norms[1]);
  EXPECT_EQ(results[0], results[1]);
}

TEST(LearningRateSchedule, WarmupThenDecayShapes) {
  LearningRateSchedule cosine{.lr = 1.0, .kind = ScheduleKind::Cosine, .warmup_steps = 10, .total_steps = 110};
  EXPECT_DOUBLE_EQ(cosine.at(0), 0.0);
  EXPECT_DOUBLE_EQ(cosine.at(5), 0.5);
  EXPECT_DOUBLE_EQ(cosine.at(10), 1.0);
  EXPECT_NEAR(cosine.at(60), 0.5, 1e-12);
  EXPECT_NEAR(cosine.at(110), 0.0, 1e-12);
  cosine.min_lr_ratio = 0.1;
  EXPECT_NEAR(cosine.at(110), 0.1, 1e-12);
  LearningRateSchedule linear{.lr = 2.0, .kind = ScheduleKind::Linear, .warmup_steps = 0, .total_steps = 4};
  EXPECT_DOUBLE_EQ(linear.at(0), 2.0);
  EXPECT_DOUBLE_EQ(linear.at(3), 0.5);
  EXPECT_THROW(parse_schedule_kind("exponential"), Error);
}

TEST(AdamW, RejectsFrozenParametersAndBadSettings) {
  Parameter frozen{"frozen", Shape{2}, {1.0f, 2.0f}, {}, false};
  EXPECT_THROW(AdamW({&frozen}, AdamWOptions{}), Error);
  Parameter p{"p", Shape{1}, {1.0f}, {0.0f}, true};
  EXPECT_THROW(AdamW({&p}, AdamWOptions{.beta1 = 1.0}), Error);
  EXPECT_THROW(AdamW({&p}, AdamWOptions{.eps = 0.0}), Error);
}

}  // namespace
}  // namespace medllm
