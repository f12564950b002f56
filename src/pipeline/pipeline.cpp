#include "pipeline/pipeline.hpp"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <medllm/generate.hpp>
#include <medllm/model.hpp>
#include <medllm/tokenizer.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/json_file.hpp"
#include "eval/perplexity.hpp"
#include "eval/results.hpp"
#include "eval/runner.hpp"
#include "model/export.hpp"
#include "report/eval_report.hpp"
#include "report/eval_view.hpp"
#include "report/pipeline_report.hpp"
#include "report/training_report.hpp"

namespace medllm {

namespace {

namespace fs = std::filesystem;
using ordered_json = nlohmann::ordered_json;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The stage's data, prepared unless a previous run prepared it with the same options.
void prepare_stage_data(const std::string& model, PrepareOptions options, const std::string& out_dir,
                        const RunEvents& events) {
  options.out_dir = out_dir;
  const fs::path stamp = fs::path(out_dir) / "prepare_options.json";
  const nlohmann::json wanted = {{"model", model}, {"options", options.to_json()}};
  if (fs::exists(stamp) && fs::exists(fs::path(out_dir) / "dataset.json") && read_json_file(stamp.string()) == wanted) {
    events.say(fmt::format("{} already prepared with these options; reusing it", out_dir));
    return;
  }
  fs::create_directories(out_dir);
  fs::remove(stamp);
  const PrepareStats stats = prepare_dataset(model, options, events.progress);
  for (const std::string& example : stats.malformed_examples) events.say("skipped " + example);
  events.say(stats.counts_text());
  write_file_atomically(stamp.string(), wanted.dump(2) + "\n");
}

// The primary metric of each benchmark, from the run's typed results. The report compares
// proportions (in %, deltas in points): where the primary metric is not one (JMED-LLM's kappa) acc
// stands in, and a benchmark without acc (JMED-LLM's entity F1) is left out.
std::vector<report::BenchmarkMeasurement> benchmark_measurements(const eval::EvalResults& results) {
  std::vector<report::BenchmarkMeasurement> out;
  for (const eval::BenchmarkResult& bench : results.benchmarks) {
    std::string primary = bench.primary_metric.value_or("acc");
    if (!report::is_proportion(primary)) primary = "acc";
    if (bench.metric(primary) == nullptr) continue;
    const eval::Estimate* value = bench.metric(primary);
    const eval::Estimate* acc_norm = bench.metric("acc_norm");
    if (value == nullptr || !value->value) fail("{}: the results have no value for {}", bench.name, primary);
    out.push_back({.name = bench.name,
                   .metric = primary,
                   .value = *value->value,
                   .n = bench.n.value_or(0),
                   .chance = bench.chance.value_or(0.0),
                   .acc_norm = acc_norm != nullptr ? acc_norm->value : std::nullopt});
  }
  return out;
}

// Held-out perplexity, benchmark accuracy and sample answers of one model.
report::ModelMeasurement measure(const Recipe& recipe, const std::string& model_path, const std::string& heldout_data,
                                 const std::string& eval_dir, const RunEvents& events) {
  const auto model = Model::load(model_path, LoadOptions{.threads = recipe.threads, .check_weights = false});
  const auto tokenizer = Tokenizer::load(*model);
  report::ModelMeasurement out{.model = model_path};
  const RecipeEval& e = recipe.eval;
  if (e.heldout) {
    const int64_t seq = recipe.stages.front().train.max_seq_length;
    const eval::HeldoutLoss loss = eval::heldout_loss(*model, *tokenizer, heldout_data, seq, e.heldout_rows);
    out.heldout = {loss.loss, loss.perplexity(), loss.tokens, loss.rows, heldout_data};
    events.say(fmt::format("held-out perplexity {:.3f} (loss {:.4f} over {} tokens)", loss.perplexity(), loss.loss,
                           loss.tokens));
  }
  if (!e.benchmarks.empty()) {
    eval::EvalOptions options;
    options.benchmarks = e.benchmarks;
    options.data_root = e.data_root;
    options.method = e.method;
    options.shots = e.shots;
    options.limit = e.limit;
    options.out_dir = eval_dir;
    options.resume = false;  // the model under the same path may have changed since a previous run
    options.progress = events.progress;
    const eval::EvalResults results = eval::run_eval(*model, *tokenizer, options);
    report::write_eval_reports(results, eval_dir);
    out.benchmarks = benchmark_measurements(results);
    out.eval_dir = eval_dir;
  }
  for (const std::string& prompt : e.prompts) {
    GenerateOptions options;
    options.max_tokens = e.max_new_tokens;
    options.sampling.temperature = static_cast<float>(e.temperature);
    options.sampling.repeat_penalty = static_cast<float>(e.repeat_penalty);
    options.sampling.seed = recipe.seed;
    out.samples.push_back({prompt, generate(*model, *tokenizer, prompt, options).text});
  }
  return out;
}

// pipeline.json's record of a measurement.
ordered_json to_json(const report::ModelMeasurement& m) {
  ordered_json out = {{"model", m.model}};
  if (m.heldout) {
    out["heldout"] = {{"loss", m.heldout->loss},
                      {"perplexity", m.heldout->perplexity},
                      {"tokens", m.heldout->tokens},
                      {"rows", m.heldout->rows},
                      {"data", m.heldout->data}};
  }
  if (!m.eval_dir.empty()) {
    ordered_json benchmarks = ordered_json::object();
    for (const report::BenchmarkMeasurement& b : m.benchmarks) {
      benchmarks[b.name] = {{"metric", b.metric}, {"value", b.value}, {"n", b.n}, {"chance", b.chance}};
      if (b.acc_norm) benchmarks[b.name]["acc_norm"] = *b.acc_norm;
    }
    out["benchmarks"] = benchmarks;
    out["eval_dir"] = m.eval_dir;
  }
  if (!m.samples.empty()) {
    ordered_json samples = ordered_json::array();
    for (const report::SampleAnswer& sample : m.samples)
      samples.push_back({{"prompt", sample.prompt}, {"completion", sample.completion}});
    out["samples"] = samples;
  }
  return out;
}

// pipeline.json's record of a stage.
ordered_json to_json(const report::PipelineStage& stage) {
  ordered_json out = {{"name", stage.name},
                      {"objective", stage.objective},
                      {"finetuning_type", stage.finetuning_type},
                      {"steps", stage.steps},
                      {"train_loss", stage.train_loss},
                      {"output_dir", stage.output_dir},
                      {"metrics", (fs::path(stage.output_dir) / "metrics.jsonl").string()}};
  if (stage.eval_loss) out["eval_loss"] = *stage.eval_loss;
  if (stage.merged) out["merged"] = *stage.merged;
  return out;
}

// Train one stage on `model`; returns the model the next stage (or the final measurement) uses.
std::string train_stage(const Recipe& recipe, const RecipeStage& stage, const std::string& model,
                        const std::string& data_dir, const fs::path& stage_dir, report::PipelineStage& record,
                        const RunEvents& events) {
  TrainOptions t = stage.train;
  t.model = model;
  t.data = data_dir;
  t.output_dir = (stage_dir / "train").string();
  t.seed = recipe.seed;
  t.threads = recipe.threads;
  bool has_checkpoint = false;
  if (fs::exists(t.output_dir)) {
    for (const auto& entry : fs::directory_iterator(t.output_dir))
      has_checkpoint |= entry.path().filename().string().starts_with("checkpoint-");
  }
  if (has_checkpoint) t.resume_from_checkpoint = "latest";
  t.overwrite_output_dir = true;  // the stage's own directory: what a run cut before its first checkpoint left
  TrainResult result;
  try {
    result = train(t, events);
  } catch (const Error& e) {
    if (!has_checkpoint) throw;
    fail(
        "{}\n(the pipeline resumes the training it finds in {}; to start over with other settings, use another "
        "--output-dir or remove that directory)",
        e.what(), t.output_dir);
  }
  report::write_training_report(t.output_dir, t.to_json());  // an interrupted run's curves too
  if (result.interrupted) fail("stage '{}' was interrupted; run the pipeline again to resume it", stage.name);
  record = {.name = stage.name,
            .objective = stage.data.objective,
            .finetuning_type = t.finetuning_type,
            .steps = result.steps,
            .train_loss = result.last_train_loss,
            .eval_loss = result.final_eval_loss,
            .output_dir = t.output_dir};
  if (t.finetuning_type == "full") return t.output_dir;  // a Hugging Face model directory
  // LoRA: merge the adapter into the stage's base, so the next stage (and users) get a plain model.
  const std::string merged = (stage_dir / "merged").string();
  const auto merged_model = Model::load(
      model, LoadOptions{.threads = recipe.threads, .check_weights = false, .lora_adapters = {{t.output_dir, 1.0f}}});
  export_huggingface(*merged_model, merged);
  record.merged = merged;
  return merged;
}

std::string format_change(const ordered_json& before, const ordered_json& after, bool lower_is_better) {
  const double b = before.get<double>(), a = after.get<double>();
  if (lower_is_better && a > 0) return fmt::format("{:.2f}× lower", b / a);
  return fmt::format("{:+.1f} points", 100.0 * (a - b));
}

}  // namespace

std::string before_after_table(const ordered_json& before, const ordered_json& after) {
  std::string out = fmt::format("{:<34} {:>14} {:>14}   {}\n", "measurement", "before", "after", "change");
  if (before.contains("heldout") && after.contains("heldout")) {
    const auto& b = before["heldout"]["perplexity"];
    const auto& a = after["heldout"]["perplexity"];
    out += fmt::format("{:<34} {:>14.3f} {:>14.3f}   {}\n", "held-out perplexity (lower=better)", b.get<double>(),
                       a.get<double>(), format_change(b, a, true));
  }
  if (before.contains("benchmarks") && after.contains("benchmarks")) {
    for (const auto& [name, b] : before["benchmarks"].items()) {
      if (!after["benchmarks"].contains(name)) continue;
      const auto& a = after["benchmarks"][name];
      const std::string label = fmt::format("{} {} (n={}, chance {:.0f}%)", name, b["metric"].get<std::string>(),
                                            b["n"].get<int64_t>(), 100.0 * b["chance"].get<double>());
      out += fmt::format("{:<34} {:>13.1f}% {:>13.1f}%   {}\n", label, 100.0 * b["value"].get<double>(),
                         100.0 * a["value"].get<double>(), format_change(b["value"], a["value"], false));
    }
  }
  const size_t samples = before.contains("samples") && after.contains("samples")
                             ? std::min(before["samples"].size(), after["samples"].size())
                             : 0;
  for (size_t i = 0; i < samples; ++i) {
    out += fmt::format("\nprompt: {}\n  before: {}\n  after:  {}\n", before["samples"][i]["prompt"].get<std::string>(),
                       before["samples"][i]["completion"].get<std::string>(),
                       after["samples"][i]["completion"].get<std::string>());
  }
  return out;
}

ordered_json run_pipeline(const Recipe& recipe, const RunEvents& events) {
  const auto started = std::chrono::steady_clock::now();
  const fs::path out(recipe.output_dir);
  fs::create_directories(out);
  write_file_atomically((out / "recipe.json").string(), recipe.resolved.dump(2) + "\n");
  const int total = static_cast<int>(recipe.stages.size()) + 3;
  int step = 0;
  const auto stage_title = [&](const std::string& what) {
    events.say(fmt::format("pipeline [{}/{}] {}", ++step, total, what));
  };

  std::vector<std::string> data_dirs;
  stage_title("preparing the training data");
  for (const RecipeStage& stage : recipe.stages) {
    data_dirs.push_back((out / stage.name / "data").string());
    // Every stage's data is tokenized with the base model's tokenizer, which training keeps.
    prepare_stage_data(recipe.model, stage.data, data_dirs.back(), events);
  }

  ordered_json timing = ordered_json::object();
  auto phase = std::chrono::steady_clock::now();
  stage_title(fmt::format("measuring the base model {}", recipe.model));
  report::PipelineRun run{.name = recipe.name, .base_model = recipe.model, .seed = recipe.seed};
  run.before = measure(recipe, recipe.model, data_dirs.front(), (out / "eval" / "before").string(), events);
  timing["measure_before_s"] = seconds_since(phase);

  std::string model = recipe.model;
  ordered_json stages = ordered_json::array();
  for (size_t i = 0; i < recipe.stages.size(); ++i) {
    const RecipeStage& stage = recipe.stages[i];
    stage_title(fmt::format("stage '{}': {} {} training on {}", stage.name, stage.train.finetuning_type,
                            stage.data.objective, data_dirs[i]));
    phase = std::chrono::steady_clock::now();
    model = train_stage(recipe, stage, model, data_dirs[i], out / stage.name, run.stages.emplace_back(), events);
    timing["stage_" + stage.name + "_s"] = seconds_since(phase);
    stages.push_back(to_json(run.stages.back()));
  }

  stage_title(fmt::format("measuring the adapted model {}", model));
  phase = std::chrono::steady_clock::now();
  run.after = measure(recipe, model, data_dirs.front(), (out / "eval" / "after").string(), events);
  timing["measure_after_s"] = seconds_since(phase);
  timing["total_s"] = seconds_since(started);
  run.adapted_model = model;
  run.total_seconds = timing["total_s"].get<double>();
  run.recipe = recipe.resolved;

  ordered_json result = {{"recipe", recipe.source},     {"name", recipe.name},    {"seed", recipe.seed},
                         {"base_model", recipe.model},  {"adapted_model", model}, {"before", to_json(run.before)},
                         {"after", to_json(run.after)}, {"stages", stages},       {"timing", timing}};
  write_file_atomically((out / "pipeline.json").string(), result.dump(2) + "\n");
  report::write_pipeline_report(run, (out / "report.html").string());

  return result;
}

}  // namespace medllm
