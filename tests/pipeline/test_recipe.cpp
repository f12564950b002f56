// Recipes: the shipped ones parse, overrides reach the field they name, and every mistake is an
// error naming the file and the key before anything runs.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <medllm/error.hpp>

#include "pipeline/recipe.hpp"
#include "support/test_support.hpp"

namespace medllm {
namespace {

using nlohmann::json;

using test::error_of;

json minimal() {
  return json::parse(R"({
    "model": {"path": "m.gguf"},
    "stage": [{"name": "cpt", "data": {"inputs": ["a.jsonl"]}, "train": {"max_steps": 10}}]
  })");
}

TEST(Recipe, ShippedRecipesParse) {
  for (const auto& entry : std::filesystem::directory_iterator(std::string(MEDLLM_SOURCE_DIR) + "/recipes")) {
    if (entry.path().extension() != ".toml") continue;
    SCOPED_TRACE(entry.path().string());
    const Recipe r = read_recipe(entry.path().string());
    EXPECT_FALSE(r.stages.empty());
    EXPECT_FALSE(r.model.empty());
  }
  const Recipe q = read_recipe(std::string(MEDLLM_SOURCE_DIR) + "/recipes/quickstart.toml");
  ASSERT_EQ(q.stages.size(), 1u);
  EXPECT_EQ(q.stages[0].name, "cpt");
  EXPECT_EQ(q.stages[0].data.text_template, "Question: {question}\nAnswer: {answer}");  // TOML escapes
  EXPECT_EQ(q.stages[0].train.max_steps, 600);
  EXPECT_DOUBLE_EQ(q.stages[0].train.learning_rate, 2e-3);
  EXPECT_EQ(q.eval.benchmarks, std::vector<std::string>{"medqa"});
}

TEST(Recipe, OverridesByStageNameOrIndexAndJsonOrText) {
  const Recipe r =
      recipe_from_json(minimal(), "r.toml",
                       {"stage.cpt.train.learning_rate=0.5", "stage.0.train.max_steps=3", "run.output_dir=out dir",
                        "eval.benchmarks=[\"medqa\",\"pubmedqa\"]", "eval.data_root=data"});
  EXPECT_DOUBLE_EQ(r.stages[0].train.learning_rate, 0.5);
  EXPECT_EQ(r.stages[0].train.max_steps, 3);
  EXPECT_EQ(r.output_dir, "out dir");
  EXPECT_EQ(r.eval.benchmarks.size(), 2u);
  EXPECT_EQ(r.resolved["stage"][0]["train"]["max_steps"], 3);  // what gets written beside the results
}

TEST(Recipe, MistakesNameTheFileAndKey) {
  const auto with = [](const std::string& override_text) {
    return error_of([&] { recipe_from_json(minimal(), "r.toml", {override_text}); });
  };
  EXPECT_NE(with("stage.cpt.train.learning_rat=1").find("r.toml [[stage]] 1 train: unknown field 'learning_rat'"),
            std::string::npos);
  EXPECT_NE(with("stage.cpt.train.max_steps=\"ten\"").find("field 'max_steps' must be an integer, got \"ten\""),
            std::string::npos);
  EXPECT_NE(with("stage.cpt.train.output_dir=x").find("train.output_dir is set by the pipeline"), std::string::npos);
  EXPECT_NE(with("stage.cpt.data.out_dir=x").find("data.out_dir is set by the pipeline"), std::string::npos);
  EXPECT_NE(with("stage.sft.train.max_steps=1").find("no stage named 'sft'"), std::string::npos);
  EXPECT_NE(with("eval.temprature=1").find("unknown field 'temprature'"), std::string::npos);
  EXPECT_NE(with("eval.benchmarks=[\"medqa\"]").find("benchmarks need data_root"), std::string::npos);
  EXPECT_NE(with("stage.cpt.name=a/b").find("must be a plain word"), std::string::npos);
  EXPECT_NE(with("model.path=\"\"").find("[model] path is required"), std::string::npos);
  EXPECT_NE(with("max_steps").find("is not KEY=VALUE"), std::string::npos);
  EXPECT_NE(with("trainer.x=1").find("unknown section 'trainer'"), std::string::npos);

  json two = minimal();
  two["stage"].push_back(two["stage"][0]);
  EXPECT_NE(error_of([&] { recipe_from_json(two, "r.toml"); }).find("a second stage named 'cpt'"), std::string::npos);
  json none = minimal();
  none.erase("stage");
  EXPECT_NE(error_of([&] { recipe_from_json(none, "r.toml"); }).find("no [[stage]]"), std::string::npos);
}

TEST(Recipe, TomlErrorsNameTheLine) {
  const std::string path = testing::TempDir() + "/broken_recipe.toml";
  std::ofstream(path) << "[run]\nname = \"x\"\nseed = 4 2\n";
  EXPECT_NE(error_of([&] { read_recipe(path); }).find(path + ":3:"), std::string::npos);
  EXPECT_NE(error_of([&] { read_recipe(path + ".missing"); }).find(".missing"), std::string::npos);
}

}  // namespace
}  // namespace medllm
