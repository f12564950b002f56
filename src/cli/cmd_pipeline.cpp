// medllm pipeline: a recipe end to end — measure the base model, prepare data and train each
// stage, measure again, write the before/after report (src/pipeline/pipeline.hpp).

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "pipeline/pipeline.hpp"

namespace medllm::cli {

namespace {

struct PipelineFlags {
  std::string recipe;
  std::vector<std::string> overrides;
  std::string output_dir;
  int64_t max_steps = 0;
  int64_t seed = -1;
  int threads = -1;
};

void run(const PipelineFlags& flags) {
  std::vector<std::string> overrides;
  // Shortcuts first, so an explicit --set wins.
  if (!flags.output_dir.empty()) overrides.push_back("run.output_dir=" + nlohmann::json(flags.output_dir).dump());
  if (flags.seed >= 0) overrides.push_back(fmt::format("run.seed={}", flags.seed));
  if (flags.threads >= 0) overrides.push_back(fmt::format("run.threads={}", flags.threads));
  Recipe recipe = read_recipe(flags.recipe, overrides);
  if (flags.max_steps > 0) {
    for (const RecipeStage& stage : recipe.stages)
      overrides.push_back(fmt::format("stage.{}.train.max_steps={}", stage.name, flags.max_steps));
  }
  overrides.insert(overrides.end(), flags.overrides.begin(), flags.overrides.end());
  recipe = read_recipe(flags.recipe, overrides);
  run_pipeline(recipe);
}

}  // namespace

void add_pipeline_command(CLI::App& app) {
  auto flags = std::make_shared<PipelineFlags>();
  CLI::App* command = app.add_subcommand(
      "pipeline", "run a recipe: measure the base model, train its stages, measure again, report before/after");
  command->add_option("-r,--recipe", flags->recipe, "TOML recipe (see recipes/ and docs/recipes.md)")->required();
  command->add_option("--set", flags->overrides, "override a recipe value: stage.cpt.train.learning_rate=1e-3")
      ->take_all();
  command->add_option("-o,--output-dir", flags->output_dir, "where everything goes (recipe: run.output_dir)");
  command->add_option("--max-steps", flags->max_steps, "every stage's max_steps (a shortened run)")
      ->transform(number<int64_t>(1));
  command->add_option("--seed", flags->seed, "seed of data order, initialisation and sampling (recipe: run.seed)")
      ->transform(number<int64_t>(0));
  command->add_option("-t,--threads", flags->threads, "worker threads (default: all cores)")
      ->transform(number<int>(0, 4096));
  command->footer(R"(Examples:
  medllm pipeline --recipe recipes/quickstart.toml
  medllm pipeline --recipe recipes/quickstart.toml --max-steps 100 --seed 7 -o runs/try
  medllm pipeline -r my.toml --set stage.cpt.train.learning_rate=1e-3 --set eval.limit=50
--set values are read as JSON (numbers strictly: 1e-3x, nan and inf are errors), anything else as text.)");
  command->callback([flags] { run(*flags); });
}

}  // namespace medllm::cli
