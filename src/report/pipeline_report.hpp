#pragma once
// report.html of a pipeline run: the before/after table, each stage's loss curves, the sample
// answers before and after, and the recipe, in the shared page shell. The page takes plain data
// (report/ sits below pipeline/): the pipeline fills these structs and writes pipeline.json from
// the same values.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace medllm::report {

struct HeldoutMeasurement {
  double loss = 0;  // nats per token
  double perplexity = 0;
  int64_t tokens = 0, rows = 0;
  std::string data = {};  // the prepared data whose validation split was measured
};

struct BenchmarkMeasurement {
  std::string name = {}, metric = {};  // the benchmark and its primary metric
  double value = 0;                    // a proportion
  int64_t n = 0;
  double chance = 0;
  std::optional<double> acc_norm = {};
};

struct SampleAnswer {
  std::string prompt = {}, completion = {};
};

// One model measured: held-out perplexity, benchmark accuracy, sample answers.
struct ModelMeasurement {
  std::string model = {};
  std::optional<HeldoutMeasurement> heldout = {};
  std::vector<BenchmarkMeasurement> benchmarks = {};
  std::string eval_dir = {};  // where the benchmark results were written; "" without benchmarks
  std::vector<SampleAnswer> samples = {};
};

struct PipelineStage {
  std::string name = {}, objective = {}, finetuning_type = {};
  int64_t steps = 0;
  double train_loss = 0;
  std::optional<double> eval_loss = {};
  std::string output_dir = {};             // its metrics.jsonl and training_report.html
  std::optional<std::string> merged = {};  // LoRA: the base with the adapter merged in
};

struct PipelineRun {
  std::string name = {}, base_model = {}, adapted_model = {};
  uint64_t seed = 0;
  double total_seconds = 0;
  ModelMeasurement before = {}, after = {};
  std::vector<PipelineStage> stages = {};
  nlohmann::json recipe = {};  // as resolved, shown at the end of the page
};

std::string pipeline_report_html(const PipelineRun& run);
void write_pipeline_report(const PipelineRun& run, const std::string& path);

}  // namespace medllm::report
