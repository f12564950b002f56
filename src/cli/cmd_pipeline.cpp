// medllm pipeline: a recipe end to end — measure the base model, prepare data and train each
// stage, measure again, write the before/after report (src/pipeline/pipeline.hpp).

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/console.hpp"
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

// A word for bash, in $'...' form so that newlines in prompts survive copy and paste.
std::string shell_quote(const std::string& text) {
  std::string out = "$'";
  for (const char c : text) {
    if (c == '\\' || c == '\'') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  return out + "'";
}

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
  CancelToken stop;
  const StopOnSignals signals(stop);  // Ctrl-C: the running training stage saves a checkpoint and stops
  const nlohmann::ordered_json result = run_pipeline(recipe, console_events(&stop));
  fmt::print(stderr, "\n{}", before_after_table(result["before"], result["after"]));
  const std::string model = result["adapted_model"].get<std::string>();
  const std::string prompt =
      recipe.eval.prompts.empty() ? std::string("Question: What is diabetes?\nAnswer:") : recipe.eval.prompts.front();
  fmt::print(stderr,
             "\nmedllm pipeline: done in {:.0f} s. Report: {}/report.html\nThe adapted model (Hugging Face format) is "
             "in {}; try it:\n  medllm generate -m {} -p {} -n 80\nor serve it (OpenAI-compatible API on "
             "127.0.0.1:8080):\n  medllm serve -m {}\n",
             result["timing"]["total_s"].get<double>(), recipe.output_dir, model, model, shell_quote(prompt), model);
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
