// Numbers people write (flags, --set overrides, recipe and training settings) are read strictly:
// trailing characters, values outside the type or the field's bounds and non-finite values are
// errors naming what was read, never a quietly different setting.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <medllm/error.hpp>

#include "core/strict_number.hpp"
#include "pipeline/recipe.hpp"
#include "support/test_support.hpp"
#include "train/trainer.hpp"

namespace medllm {
namespace {

using nlohmann::json;
using test::error_of;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(StrictNumber, ReadsWholeDecimalNumbers) {
  EXPECT_DOUBLE_EQ(parse_number<double>("2e-3", "--learning-rate"), 2e-3);
  EXPECT_EQ(parse_number<int64_t>("-1", "-n"), -1);
  EXPECT_EQ(parse_number<uint64_t>("18446744073709551615", "--seed"), UINT64_MAX);
  EXPECT_EQ(parse_number<int>("010", "--shots"), 10);  // decimal, not octal
  EXPECT_FLOAT_EQ(parse_number<float>("0.95", "--top-p"), 0.95f);
}

TEST(StrictNumber, RejectsEverythingElseNamingTheOption) {
  const auto problem = [](auto type, const char* text) {
    return error_of([&] { parse_number<decltype(type)>(text, "--opt"); });
  };
  EXPECT_EQ(problem(double{}, "2e-3x"), "--opt: '2e-3x' is not a number");
  EXPECT_EQ(problem(int64_t{}, "3x"), "--opt: '3x' is not an integer");
  EXPECT_EQ(problem(int64_t{}, "3.0"), "--opt: '3.0' is not an integer");
  EXPECT_EQ(problem(int64_t{}, ""), "--opt: '' is not an integer");
  EXPECT_EQ(problem(int64_t{}, " 3"), "--opt: ' 3' is not an integer");
  EXPECT_EQ(problem(int64_t{}, "0x10"), "--opt: '0x10' is not an integer");
  EXPECT_EQ(problem(double{}, "nan"), "--opt: 'nan' is not a finite number");
  EXPECT_EQ(problem(double{}, "-inf"), "--opt: '-inf' is not a finite number");
  EXPECT_TRUE(contains(problem(double{}, "1e999"), "--opt: '1e999' is out of range"));
  EXPECT_TRUE(contains(problem(float{}, "1e39"), "--opt: '1e39' is out of range"));
  EXPECT_TRUE(contains(problem(int{}, "99999999999"), "--opt: '99999999999' is out of range"));
  EXPECT_EQ(problem(uint64_t{}, "-1"), "--opt: '-1' must not be negative");
}

TEST(StrictSettings, TrainingSettingsCheckTypeRangeAndBounds) {
  const auto problem = [](const char* text) {
    return error_of([&] { TrainOptions::from_json(json::parse(text), "c.json"); });
  };
  EXPECT_EQ(problem(R"({"max_steps": 3.5})"), "c.json: field 'max_steps' must be an integer, got 3.5");
  EXPECT_EQ(problem(R"({"max_steps": "3x"})"), "c.json: field 'max_steps' must be an integer, got \"3x\"");
  EXPECT_EQ(problem(R"({"max_steps": -1})"), "c.json: field 'max_steps' must be at least 0, got -1");
  EXPECT_TRUE(contains(problem(R"({"threads": 5000000000})"), "field 'threads' must be an integer from"));
  EXPECT_TRUE(contains(problem(R"({"seed": -1})"), "field 'seed' must be an integer from 0 to"));
  EXPECT_EQ(problem(R"({"warmup_ratio": 1.5})"), "c.json: field 'warmup_ratio' must be from 0 to 1, got 1.5");
  EXPECT_EQ(problem(R"({"learning_rate": "2e-3"})"), "c.json: field 'learning_rate' must be a number, got \"2e-3\"");
  EXPECT_EQ(problem(R"({"use_rslora": 1})"), "c.json: field 'use_rslora' must be true or false, got 1");
  EXPECT_EQ(TrainOptions::from_json(json::parse(R"({"learning_rate": 2})"), "c.json").learning_rate, 2.0);
}

TEST(StrictSettings, EveryTrainingSettingIsDescribed) {
  const std::vector<FieldHelp> fields = TrainOptions::fields();
  EXPECT_EQ(fields.size(), TrainOptions{}.to_json().size());
  for (const FieldHelp& field : fields) {
    SCOPED_TRACE(field.key);
    EXPECT_GT(std::string(field.doc.text).size(), 10u);
    EXPECT_TRUE(field.type == "INT" || field.type == "FLOAT" || field.type == "BOOL" || field.type == "TEXT" ||
                field.type == "LIST");
  }
}

json minimal_recipe() {
  return json::parse(R"({
    "model": {"path": "m.gguf"},
    "stage": [{"name": "cpt", "data": {"inputs": ["a.jsonl"]}, "train": {"max_steps": 10}}]
  })");
}

TEST(StrictSettings, RecipeOverridesAndSectionsAreStrict) {
  const auto with = [](const std::string& override_text) {
    return error_of([&] { recipe_from_json(minimal_recipe(), "r.toml", {override_text}); });
  };
  EXPECT_TRUE(contains(with("stage.cpt.train.learning_rate=2e-3x"), "field 'learning_rate' must be a number"));
  EXPECT_TRUE(contains(with("stage.cpt.train.learning_rate=nan"), "field 'learning_rate' must be a number"));
  EXPECT_TRUE(contains(with("stage.cpt.train.learning_rate=1e999"), "field 'learning_rate' must be a number"));
  EXPECT_TRUE(contains(with("stage.cpt.train.max_steps=3x"), "field 'max_steps' must be an integer"));
  EXPECT_TRUE(contains(with("stage.cpt.train.max_steps=3.5"), "field 'max_steps' must be an integer"));
  EXPECT_TRUE(contains(with("run.seed=-1"), "r.toml [run]: field 'seed' must be an integer from 0"));
  EXPECT_TRUE(contains(with("run.threads=2.5"), "r.toml [run]: field 'threads' must be an integer"));
  EXPECT_TRUE(contains(with("run.threads=-2"), "r.toml [run]: field 'threads' must be from 0 to 4096"));
  EXPECT_TRUE(contains(with("run.nme=x"), "r.toml [run]: unknown field 'nme'"));
  EXPECT_TRUE(contains(with("eval.temperature=-1"), "[eval]: field 'temperature' must be at least 0"));
  EXPECT_TRUE(contains(with("stage.cpt.data.valid_fraction=nan"), "field 'valid_fraction' must be a number"));
  EXPECT_TRUE(contains(with("stage.99999999999999999999999.train.max_steps=1"), "stage index"));
  const Recipe r = recipe_from_json(minimal_recipe(), "r.toml", {"run.seed=7", "run.threads=2"});
  EXPECT_EQ(r.seed, 7u);
  EXPECT_EQ(r.threads, 2);
  EXPECT_EQ(r.output_dir, "runs/recipe");
}

TEST(StrictSettings, TomlNanAndInfAreRejected) {
  const std::string path = testing::TempDir() + "/nan_recipe.toml";
  std::ofstream(path) << "[model]\npath = \"m.gguf\"\n[[stage]]\nname = \"cpt\"\n[stage.data]\ninputs = [\"a\"]\n"
                         "[stage.train]\nlearning_rate = nan\n";
  EXPECT_TRUE(contains(error_of([&] { read_recipe(path); }), "field 'learning_rate' must be a finite number, got"));
  std::ofstream(path) << "[model]\npath = \"m.gguf\"\n[eval]\ntemperature = inf\n[[stage]]\nname = \"cpt\"\n"
                         "[stage.data]\ninputs = [\"a\"]\n[stage.train]\nmax_steps = 1\n";
  EXPECT_TRUE(contains(error_of([&] { read_recipe(path); }), "field 'temperature' must be a finite number"));
}

}  // namespace
}  // namespace medllm
