// lm-evaluation-harness's keys in results.json, from hand-built results: task names, the
// 0/1-score stderr lm-eval computes, MMLU's subjects as its mmlu_<subject> tasks, and a group's
// size-weighted acc and pooled stderr worked out by hand.

#include <gtest/gtest.h>

#include <cmath>

#include "eval/lm_eval_view.hpp"
#include "eval/metrics.hpp"

namespace medllm::eval {
namespace {

BenchmarkResult bench(const std::string& name, int64_t correct, int64_t n) {
  return {.name = name,
          .n = n,
          .items_total = n,
          .method = "loglik",
          .metrics = {{"acc", Estimate::of(Proportion{correct, n})}},
          .primary_metric = "acc"};
}

EvalResults multimedqa_results() {
  EvalResults results;
  results.config.shots = 0;
  results.benchmarks = {bench("pubmedqa", 3, 5), bench("medmcqa", 2, 4), bench("medqa", 3, 10),
                        bench("mmlu_medical", 2, 5)};
  results.benchmarks[3].per_subject = {{"anatomy", 2, 0.5}, {"clinical_knowledge", 3, 1.0 / 3.0}};
  results.groups = {"multimedqa"};
  return results;
}

TEST(LmEvalView, TasksCarryLmEvalsKeysAndStderr) {
  const nlohmann::ordered_json view = lm_eval_view(multimedqa_results());
  const auto& medqa = view["results"]["medqa_4options"];
  EXPECT_DOUBLE_EQ(medqa["acc,none"].get<double>(), 0.3);
  // lm-eval's mean_stderr of ten 0/1 scores with mean 0.3: sqrt(10 · 0.21 / 9) / sqrt(10).
  EXPECT_NEAR(medqa["acc_stderr,none"].get<double>(), std::sqrt(0.21 / 9), 1e-15);
  EXPECT_EQ(view["n-shot"]["medqa_4options"], 0);
  EXPECT_EQ(view["n-samples"]["medqa_4options"]["effective"], 10);
  EXPECT_EQ(view["configs"]["medqa_4options"]["output_type"], "multiple_choice");
  EXPECT_TRUE(view["versions"]["medqa_4options"].is_null());  // its YAML has no version
  EXPECT_EQ(view["versions"]["pubmedqa"], 1.0);
  EXPECT_EQ(view["higher_is_better"]["medmcqa"]["acc"], true);
  // MMLU's subjects are lm-eval's tasks, grouped under mmlu_medical.
  EXPECT_DOUBLE_EQ(view["results"]["mmlu_anatomy"]["acc,none"].get<double>(), 0.5);
  EvalResults alone = multimedqa_results();  // without multimedqa, the subjects form mmlu_medical
  alone.groups.clear();
  EXPECT_EQ(lm_eval_view(alone)["group_subtasks"]["mmlu_medical"],
            nlohmann::ordered_json::array({"mmlu_anatomy", "mmlu_clinical_knowledge"}));
  EXPECT_EQ(view["group_subtasks"]["medqa_4options"], nlohmann::ordered_json::array());
}

TEST(LmEvalView, GroupsWeighBySizeAndPoolTheStderr) {
  const nlohmann::ordered_json view = lm_eval_view(multimedqa_results());
  ASSERT_TRUE(view["groups"].contains("multimedqa"));
  const auto& group = view["groups"]["multimedqa"];
  // Leaves: pubmedqa 3/5, medmcqa 2/4, medqa_4options 3/10, mmlu_anatomy 1/2, mmlu_clinical_knowledge
  // 1/3: acc = (3 + 2 + 3 + 1 + 1) / 24.
  EXPECT_NEAR(group["acc,none"].get<double>(), 10.0 / 24.0, 1e-15);
  // Pooled: Σ (n - 1) se² n = Σ n p (1 - p) = 5·0.24 + 4·0.25 + 10·0.21 + 2·0.25 + 3·(2/9), over
  // (N - k) = 24 - 5, then over N = 24.
  const double pooled = (1.2 + 1.0 + 2.1 + 0.5 + 2.0 / 3.0) / 19.0 / 24.0;
  EXPECT_NEAR(group["acc_stderr,none"].get<double>(), std::sqrt(pooled), 1e-12);
  EXPECT_EQ(view["results"]["multimedqa"], group);
  EXPECT_EQ(view["group_subtasks"]["multimedqa"].size(), 5u);
  EXPECT_FALSE(view["group_subtasks"].contains("mmlu_medical"));  // lm-eval lists the subjects directly
}

TEST(LmEvalView, KappaHasNoStderrAndAGroupWithoutItsMembersIsLeftOut) {
  EvalResults results;
  BenchmarkResult crade{.name = "jmed_llm_crade", .n = 4, .items_total = 100, .method = "generate"};
  crade.metrics = {{"kappa", {.value = 0.25, .n = 4}}, {"acc", Estimate::of(Proportion{2, 4})}};
  results.benchmarks = {crade};
  results.groups = {"multimedqa"};
  const nlohmann::ordered_json view = lm_eval_view(results);
  EXPECT_EQ(view["results"]["jmed_llm_crade"]["kappa,none"], 0.25);
  EXPECT_EQ(view["results"]["jmed_llm_crade"]["kappa_stderr,none"], "N/A");
  EXPECT_EQ(view["configs"]["jmed_llm_crade"]["output_type"], "generate_until");
  EXPECT_EQ(view["n-samples"]["jmed_llm_crade"]["original"], 100);
  EXPECT_FALSE(view.contains("groups"));
  EXPECT_TRUE(view["versions"]["jmed_llm_crade"].is_null());
  results.benchmarks[0].metrics[0].second.value.reset();  // one label throughout
  EXPECT_TRUE(lm_eval_view(results)["results"]["jmed_llm_crade"]["kappa,none"].is_null());
}

TEST(LmEvalView, MmluProGeneratedIsExactMatchAfterCustomExtract) {
  EvalResults results;
  BenchmarkResult pro = bench("mmlu_pro_health", 1, 4);
  pro.method = "generate";
  results.benchmarks = {pro};
  const nlohmann::ordered_json view = lm_eval_view(results);
  EXPECT_EQ(view["results"]["mmlu_pro_health"]["exact_match,custom-extract"], 0.25);
  EXPECT_NEAR(view["results"]["mmlu_pro_health"]["exact_match_stderr,custom-extract"].get<double>(),
              std::sqrt(0.25 * 0.75 / 3), 1e-15);
  EXPECT_EQ(view["versions"]["mmlu_pro_health"], 3.1);
}

}  // namespace
}  // namespace medllm::eval
