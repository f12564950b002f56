// Continuous batching on the real stories260K model: every request's tokens equal its
// single-request generation however many run together, prompt log-probabilities equal the
// log-softmax of a plain forward pass, and stop strings, cancellation and bad prompts end only
// their own request.

#include <gtest/gtest.h>

#include <cmath>
#include <condition_variable>
#include <medllm/generate.hpp>
#include <medllm/model.hpp>
#include <medllm/session.hpp>
#include <medllm/tokenizer.hpp>
#include <mutex>

#include "runtime/batch_engine.hpp"
#include "support/test_support.hpp"

namespace medllm {
namespace {

const std::vector<std::string> kPrompts = {
    "Once upon a time",
    "The little dog",
    "Lily and Tom went to the park",
    "One day, a big bird",
    "Sam had a red ball",
    "The sun was",
    "Mom said",
    "There was a cat who liked to",
    "Tim saw a",
    "The girl was sad because",
    "In the forest",
    "Ben and his friend",
    "A small fish",
    "The old man",
    "She wanted to",
    "It was a rainy day and",
};

struct BatchEngineOnStories : testing::Test {
  static void SetUpTestSuite() {
    model = Model::load(test::stories260k_path().string(), LoadOptions{.threads = 2}).release();
    tokenizer = Tokenizer::load(*model).release();
  }
  static void TearDownTestSuite() {
    delete tokenizer;
    delete model;
  }
  static Model* model;
  static Tokenizer* tokenizer;
};
Model* BatchEngineOnStories::model = nullptr;
Tokenizer* BatchEngineOnStories::tokenizer = nullptr;

// Submits every job and waits for all of them.
std::vector<JobResult> run_all(BatchEngine& engine, std::vector<std::shared_ptr<Job>> jobs) {
  std::mutex mutex;
  std::condition_variable done;
  std::vector<JobResult> results(jobs.size());
  size_t finished = 0;
  for (size_t i = 0; i < jobs.size(); ++i) {
    jobs[i]->on_done = [&, i](const JobResult& result) {
      std::lock_guard lock(mutex);
      results[i] = result;
      ++finished;
      done.notify_all();
    };
    EXPECT_TRUE(engine.submit(jobs[i])) << i;
  }
  std::unique_lock lock(mutex);
  done.wait(lock, [&] { return finished == jobs.size(); });
  return results;
}

std::shared_ptr<Job> greedy_job(const Tokenizer& tokenizer, const std::string& prompt, int64_t max_tokens) {
  auto job = std::make_shared<Job>();
  job->spec.prompt = tokenizer.encode(prompt, true);
  job->spec.max_tokens = max_tokens;
  job->spec.sampling.temperature = 0.0f;
  return job;
}

TEST_F(BatchEngineOnStories, BatchedRequestsEqualTheirSingleRequestGeneration) {
  std::vector<std::vector<int32_t>> expected;
  for (const auto& prompt : kPrompts) {
    GenerateOptions options;
    options.max_tokens = 40;
    options.sampling.temperature = 0.0f;
    expected.push_back(generate(*model, *tokenizer, prompt, options).tokens);
  }
  for (int parallel : {1, 4, 16}) {
    BatchEngine engine(*model, *tokenizer, parallel, 256, 64);
    std::vector<std::shared_ptr<Job>> jobs;
    for (const auto& prompt : kPrompts) jobs.push_back(greedy_job(*tokenizer, prompt, 40));
    const auto results = run_all(engine, jobs);
    for (size_t i = 0; i < kPrompts.size(); ++i) {
      std::vector<int32_t> got;
      for (const auto& token : results[i].tokens) got.push_back(token.id);
      EXPECT_EQ(got, expected[i]) << "parallel " << parallel << ", prompt '" << kPrompts[i] << "'";
      EXPECT_TRUE(results[i].error.empty()) << results[i].error;
    }
    if (parallel > 1) {
      EXPECT_LT(engine.stats().passes, 16 * 41) << "requests were not batched";
    }
    int64_t prompt_tokens = 0, generated = 0;
    for (size_t i = 0; i < jobs.size(); ++i) {
      prompt_tokens += static_cast<int64_t>(jobs[i]->spec.prompt.size());
      generated += static_cast<int64_t>(expected[i].size());
    }
    EXPECT_EQ(engine.stats().prompt_tokens, prompt_tokens);
    EXPECT_EQ(engine.stats().generated_tokens, generated);
  }
}

// Scoring only (max_tokens 0, as lm-eval's echo + logprobs requests): the log-probability of every
// prompt token after the first equals the log-softmax of a plain forward pass.
TEST_F(BatchEngineOnStories, PromptLogprobsEqualTheLogSoftmaxOfAForwardPass) {
  BatchEngine engine(*model, *tokenizer, 4, 256, 16);
  std::vector<std::shared_ptr<Job>> jobs;
  for (int i = 0; i < 6; ++i) {
    auto job = greedy_job(*tokenizer, kPrompts[static_cast<size_t>(i)], 0);
    job->spec.prompt_logprobs = true;
    job->spec.top_logprobs = 3;
    jobs.push_back(job);
  }
  const auto results = run_all(engine, jobs);
  const int64_t vocab = model->config().vocab_size;
  for (size_t j = 0; j < jobs.size(); ++j) {
    const auto& prompt = jobs[j]->spec.prompt;
    ASSERT_EQ(results[j].prompt.size(), prompt.size() - 1);
    EXPECT_TRUE(results[j].tokens.empty());
    EXPECT_EQ(results[j].stop_reason, StopReason::Length);
    Session session(*model);
    const auto logits = session.forward(prompt, LogitsFor::All);
    for (size_t t = 0; t + 1 < prompt.size(); ++t) {
      const float* row = logits.data() + t * static_cast<size_t>(vocab);
      double max = row[0], sum = 0.0;
      for (int64_t i = 0; i < vocab; ++i) max = std::max<double>(max, row[i]);
      for (int64_t i = 0; i < vocab; ++i) sum += std::exp(row[i] - max);
      const double expected = row[prompt[t + 1]] - max - std::log(sum);
      const TokenLogprob& got = results[j].prompt[t];
      EXPECT_EQ(got.id, prompt[t + 1]);
      EXPECT_NEAR(got.logprob, expected, 1e-5);
      ASSERT_EQ(got.top.size(), 3u);
      EXPECT_EQ(got.top[0].id, std::max_element(row, row + vocab) - row);
      EXPECT_GE(got.top[0].logprob, got.top[1].logprob);
      EXPECT_GE(got.top[1].logprob, got.top[2].logprob);
    }
  }
}

TEST_F(BatchEngineOnStories, StopStringsCancellationAndBadPromptsEndOnlyTheirRequest) {
  BatchEngine engine(*model, *tokenizer, 4, 64, 16);
  GenerateOptions options;
  options.max_tokens = 30;
  options.sampling.temperature = 0.0f;
  const std::string full = generate(*model, *tokenizer, kPrompts[0], options).text;
  ASSERT_GT(full.size(), 12u);
  const std::string stop = full.substr(8, 4);

  auto stopped = greedy_job(*tokenizer, kPrompts[0], 30);
  stopped->spec.stop = {stop};
  auto cancelled = greedy_job(*tokenizer, kPrompts[1], 30);
  int seen = 0;
  cancelled->on_text = [&](std::string_view, std::span<const TokenLogprob>) { return ++seen < 3; };
  auto too_long = greedy_job(*tokenizer, std::string(400, 'a'), 5);
  auto bad_token = greedy_job(*tokenizer, kPrompts[2], 5);
  bad_token->spec.prompt.push_back(100000);
  auto fine = greedy_job(*tokenizer, kPrompts[3], 10);
  auto context = greedy_job(*tokenizer, kPrompts[4], -1);  // until the 64-token context is full
  context->spec.ignore_eos = true;
  const auto results = run_all(engine, {stopped, cancelled, too_long, bad_token, fine, context});

  EXPECT_EQ(results[0].stop_reason, StopReason::StopString);
  EXPECT_EQ(results[0].text, full.substr(0, full.find(stop)));
  EXPECT_EQ(results[1].stop_reason, StopReason::Cancelled);
  EXPECT_EQ(results[1].tokens.size(), 3u);
  EXPECT_NE(results[2].error.find("the context holds 64"), std::string::npos) << results[2].error;
  EXPECT_NE(results[3].error.find("outside the vocabulary"), std::string::npos) << results[3].error;
  EXPECT_EQ(results[4].tokens.size(), 10u);
  EXPECT_EQ(results[4].stop_reason, StopReason::Length);
  EXPECT_TRUE(results[4].error.empty());
  EXPECT_EQ(results[5].stop_reason, StopReason::Context);
  EXPECT_EQ(static_cast<int64_t>(results[5].tokens.size() + context->spec.prompt.size()), 64);
}

}  // namespace
}  // namespace medllm
