#pragma once
// A recipe: the whole adaptation of a model written down once — the base model, the measurements
// taken before and after, and the stages (continued pretraining, SFT, ...) in between, each a
// `medllm data prepare` plus a `medllm train` under the same option names as those commands.
// Recipes are TOML files (see recipes/ and docs/recipes.md).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/prepare.hpp"
#include "train/trainer.hpp"

namespace medllm {

struct RecipeEval {
  bool heldout = true;                  // held-out loss / perplexity on the first stage's validation split
  int64_t heldout_rows = 0;             // rows of the first stage's max_seq_length; 0: the whole split
  std::vector<std::string> benchmarks;  // `medllm eval` benchmark names
  std::string data_root;                // where the benchmarks' files are
  int64_t limit = 0;                    // items per benchmark; 0: all
  std::string method = "auto";
  int shots = 0;
  std::vector<std::string> prompts;  // sample generations, shown before and after
  int32_t max_new_tokens = 64;
  double temperature = 0.0;     // 0: greedy
  double repeat_penalty = 1.0;  // llama.cpp's; 1: off
};

struct RecipeStage {
  std::string name;
  PrepareOptions data;  // out_dir is set by the pipeline
  TrainOptions train;   // model, data, output_dir, seed and threads are set by the pipeline
};

struct Recipe {
  std::string source;  // the file
  std::string name;
  std::string output_dir;
  uint64_t seed = 42;
  int threads = 0;
  std::string model;
  RecipeEval eval;
  std::vector<RecipeStage> stages;
  nlohmann::json resolved;  // the recipe after overrides, as JSON (written beside the results)
};

// Reads a TOML recipe and applies overrides "section.key=value" (stage.<name or index>.train.
// max_steps=40; a value that parses as JSON is taken as such, anything else as a string). Every
// field is checked before anything runs: errors name the file and the key.
Recipe read_recipe(const std::string& path, const std::vector<std::string>& overrides = {});

// The same from a JSON value in the TOML's shape (for tests and programmatic use).
Recipe recipe_from_json(nlohmann::json config, const std::string& source,
                        const std::vector<std::string>& overrides = {});

}  // namespace medllm
