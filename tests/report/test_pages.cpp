// The evaluation, training and pipeline pages are built in one shell: each has exactly one
// <style> element, holding the shared stylesheet, and no inline style attributes; the pages show
// their data, escaped.

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "eval/results.hpp"
#include "report/eval_report.hpp"
#include "report/page.hpp"
#include "report/pipeline_report.hpp"
#include "report/training_report.hpp"
#include "support/test_support.hpp"

namespace medllm::report {
namespace {

namespace fs = std::filesystem;

size_t occurrences(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

void expect_shared_shell(const std::string& html) {
  ASSERT_GT(stylesheet().size(), 100u);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">", 0), 0u);
  EXPECT_EQ(occurrences(html, "<style"), 1u);
  EXPECT_NE(html.find("<style>" + std::string(stylesheet()) + "</style>"), std::string::npos);
  EXPECT_EQ(occurrences(html, " style="), 0u);  // no styling outside the stylesheet
  for (const char* element : {"<header>", "<main>", "</main>", "<body>", "</body>"}) {
    EXPECT_EQ(occurrences(html, element), 1u) << element;
  }
}

TrainingLog small_log() {
  TrainingLog log;
  for (int64_t step = 1; step <= 20; ++step) {
    log.steps.push_back({.step = step,
                         .loss = 6.0 / static_cast<double>(step),
                         .learning_rate = 1e-3 * static_cast<double>(step) / 20,
                         .tokens_per_second = 1234,
                         .elapsed_seconds = 0.5 * static_cast<double>(step)});
  }
  log.evals = {{0, 6.5}, {10, 1.1}, {20, 0.4}};
  return log;
}

TEST(Pages, EvaluationPageUsesTheSharedShell) {
  const eval::EvalResults results = eval::results_from_json(nlohmann::json::parse(R"({
    "model": {"path": "/m/tiny"}, "config": {"method": "loglik"},
    "benchmarks": {"medqa": {"n": 10, "metrics": {"acc": {"value": 0.4, "ci95": [0.17, 0.69]}},
                             "per_subject": {"a": {"n": 10, "acc": 0.4}}}}})"));
  const std::string html = eval_html(results);
  expect_shared_shell(html);
  EXPECT_EQ(occurrences(html, "<svg "), 2u);
  EXPECT_NE(html.find("<title>Evaluation report: tiny</title>"), std::string::npos);
  EXPECT_NE(html.find("<footer id=\"method\">"), std::string::npos);
}

TEST(Pages, TrainingPageUsesTheSharedShell) {
  const nlohmann::json settings = {{"model", "<model>"}, {"data", "runs/d"}, {"finetuning_type", "lora"}};
  const std::string html = training_report_html(small_log(), settings);
  expect_shared_shell(html);
  EXPECT_EQ(occurrences(html, "<svg "), 2u);  // loss, learning rate
  EXPECT_NE(html.find("model &lt;model&gt;, data runs/d, lora fine-tuning"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">0.4000 (1.492)</td>"), std::string::npos);  // last held-out loss
  EXPECT_NE(html.find("1234 tokens/s, 10.0 s"), std::string::npos);
  EXPECT_NE(html.find("log scale"), std::string::npos);  // the loss falls from 6.5 to 0.3
  EXPECT_EQ(html.find("<model>"), std::string::npos);
}

TEST(Pages, TrainingReportIsWrittenFromMetricsJsonl) {
  const fs::path dir = test::fresh_temp_dir("training-report");
  std::string lines;
  for (const TrainStepRecord& row : small_log().steps) lines += to_json(row).dump() + "\n";
  lines += to_json(EvalRecord{20, 0.4}).dump() + "\n{\"step\": 21, \"lo";  // cut by a kill
  test::write_file(dir / "metrics.jsonl", lines);
  write_training_report(dir.string(), {{"model", "m"}});
  const TrainingLog log = read_training_log((dir / "metrics.jsonl").string());
  ASSERT_EQ(log.steps.size(), 20u);
  ASSERT_EQ(log.evals.size(), 1u);
  EXPECT_EQ(log.steps[4].loss, 6.0 / 5);
  EXPECT_EQ(test::read_file(dir / "training_report.html"), training_report_html(log, {{"model", "m"}}));
}

PipelineRun small_run(const fs::path& stage_dir) {
  PipelineRun run{.name = "quick <start>",
                  .base_model = "base",
                  .adapted_model = "runs/q/cpt/train",
                  .seed = 42,
                  .total_seconds = 83};
  run.before = {.model = "base",
                .heldout = HeldoutMeasurement{2.0, 7.389, 5000, 40, "runs/q/cpt/data"},
                .benchmarks = {{.name = "medqa", .metric = "acc", .value = 0.25, .n = 20, .chance = 0.25}},
                .eval_dir = "runs/q/eval/before",
                .samples = {{"What are the symptoms of diabetes?\nAnswer:", "before & after"}}};
  run.after = run.before;
  run.after.heldout->perplexity = 3.0;
  run.after.benchmarks[0].value = 0.35;
  run.after.samples[0].completion = "thirst <b>";
  run.stages = {
      {.name = "cpt", .objective = "cpt", .finetuning_type = "full", .steps = 20, .output_dir = stage_dir.string()}};
  run.recipe = {{"name", "quick"}};
  return run;
}

TEST(Pages, PipelinePageUsesTheSharedShell) {
  const fs::path stage_dir = test::fresh_temp_dir("pipeline-stage");
  std::string lines;
  for (const TrainStepRecord& row : small_log().steps) lines += to_json(row).dump() + "\n";
  test::write_file(stage_dir / "metrics.jsonl", lines);
  const std::string html = pipeline_report_html(small_run(stage_dir));
  expect_shared_shell(html);
  EXPECT_EQ(occurrences(html, "<svg "), 1u);  // the stage's loss curve
  EXPECT_NE(html.find("<h1>quick &lt;start&gt;: before and after adaptation</h1>"), std::string::npos);
  EXPECT_NE(html.find("held-out perplexity (5000 tokens; lower is better)"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">7.389</td><td class=\"num\">3.000</td><td>2.46× lower</td>"),
            std::string::npos);
  EXPECT_NE(html.find("medqa acc (n = 20, chance 25%)"), std::string::npos);
  EXPECT_NE(html.find("+10.0 points"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"text\">What are the symptoms of diabetes?\nAnswer:</td>"), std::string::npos);
  EXPECT_NE(html.find("thirst &lt;b&gt;"), std::string::npos);
  EXPECT_NE(html.find("1234 tokens/s"), std::string::npos);
}

}  // namespace
}  // namespace medllm::report
