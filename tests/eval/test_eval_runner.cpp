// End-to-end evaluation on the real pretrained stories260K model (its GGUF vocabulary tokenizes
// English and, by byte fallback, Japanese): scores are bit-identical across batch sizes and
// thread counts, each choice's log-likelihood equals the log-softmax of a plain forward pass,
// interrupted runs resume from the cache, and results.json and samples.jsonl are written (the
// reports are the caller's: tests/report and the CLI test cover them). Benchmark data is read
// from ../shared/data (IgakuQA has no license and is never copied into the repository).

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <medllm/medllm.hpp>

#include "eval/igakuqa_paper.hpp"
#include "eval/runner.hpp"
#include "support/test_support.hpp"

namespace medllm::eval {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<json> read_samples(const fs::path& path) {
  std::vector<json> rows;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) rows.push_back(json::parse(line));
  return rows;
}

class EvalRunner : public ::testing::Test {
 protected:
  static std::unique_ptr<Model> load(int threads) {
    return Model::load(test::stories260k_path().string(), LoadOptions{.threads = threads});
  }
  static EvalOptions options(const std::vector<std::string>& benchmarks, int64_t limit, int batch) {
    EvalOptions o;
    o.benchmarks = benchmarks;
    o.data_root = test::shared_data("").string();
    o.limit = limit;
    o.batch_size = batch;
    return o;
  }
};

TEST_F(EvalRunner, ScoresDoNotDependOnBatchSizeOrThreads) {
  std::vector<json> reference;
  for (int threads : {1, 2}) {
    const auto model = load(threads);
    const auto tokenizer = Tokenizer::load(*model);
    for (int batch : {1, 4, 16}) {
      const fs::path out = test::fresh_temp_dir(fmt::format("t{}b{}", threads, batch));
      EvalOptions o = options({"medqa", "jmmlu_medical"}, 12, batch);
      o.out_dir = out.string();
      run_eval(*model, *tokenizer, o);
      const std::vector<json> samples = read_samples(out / "samples.jsonl");
      ASSERT_EQ(samples.size(), 24u);
      if (reference.empty()) {
        reference = samples;
        continue;
      }
      for (size_t i = 0; i < samples.size(); ++i) {
        EXPECT_EQ(samples[i]["loglik"], reference[i]["loglik"]) << "threads " << threads << " batch " << batch;
        EXPECT_EQ(samples[i]["prediction"], reference[i]["prediction"]);
      }
    }
  }
}

// loglik of a choice = sum over its tokens of log-softmax(logits) from a plain forward pass over
// the prompt's tokens followed by the choice's (what `medllm logits` prints).
TEST_F(EvalRunner, LoglikEqualsSumOfTokenLogprobsFromPlainLogits) {
  const auto model = load(2);
  const auto tokenizer = Tokenizer::load(*model);
  const fs::path out = test::fresh_temp_dir("logits");
  EvalOptions o = options({"medqa"}, 3, 8);
  o.out_dir = out.string();
  run_eval(*model, *tokenizer, o);
  for (const json& sample : read_samples(out / "samples.jsonl")) {
    const std::vector<int32_t> context = tokenizer->encode(sample["prompt"].get<std::string>(), true);
    ASSERT_EQ(context.size(), sample["context_tokens"].get<size_t>());
    for (size_t c = 0; c < sample["continuation_token_ids"].size(); ++c) {
      const auto continuation = sample["continuation_token_ids"][c].get<std::vector<int32_t>>();
      std::vector<int32_t> sequence = context;
      sequence.insert(sequence.end(), continuation.begin(), continuation.end());
      Session session(*model);
      const auto logits = session.forward(sequence, LogitsFor::All);
      const int64_t vocab = model->config().vocab_size;
      double total = 0.0;
      for (size_t i = 0; i < continuation.size(); ++i) {
        const auto row = logits.subspan((context.size() - 1 + i) * vocab, vocab);
        const float max = *std::max_element(row.begin(), row.end());
        double sum = 0.0;
        for (float v : row) sum += std::exp(static_cast<double>(v) - max);
        total += static_cast<float>(static_cast<double>(row[continuation[i]]) - max - std::log(sum));
      }
      EXPECT_EQ(sample["loglik"][c].get<double>(), total) << sample["id"] << " choice " << c;
    }
  }
}

TEST_F(EvalRunner, InterruptedRunsResumeFromTheCache) {
  const auto model = load(2);
  const auto tokenizer = Tokenizer::load(*model);
  const fs::path out = test::fresh_temp_dir("resume");
  EvalOptions o = options({"pubmedqa"}, 6, 2);
  o.out_dir = out.string();
  const EvalResults first = run_eval(*model, *tokenizer, o);
  ASSERT_EQ(first.benchmarks.size(), 1u);
  EXPECT_EQ(first.benchmarks[0].resumed_items, 0);
  // Cut the cache in the middle of its fourth line, as a killed run would leave it.
  const fs::path cache = *fs::directory_iterator(out / "cache");
  std::string text = test::read_file(cache);
  size_t cut = 0;
  for (int line = 0; line < 3; ++line) cut = text.find('\n', cut) + 1;
  test::write_file(cache, text.substr(0, cut + 20));
  const EvalResults second = run_eval(*model, *tokenizer, o);
  EXPECT_EQ(second.benchmarks[0].resumed_items, 3);
  EXPECT_EQ(second.benchmarks[0].metrics, first.benchmarks[0].metrics);
  for (const char* file : {"results.json", "samples.jsonl"}) EXPECT_TRUE(fs::exists(out / file)) << file;
  // The library draws no report (report/ sits above eval/); results.json reads back as returned.
  for (const char* file : {"summary.md", "report.html"}) EXPECT_FALSE(fs::exists(out / file)) << file;
  EXPECT_EQ(read_results_file((out / "results.json").string()), second);
}

TEST_F(EvalRunner, ResultsRecordModelPromptsAndIntervals) {
  const auto model = load(2);
  const auto tokenizer = Tokenizer::load(*model);
  const EvalResults results = run_eval(*model, *tokenizer, options({"mmlu_medical"}, 10, 8));
  EXPECT_EQ(results.model.sha256.value_or("").size(), 64u);
  // stories260K: 2 × 512×64 (embedding, output) + 5 layers × 45,440 + 64 (final norm)
  EXPECT_EQ(results.model.parameters, 292800);
  ASSERT_EQ(results.benchmarks.size(), 1u);
  const BenchmarkResult& bench = results.benchmarks[0];
  EXPECT_EQ(bench.name, "mmlu_medical");
  EXPECT_EQ(bench.n, 10);
  EXPECT_EQ(bench.prompt_format, "lm-eval mmlu (per-subject description)");
  ASSERT_NE(bench.metric("acc"), nullptr);
  const Estimate& acc = *bench.metric("acc");
  EXPECT_LE(acc.low.value(), acc.value.value());
  EXPECT_GE(acc.high.value(), acc.value.value());
  EXPECT_EQ(acc.n, 10);
  EXPECT_NE(bench.example_prompt.value_or("").find("The following are multiple choice questions"), std::string::npos);
}

TEST_F(EvalRunner, GenerateMethodExtractsAnswersAndScoresIgakuQAAsAnExam) {
  const auto model = load(2);
  const auto tokenizer = Tokenizer::load(*model);
  EvalOptions o = options({"igakuqa"}, 5, 1);
  o.method = "generate";
  o.max_tokens = 12;
  o.igakuqa_years = {2018};
  const EvalResults results = run_eval(*model, *tokenizer, o);
  ASSERT_EQ(results.benchmarks.size(), 1u);
  const BenchmarkResult& bench = results.benchmarks[0];
  EXPECT_EQ(bench.n, 5);
  ASSERT_TRUE(bench.exam.has_value());
  ASSERT_EQ(bench.exam->years.size(), 1u);
  EXPECT_EQ(bench.exam->years[0].year, "2018");
  EXPECT_EQ(bench.exam->years[0].total.questions, 5);
  EXPECT_EQ(bench.language, "ja");
  EXPECT_EQ(results.config.chat_template, Nullable<std::string>::of("the model's"));
}

TEST_F(EvalRunner, JmedLlmTasksGenerateUnderTheirOwnProtocol) {
  const auto model = load(2);
  const auto tokenizer = Tokenizer::load(*model);
  EvalOptions o = options({"jmed_llm_smdis", "jmed_llm_mrner_medicine"}, 2, 1);
  o.max_tokens = 8;
  const fs::path out = fs::path(::testing::TempDir()) / "jmed_llm_run";
  fs::remove_all(out);
  o.out_dir = out.string();
  const EvalResults results = run_eval(*model, *tokenizer, o);  // method auto: generation
  ASSERT_EQ(results.benchmarks.size(), 2u);
  const BenchmarkResult& choice = results.benchmarks[0];
  EXPECT_EQ(choice.primary_metric, "kappa");
  ASSERT_EQ(choice.metrics.size(), 2u);
  EXPECT_EQ(choice.metrics[1].first, "acc");
  EXPECT_EQ(choice.metrics[1].second.n, 2);
  const BenchmarkResult& entities = results.benchmarks[1];
  EXPECT_EQ(entities.primary_metric, "partial_f1");
  EXPECT_EQ(entities.metrics[1].first, "exact_f1");
  EXPECT_EQ(results.config.chat_template, Nullable<std::string>::of("the model's"));
  const std::vector<json> samples = read_samples(out / "samples.jsonl");
  ASSERT_EQ(samples.size(), 4u);
  for (const json& sample : {samples[0], samples[1]}) {
    const std::string prediction = sample["prediction"];
    const std::string reply = sample["replies"][0];
    // The prediction is the reply's first A-F, or None.
    const size_t first = reply.find_first_of("ABCDEF");
    EXPECT_EQ(prediction, first == std::string::npos ? "None" : reply.substr(first, 1)) << reply;
    EXPECT_NE(sample["prompt"].get<std::string>().find("回答には選択肢のアルファベット"), std::string::npos);
  }
  for (const json& sample : {samples[2], samples[3]}) {
    EXPECT_TRUE(sample["entities"].is_array());
    EXPECT_TRUE(sample.contains("partial_f1"));
  }
}

TEST_F(EvalRunner, SettingsAProtocolCannotHonourAreRefused) {
  const auto model = load(1);
  const auto tokenizer = Tokenizer::load(*model);
  const auto refused = [&](EvalOptions o, const std::string& expected) {
    try {
      run_eval(*model, *tokenizer, o);
      ADD_FAILURE() << "accepted; expected: " << expected;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  };
  EvalOptions o = options({"jmed_llm_crade"}, 1, 1);
  o.method = "loglik";
  refused(o, "no log-likelihood form");
  o.method = "auto";
  o.shots = 1;
  refused(o, "zero-shot");
  o.shots = 0;
  o.chain_of_thought = true;
  refused(o, "--cot");
  EvalOptions other = options({"medqa"}, 1, 1);
  other.system_role = false;
  refused(other, "--no-system-role");
}

TEST(EvalBos, AutoFollowsEachLmEvalRelease) {
  EvalOptions o;
  EXPECT_EQ(o.bos, "auto");
  EXPECT_TRUE(adds_bos(o, "llama"));  // the default release adds the tokenizer's special tokens
  for (const char* version : {"0.4.9.1", "0.4.9", "0.4.4"}) {
    o.lm_eval_version = version;
    EXPECT_FALSE(adds_bos(o, "llama")) << version;
    EXPECT_FALSE(adds_bos(o, "qwen2")) << version;
    EXPECT_TRUE(adds_bos(o, "gemma3")) << version;  // lm-eval's exception: "gemma" in model_type
  }
  for (const char* version : {"0.4.3", "0.4.2"}) {  // model_type == "gemma" exactly
    o.lm_eval_version = version;
    EXPECT_TRUE(adds_bos(o, "gemma")) << version;
    EXPECT_FALSE(adds_bos(o, "gemma2")) << version;
  }
  for (const char* version : {"0.4.1", "0.4.0", "0.3"}) {  // no exception yet
    o.lm_eval_version = version;
    EXPECT_FALSE(adds_bos(o, "gemma")) << version;
  }
  for (const char* version : {"0.4.9.2", "0.4.10", "0.4.12", "0.5", "1.0"}) {
    o.lm_eval_version = version;
    EXPECT_TRUE(adds_bos(o, "llama")) << version;
  }
  o.bos = "off";
  EXPECT_FALSE(adds_bos(o, "gemma3"));
  o.bos = "on";
  o.lm_eval_version = "0.4.9.1";
  EXPECT_TRUE(adds_bos(o, "llama"));
  o.bos = "auto";
  for (const char* bad : {"v0.4.9", "0.4.x", "", "0..4", "0.4."}) {
    o.lm_eval_version = bad;
    EXPECT_THROW(adds_bos(o, "llama"), Error) << bad;
  }
  o.lm_eval_version = "0.4.9.1";
  o.bos = "always";
  EXPECT_THROW(adds_bos(o, "llama"), Error);
}

TEST_F(EvalRunner, BosAutoFollowsTheReleaseAndOffLeavesItOut) {
  const auto model = load(1);
  const auto tokenizer = Tokenizer::load(*model);
  std::vector<size_t> context_tokens;
  for (const char* version : {"0.4.12", "0.4.9.1", "off"}) {
    const fs::path out = test::fresh_temp_dir("bos");
    EvalOptions o = options({"medqa"}, 1, 1);
    if (std::string(version) == "off") {
      o.bos = "off";
    } else {
      o.lm_eval_version = version;
    }
    o.out_dir = out.string();
    const EvalResults results = run_eval(*model, *tokenizer, o);
    EXPECT_EQ(results.config.add_bos, std::string(version) == "0.4.12");
    EXPECT_EQ(results.config.lm_eval_version,
              std::string(version) == "off" ? Nullable<std::string>::none() : Nullable<std::string>::of(version));
    const json sample = read_samples(out / "samples.jsonl").at(0);
    context_tokens.push_back(sample["context_tokens"].get<size_t>());
    const auto ids = sample["continuation_token_ids"][0].get<std::vector<int32_t>>();
    EXPECT_FALSE(ids.empty());
  }
  EXPECT_EQ(context_tokens[0], context_tokens[1] + 1);  // the BOS
  EXPECT_EQ(context_tokens[2], context_tokens[1]);
}

TEST_F(EvalRunner, IgakuqaPaperGeneratesWithThePapersPromptAndScoresTheExamByItsRule) {
  const auto model = load(2);
  const auto tokenizer = Tokenizer::load(*model);
  EvalOptions o = options({"igakuqa_paper"}, 2, 1);
  o.max_tokens = 4;
  o.igakuqa_years = {2018};
  const fs::path out = test::fresh_temp_dir("igakuqa_paper");
  o.out_dir = out.string();
  const EvalResults results = run_eval(*model, *tokenizer, o);
  const BenchmarkResult& bench = results.benchmarks.at(0);
  EXPECT_EQ(bench.method, "generate");
  ASSERT_TRUE(bench.exam.has_value());
  EXPECT_EQ(bench.exam->years.at(0).total.questions, 2);
  for (const json& sample : read_samples(out / "samples.jsonl")) {
    const std::string prompt = sample["prompt"];
    EXPECT_NE(prompt.find("医師国家試験を解きます。"), std::string::npos);
    EXPECT_NE(prompt.find("問題: ヒトゲノム・遺伝子解析研究"), std::string::npos);  // the first shot
    EXPECT_EQ(sample["prediction"], igakuqa_paper::prediction_of(sample["replies"][0]));
  }
  o.shots = 3;
  EXPECT_THROW(run_eval(*model, *tokenizer, o), Error);
}

TEST_F(EvalRunner, Igakuqa119IsScoredAsItsExamWithoutThe2018To2022Baselines) {
  const auto model = load(1);
  const auto tokenizer = Tokenizer::load(*model);
  const EvalResults results = run_eval(*model, *tokenizer, options({"igakuqa119"}, 3, 3));
  const BenchmarkResult& bench = results.benchmarks.at(0);
  ASSERT_TRUE(bench.exam.has_value());
  ASSERT_EQ(bench.exam->years.size(), 1u);
  EXPECT_EQ(bench.exam->years[0].year, "2025");
  EXPECT_EQ(bench.exam->years[0].total.questions, 3);
  EXPECT_TRUE(bench.exam->baselines.empty());
}

TEST_F(EvalRunner, MmluProHealthGeneratesAsLmEvalRunsIt) {
  const auto model = load(1);
  const auto tokenizer = Tokenizer::load(*model);
  EvalOptions o = options({"mmlu_pro_health"}, 1, 1);
  o.max_tokens = 4;
  const fs::path out = test::fresh_temp_dir("mmlu_pro");
  o.out_dir = out.string();
  const EvalResults results = run_eval(*model, *tokenizer, o);
  EXPECT_EQ(results.benchmarks.at(0).method, "generate");
  const json sample = read_samples(out / "samples.jsonl").at(0);
  EXPECT_EQ(sample["prompt"].get<std::string>().rfind("The following are multiple choice questions", 0), 0u);
  // A plain prompt: BOS by the --bos rule, then the context's own tokens.
  EXPECT_EQ(sample["prompt_tokens"], tokenizer->encode(sample["prompt"].get<std::string>(), true).size());
  EXPECT_EQ(sample["prediction"], "[invalid]");                            // four tokens never reach "the answer is"
  EXPECT_EQ(results.config.chat_template, Nullable<std::string>::none());  // a plain prompt
  o.method = "loglik";  // medllm's own MMLU-template scoring stays available
  o.out_dir.clear();
  EXPECT_EQ(run_eval(*model, *tokenizer, o).benchmarks.at(0).method, "loglik");
}

}  // namespace
}  // namespace medllm::eval
