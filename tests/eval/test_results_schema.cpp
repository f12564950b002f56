// results.json's typed schema (eval/results.hpp): every field written is read back to the same
// value, a written file reads back to the same file, odd and older files are read leniently
// (absent where a field is of another type), and only a missing "benchmarks" is an error. Also
// the one Wilson interval.

#include <gtest/gtest.h>

#include <filesystem>
#include <medllm/error.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "eval/metrics.hpp"
#include "eval/results.hpp"
#include "support/test_support.hpp"

namespace medllm::eval {
namespace {

using nlohmann::ordered_json;

ExamTally tally(double accuracy, int64_t points, int64_t possible, int64_t questions) {
  return {.accuracy = accuracy, .points = points, .possible = possible, .questions = questions};
}

ExamResult full_exam() {
  ExamYear year{.year = "2018", .total = tally(0.75, 382, 499, 400)};
  year.required_points = 180, year.required_possible = 200, year.required_rate = 0.9;
  year.required_pass = Nullable<bool>::of(true);
  year.kinki_chosen = 3, year.partial = false;
  year.text_only = tally(0.762, 330, 430, 340), year.with_images = tally(0.7, 52, 69, 60);
  year.booklets = {{"A", tally(0.72, 54, 75, 75)}, {"B", tally(0.9, 90, 100, 50)}};
  ExamYear partial{.year = "2019", .total = tally(0.5, 10, 20, 20)};
  partial.required_pass = Nullable<bool>::none();  // no required question evaluated
  partial.partial = true;
  return {.years = {year, partial},
          .baselines = {{.system = "gpt4", .label = "GPT-4", .years = {{"2018", tally(0.785, 393, 499, 400)}}},
                        {.system = "student-majority", .years = {{"2018", tally(0.89, 445, 499, 400)}}}},
          .detail = nlohmann::json{{"benchmark", "igakuqa"}, {"rule", "lenient"}}};
}

EvalResults full_results() {
  EvalResults results{.medllm_version = "0.1.0", .created = "2026-11-29T10:00:00Z", .duration_s = 123.456789};
  results.model = {.path = "/models/tiny",
                   .format = "gguf",
                   .model_type = "llama",
                   .architecture = "LlamaForCausalLM",
                   .parameters = 292800,
                   .dtype = "F32",
                   .checkpoint = "runs/cpt/checkpoint-20",
                   .lora = {{"runs/lora", 0.5}},
                   .sha256 = std::string(64, 'a')};
  results.config = {.method = "loglik",
                    .shots = 3,
                    .limit = Nullable<int64_t>::none(),
                    .batch_size = 8,
                    .threads = 2,
                    .add_bos = false,
                    .data_root = "/data",
                    .seed = 18446744073709551615ull,
                    .temperature = 0.699999988079071,
                    .max_tokens = 256,
                    .chain_of_thought = true,
                    .self_consistency = 5,
                    .scoring_version = 1,
                    .chat_template = Nullable<std::string>::of("x")};
  BenchmarkResult medqa{.name = "medqa", .n = 1273, .language = "en", .description = "USMLE", .source = "MedQA"};
  medqa.metrics = {{"acc", Estimate::of({535, 1273})}, {"acc_norm", {.value = 0.441, .low = 0.414, .high = 0.468}}};
  medqa.primary_metric = "acc_norm";
  medqa.per_subject = {{"step1", 600, 0.45}, {"step2&3", 673, 0.3938}};
  medqa.skipped = 2, medqa.chance = 0.25, medqa.prompt_format = "lm-eval medqa_4options";
  medqa.scoring = "loglik of ' A'..' D'", medqa.example_prompt = "Question: 心臓の弁は？\n<A> & \"B\"";
  medqa.duration_s = 40.1, medqa.resumed_items = 7;
  BenchmarkResult igakuqa{.name = "igakuqa", .n = 5, .language = "ja"};
  igakuqa.metrics = {{"acc", Estimate::of({2, 5})}};
  igakuqa.exam = full_exam();
  // Run order, not name order.
  results.benchmarks = {medqa, igakuqa};
  return results;
}

TEST(ResultsSchema, WhatIsWrittenReadsBackTheSame) {
  const EvalResults written = full_results();
  const std::string file = to_json(written).dump(2);
  const EvalResults read = results_from_json(ordered_json::parse(file));
  EXPECT_EQ(read.model, written.model);
  EXPECT_EQ(read.config, written.config);
  ASSERT_EQ(read.benchmarks.size(), 2u);
  EXPECT_EQ(read.benchmarks[0], written.benchmarks[0]);
  EXPECT_EQ(read.benchmarks[1].exam, written.benchmarks[1].exam);
  EXPECT_EQ(read, written);
  // And the file it gives is the file it came from.
  EXPECT_EQ(to_json(read).dump(2), file);
}

TEST(ResultsSchema, AFileOnDiskReadsBackTheSame) {
  const std::filesystem::path path = test::fresh_temp_dir("results") / "results.json";
  test::write_file(path, to_json(full_results()).dump(2) + "\n");
  EXPECT_EQ(read_results_file(path.string()), full_results());
  test::write_file(path, "{\"benchmarks\": ");
  try {
    read_results_file(path.string());
    FAIL() << "a cut file must be an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find(path.string()), std::string::npos) << error.what();
  }
}

TEST(ResultsSchema, WritesTheFieldsUnderTheirNames) {
  const ordered_json file = to_json(full_results());
  EXPECT_EQ(file["config"]["limit"], nullptr);
  EXPECT_EQ(file["config"]["seed"], 18446744073709551615ull);
  EXPECT_EQ(file["model"]["lora"][0]["scale"], 0.5);
  const ordered_json& acc = file["benchmarks"]["medqa"]["metrics"]["acc"];
  EXPECT_EQ(acc["correct"], 535);
  EXPECT_EQ(acc["n"], 1273);
  EXPECT_EQ(acc["ci95"].size(), 2u);
  EXPECT_EQ(file["benchmarks"]["medqa"]["per_subject"]["step1"], (ordered_json{{"n", 600}, {"acc", 0.45}}));
  const ordered_json& exam = file["benchmarks"]["igakuqa"]["exam"];
  EXPECT_EQ(exam["years"]["2019"]["required_pass"], nullptr);
  EXPECT_EQ(exam["years"]["2018"]["booklets"]["B"]["points"], 90);
  EXPECT_EQ(exam["baselines"]["gpt4"]["label"], "GPT-4");
  EXPECT_EQ(exam["baselines"]["student-majority"]["2018"]["points"], 445);
  EXPECT_EQ(file.begin().key(), "medllm_version");
  EXPECT_EQ(file["benchmarks"].begin().key(), "medqa");
}

TEST(ResultsSchema, ReadsOddAndOlderFilesLeniently) {
  const EvalResults results = results_from_json(ordered_json::parse(R"({
    "model": "not an object", "config": {"limit": "ten", "chat_template": null, "shots": 2.0, "seed": -1},
    "benchmarks": {
      "b": {"n": "many", "metrics": {"acc": 0.5, "f1": {"value": "x", "ci95": [0.2]}}, "num_choices": 4,
            "per_subject": {"x": 0.25, "y": {"n": 3, "accuracy": 0.5}, "z": "?"},
            "exam": {"years": {"2018": 5, "2019": {"kinki_chosen": ["a", "b"], "required_pass": "yes"}},
                     "baselines": [1, {"system": "gpt4", "years": 3}, {"label": "other", "years": {"2019": {"points": 100}}}]}},
      "c": null}})"));
  EXPECT_EQ(results.model, ModelIdentity{});
  EXPECT_FALSE(results.config.limit.present);  // of another type: absent, not "none"
  EXPECT_TRUE(results.config.chat_template.present);
  EXPECT_FALSE(results.config.chat_template.value);
  EXPECT_EQ(results.config.shots, 2);
  EXPECT_FALSE(results.config.seed);
  ASSERT_EQ(results.benchmarks.size(), 2u);
  const BenchmarkResult& b = results.benchmarks[0];
  EXPECT_FALSE(b.n);
  EXPECT_EQ(b.metric("acc")->value, 0.5);
  EXPECT_FALSE(b.metric("f1")->value);
  EXPECT_FALSE(b.metric("f1")->low);
  EXPECT_EQ(b.chance, 0.25);
  ASSERT_EQ(b.per_subject.size(), 3u);
  EXPECT_EQ(b.per_subject[0].accuracy, 0.25);
  EXPECT_EQ(b.per_subject[1].accuracy, 0.5);
  EXPECT_EQ(b.per_subject[1].n, 3);
  EXPECT_FALSE(b.per_subject[2].accuracy);
  ASSERT_TRUE(b.exam);
  ASSERT_EQ(b.exam->years.size(), 2u);
  EXPECT_EQ(b.exam->years[0].total, ExamTally{});
  EXPECT_EQ(b.exam->years[1].kinki_chosen, 2);
  EXPECT_FALSE(b.exam->years[1].required_pass.present);
  ASSERT_EQ(b.exam->baselines.size(), 2u);
  EXPECT_EQ(b.exam->baselines[0].system, "gpt4");
  EXPECT_TRUE(b.exam->baselines[0].years.empty());
  EXPECT_EQ(b.exam->baselines[1].system, "other");
  EXPECT_EQ(b.exam->baselines[1].years.at(0).second.points, 100);
  EXPECT_EQ(results.benchmarks[1].name, "c");
}

// The error names what is wrong: the document's type, or the "benchmarks" field.
void expect_error(const char* document, const std::string& fragment) {
  try {
    results_from_json(ordered_json::parse(document));
    ADD_FAILURE() << document << " must be an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find(fragment), std::string::npos) << error.what();
  }
}

TEST(ResultsSchema, OnlyAMissingBenchmarksObjectIsAnError) {
  expect_error("[]", "expected a JSON object, got array");
  expect_error("{}", "missing the required field \"benchmarks\"");
  expect_error(R"({"benchmarks": null})", "missing the required field \"benchmarks\"");
  expect_error(R"({"benchmarks": [1]})", "field \"benchmarks\": expected an object");
  EXPECT_NO_THROW(results_from_json(ordered_json::parse(R"({"benchmarks": {}})")));
}

TEST(Wilson, KnownIntervals) {
  const auto [low0, high0] = wilson95(0.0, 10);
  EXPECT_EQ(low0, 0.0);
  EXPECT_NEAR(high0, 0.27753, 1e-5);
  const auto [low5, high5] = wilson95(0.5, 10);
  EXPECT_NEAR(low5, 0.23659, 1e-5);
  EXPECT_NEAR(high5, 0.76341, 1e-5);
  // A proportion's interval is the same function of its value and count.
  const Proportion p{42, 100};
  EXPECT_EQ(p.wilson95(), wilson95(0.42, 100));
  EXPECT_EQ(Estimate::of(p).low, p.wilson95().first);
  EXPECT_EQ((Proportion{0, 0}.wilson95()), (std::pair<double, double>{0.0, 0.0}));
}

// Chance is the mean over the items with choices of 1 / C(n, k); a numeric question has none.
TEST(ChanceLevel, MeanOfOneOverTheWaysToPick) {
  const auto item = [](size_t choices, std::vector<std::string> answers) {
    Item out;
    for (size_t i = 0; i < choices; ++i) out.choices.push_back({std::string(1, static_cast<char>('a' + i)), "x"});
    out.answers = std::move(answers);
    return out;
  };
  const Item one_of_five = item(5, {"a"}), two_of_five = item(5, {"a", "c"}), one_of_two = item(2, {"b"});
  const Item numeric = item(0, {"42"});
  const std::vector<const Item*> mixed = {&one_of_five, &two_of_five, &numeric, &one_of_two};
  EXPECT_DOUBLE_EQ(chance_level(mixed).value(), (1.0 / 5 + 1.0 / 10 + 1.0 / 2) / 3);
  const std::vector<const Item*> three_of_five = {&one_of_five, &two_of_five};
  EXPECT_DOUBLE_EQ(chance_level(three_of_five).value(), (1.0 / 5 + 1.0 / 10) / 2);
  EXPECT_FALSE(chance_level(std::vector<const Item*>{&numeric}).has_value());
  EXPECT_FALSE(chance_level({}).has_value());
}

}  // namespace
}  // namespace medllm::eval
