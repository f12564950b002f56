#include "pipeline/pipeline.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
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
#include "report/pipeline_report.hpp"
#include "report/training_report.hpp"

namespace medllm {

namespace {

namespace fs = std::filesystem;
using ordered_json = nlohmann::ordered_json;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

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

void say(const std::string& text) {
  std::fprintf(stderr, "\nmedllm pipeline: %s\n", text.c_str());
}

// The stage's data, prepared unless a previous run prepared it with the same options.
void prepare_stage_data(const std::string& model, PrepareOptions options, const std::string& out_dir) {
  options.out_dir = out_dir;
  const fs::path stamp = fs::path(out_dir) / "prepare_options.json";
  const nlohmann::json wanted = {{"model", model}, {"options", options.to_json()}};
  if (fs::exists(stamp) && fs::exists(fs::path(out_dir) / "dataset.json") && read_json_file(stamp.string()) == wanted) {
    std::fprintf(stderr, "medllm pipeline: %s already prepared with these options; reusing it\n", out_dir.c_str());
    return;
  }
  fs::create_directories(out_dir);
  fs::remove(stamp);
  const PrepareStats stats = prepare_dataset(model, options);
  for (const std::string& example : stats.malformed_examples)
    std::fprintf(stderr, "medllm pipeline: skipped %s\n", example.c_str());
  std::fprintf(stderr, "medllm pipeline: %s\n", stats.counts_text().c_str());
  write_file_atomically(stamp.string(), wanted.dump(2) + "\n");
}

// The primary metric of each benchmark, from the run's typed results.
std::vector<report::BenchmarkMeasurement> benchmark_measurements(const eval::EvalResults& results) {
  std::vector<report::BenchmarkMeasurement> out;
  for (const eval::BenchmarkResult& bench : results.benchmarks) {
    const std::string primary = bench.primary_metric.value_or("acc");
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
                                 const std::string& eval_dir) {
  const auto model = Model::load(model_path, LoadOptions{.threads = recipe.threads, .check_weights = false});
  const auto tokenizer = Tokenizer::load(*model);
  report::ModelMeasurement out{.model = model_path};
  const RecipeEval& e = recipe.eval;
  if (e.heldout) {
    const int64_t seq = recipe.stages.front().train.max_seq_length;
    const eval::HeldoutLoss loss = eval::heldout_loss(*model, *tokenizer, heldout_data, seq, e.heldout_rows);
    out.heldout = {loss.loss, loss.perplexity(), loss.tokens, loss.rows, heldout_data};
    std::fprintf(stderr, "medllm pipeline: held-out perplexity %.3f (loss %.4f over %lld tokens)\n", loss.perplexity(),
                 loss.loss, static_cast<long long>(loss.tokens));
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
                        const std::string& data_dir, const fs::path& stage_dir, report::PipelineStage& record) {
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
    result = train(t);
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

std::string format_change(double before, double after, bool lower_is_better) {
  if (lower_is_better && after > 0) return fmt::format("{:.2f}× lower", before / after);
  return fmt::format("{:+.1f} points", 100.0 * (after - before));
}

void print_table(const report::ModelMeasurement& before, const report::ModelMeasurement& after) {
  std::fprintf(stderr, "\n%-34s %14s %14s   %s\n", "measurement", "before", "after", "change");
  if (before.heldout && after.heldout) {
    const double b = before.heldout->perplexity, a = after.heldout->perplexity;
    std::fprintf(stderr, "%-34s %14.3f %14.3f   %s\n", "held-out perplexity (lower=better)", b, a,
                 format_change(b, a, true).c_str());
  }
  for (size_t i = 0; i < before.benchmarks.size() && i < after.benchmarks.size(); ++i) {
    const report::BenchmarkMeasurement &b = before.benchmarks[i], &a = after.benchmarks[i];
    const std::string label = fmt::format("{} {} (n={}, chance {:.0f}%)", b.name, b.metric, b.n, 100.0 * b.chance);
    std::fprintf(stderr, "%-34s %13.1f%% %13.1f%%   %s\n", label.c_str(), 100.0 * b.value, 100.0 * a.value,
                 format_change(b.value, a.value, false).c_str());
  }
  for (size_t i = 0; i < before.samples.size() && i < after.samples.size(); ++i) {
    std::fprintf(stderr, "\nprompt: %s\n  before: %s\n  after:  %s\n", before.samples[i].prompt.c_str(),
                 before.samples[i].completion.c_str(), after.samples[i].completion.c_str());
  }
}

}  // namespace

ordered_json run_pipeline(const Recipe& recipe) {
  const auto started = std::chrono::steady_clock::now();
  const fs::path out(recipe.output_dir);
  fs::create_directories(out);
  write_file_atomically((out / "recipe.json").string(), recipe.resolved.dump(2) + "\n");
  const int total = static_cast<int>(recipe.stages.size()) + 3;
  int step = 0;
  const auto stage_title = [&](const std::string& what) { say(fmt::format("[{}/{}] {}", ++step, total, what)); };

  std::vector<std::string> data_dirs;
  stage_title("preparing the training data");
  for (const RecipeStage& stage : recipe.stages) {
    data_dirs.push_back((out / stage.name / "data").string());
    // Every stage's data is tokenized with the base model's tokenizer, which training keeps.
    prepare_stage_data(recipe.model, stage.data, data_dirs.back());
  }

  ordered_json timing = ordered_json::object();
  auto phase = std::chrono::steady_clock::now();
  stage_title(fmt::format("measuring the base model {}", recipe.model));
  report::PipelineRun run{.name = recipe.name, .base_model = recipe.model, .seed = recipe.seed};
  run.before = measure(recipe, recipe.model, data_dirs.front(), (out / "eval" / "before").string());
  timing["measure_before_s"] = seconds_since(phase);

  std::string model = recipe.model;
  ordered_json stages = ordered_json::array();
  for (size_t i = 0; i < recipe.stages.size(); ++i) {
    const RecipeStage& stage = recipe.stages[i];
    stage_title(fmt::format("stage '{}': {} {} training on {}", stage.name, stage.train.finetuning_type,
                            stage.data.objective, data_dirs[i]));
    phase = std::chrono::steady_clock::now();
    model = train_stage(recipe, stage, model, data_dirs[i], out / stage.name, run.stages.emplace_back());
    timing["stage_" + stage.name + "_s"] = seconds_since(phase);
    stages.push_back(to_json(run.stages.back()));
  }

  stage_title(fmt::format("measuring the adapted model {}", model));
  phase = std::chrono::steady_clock::now();
  run.after = measure(recipe, model, data_dirs.front(), (out / "eval" / "after").string());
  timing["measure_after_s"] = seconds_since(phase);
  timing["total_s"] = seconds_since(started);
  run.adapted_model = model;
  run.total_seconds = timing["total_s"].get<double>();
  run.recipe = recipe.resolved;

  print_table(run.before, run.after);
  ordered_json result = {{"recipe", recipe.source},     {"name", recipe.name},    {"seed", recipe.seed},
                         {"base_model", recipe.model},  {"adapted_model", model}, {"before", to_json(run.before)},
                         {"after", to_json(run.after)}, {"stages", stages},       {"timing", timing}};
  write_file_atomically((out / "pipeline.json").string(), result.dump(2) + "\n");
  const std::string report_path = (out / "report.html").string();
  report::write_pipeline_report(run, report_path);

  const std::string prompt =
      recipe.eval.prompts.empty() ? std::string("Question: What is diabetes?\nAnswer:") : recipe.eval.prompts.front();
  std::fprintf(stderr,
               "\nmedllm pipeline: done in %.0f s. Report: %s\nThe adapted model (Hugging Face format) is in %s; try "
               "it:\n  medllm generate -m %s -p %s -n 80\nor serve it (OpenAI-compatible API on 127.0.0.1:8080):\n"
               "  medllm serve -m %s\n",
               run.total_seconds, report_path.c_str(), model.c_str(), model.c_str(), shell_quote(prompt).c_str(),
               model.c_str());
  return result;
}

}  // namespace medllm
