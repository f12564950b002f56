// Training throughput: tokens per second of full fine-tuning and LoRA (r = 16 on every
// projection) for the ~125M Llama config (hidden 768, 12 layers, 12 heads, ffn 2048, vocab
// 32000, seq 256), at 1 and 2 threads, against PyTorch training the same model from the same
// file in the same run (bench/torch_training.py), and as model FLOPs utilisation: model FLOPs
// per token × tokens/s over the sgemm throughput measured now on this machine. Model FLOPs per
// token are 6·N for full fine-tuning (forward 2N, input and weight gradients 4N) and 4·N for
// LoRA (no weight gradients of the frozen base; the adapters' own work is under 1% at r = 16).
//
//   medllm_bench_training [--batch 4] [--seq 256] [--steps 3] [--threads 1,2] [--modes full,lora]
//                         [--no-torch] [--json FILE]

#include <fmt/format.h>
#include <algorithm>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <medllm/medllm.hpp>
#include <random>

#include "machine_reference.hpp"
#include "model/model_state.hpp"
#include "model/trainable_transformer.hpp"
#include "random_llama.hpp"
#include "run_info.hpp"
#include "timing.hpp"
#include "train/optimizer.hpp"

namespace {

using namespace medllm;

struct Run {
  std::string mode;
  int threads = 1;
  bench::Summary step_seconds;
  double tokens_per_second = 0.0;
};

Run run_medllm(const std::string& model_dir, const std::string& mode, int threads, int64_t batch, int64_t seq,
               int steps, int warmup) {
  const auto model = Model::load(model_dir, LoadOptions{.threads = threads, .check_weights = false});
  std::unique_ptr<TrainableTransformer> net;
  if (mode == "full") {
    net = std::make_unique<TrainableTransformer>(model->config(), model_state(*model).weights);
  } else {
    LoraOptions lora;
    lora.rank = 16;
    lora.alpha = 32.0f;
    lora.target_modules = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
    net = std::make_unique<TrainableTransformer>(model->config(), model_state(*model).weights, lora, 1);
  }
  const auto params = net->trainable_parameters();
  AdamW optimizer(params, AdamWOptions{});
  std::mt19937 rng(1);
  std::uniform_int_distribution<int32_t> token(0, static_cast<int32_t>(model->config().vocab_size - 1));
  std::vector<double> times;
  for (int step = 0; step < warmup + steps; ++step) {
    std::vector<int32_t> tokens(static_cast<size_t>(batch * seq)), targets(tokens.size());
    for (auto& t : tokens) t = token(rng);
    for (auto& t : targets) t = token(rng);
    const double seconds = bench::time_seconds([&] {
      net->zero_grad();
      net->forward_backward(tokens, targets, batch, 1.0f / static_cast<float>(batch * seq), 0,
                            *model_state(*model).pool);
      clip_grad_norm(params, 1.0, model_state(*model).pool.get());
      optimizer.step(1e-4, model_state(*model).pool.get());
    });
    if (step >= warmup) times.push_back(seconds);
  }
  Run run{mode, threads, bench::summarize(times), 0.0};
  run.tokens_per_second = static_cast<double>(batch * seq) / run.step_seconds.median;
  return run;
}

std::optional<Run> run_torch(const std::string& model_dir, const std::string& mode, int threads, int64_t batch,
                             int64_t seq, int steps, int warmup) {
  // PyTorch's BLAS has its own thread pool: unpinned, "1 thread" would use every core and 2
  // threads would oversubscribe them.
  const std::string command = fmt::format(
      "OMP_NUM_THREADS={0} OPENBLAS_NUM_THREADS={0} MKL_NUM_THREADS={0} /usr/bin/python3 {1}/bench/torch_training.py "
      "--model {2} --mode {3} --threads {0} --batch {4} --seq {5} --steps {6} --warmup {7}",
      threads, MEDLLM_SOURCE_DIR, model_dir, mode, batch, seq, steps, warmup);
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  std::string output;
  char buffer[4096];
  while (const size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  if (::pclose(pipe) != 0) {
    fmt::print(stderr, "PyTorch reference failed: {}\n", command);
    return std::nullopt;
  }
  const auto result = nlohmann::json::parse(output);
  Run run{mode, threads, bench::summarize(result["step_seconds"].get<std::vector<double>>()), 0.0};
  run.tokens_per_second = static_cast<double>(batch * seq) / run.step_seconds.median;
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"medllm training benchmark: tokens/s and MFU for full and LoRA fine-tuning vs PyTorch"};
  int64_t batch = 4, seq = 256;
  int steps = 3, warmup = 1;
  std::vector<int> thread_counts = {1, 2};
  std::vector<std::string> modes = {"full", "lora"};
  bool no_torch = false;
  std::string json_path, models_dir = MEDLLM_BENCH_MODELS_DIR;
  app.add_option("--batch", batch, "sequences per step");
  app.add_option("--seq", seq, "tokens per sequence");
  app.add_option("--steps", steps, "timed steps (median reported)");
  app.add_option("--warmup", warmup, "untimed steps first");
  app.add_option("--threads", thread_counts, "thread counts")->delimiter(',');
  app.add_option("--modes", modes, "full, lora")->delimiter(',');
  app.add_flag("--no-torch", no_torch, "skip the PyTorch reference");
  app.add_option("--models-dir", models_dir, "where the random model is written");
  app.add_option("--json", json_path, "write the figures here");
  CLI11_PARSE(app, argc, argv);

  const std::filesystem::path model_dir = std::filesystem::path(models_dir) / "llama125m-f32";
  const bench::LlamaShape shape;
  bench::ensure_random_llama(model_dir, shape, DType::F32);
  // N: every weight except the input embedding (a lookup, not a matmul); the untied output head
  // counts, as it is a matmul.
  const double n_params = static_cast<double>(
      shape.layers * (4 * shape.hidden * shape.hidden + 3 * shape.hidden * shape.ffn) + shape.vocab * shape.hidden);
  nlohmann::json out = {
      {"machine", bench::collect_run_info(MEDLLM_SOURCE_DIR).to_json()},
      {"model", {{"shape", "hidden 768, 12 layers, 12 heads, ffn 2048, vocab 32000"}, {"matmul_parameters", n_params}}},
      {"batch", batch},
      {"seq", seq},
      {"runs", nlohmann::json::array()}};
  fmt::print("{:<6} {:>7} {:>14} {:>14} {:>8} {:>8} {:>10}\n", "mode", "threads", "medllm tok/s", "torch tok/s",
             "ratio", "MFU", "peak GF/s");
  for (const int threads : thread_counts) {
    // A peak: the best of several samples, so a moment of contention on a shared machine does not
    // lower it (and inflate the MFU).
    bench::SgemmProbe probe(1024, 1024, 1024, threads);
    double peak = 0.0;
    for (int sample = 0; sample < 7; ++sample) peak = std::max(peak, probe.flops_per_second());
    for (const auto& mode : modes) {
      const Run ours = run_medllm(model_dir.string(), mode, threads, batch, seq, steps, warmup);
      const auto theirs =
          no_torch ? std::nullopt : run_torch(model_dir.string(), mode, threads, batch, seq, steps, warmup);
      const double flops_per_token = (mode == "full" ? 6.0 : 4.0) * n_params;
      const double mfu = flops_per_token * ours.tokens_per_second / peak;
      fmt::print("{:<6} {:>7} {:>14.0f} {:>14} {:>8} {:>7.1f}% {:>10.1f}\n", mode, threads, ours.tokens_per_second,
                 theirs ? fmt::format("{:.0f}", theirs->tokens_per_second) : "-",
                 theirs ? fmt::format("{:.2f}", ours.tokens_per_second / theirs->tokens_per_second) : "-", 100 * mfu,
                 peak / 1e9);
      nlohmann::json row = {{"mode", mode},
                            {"threads", threads},
                            {"medllm_step_seconds", ours.step_seconds.to_json()},
                            {"medllm_tokens_per_second", ours.tokens_per_second},
                            {"sgemm_peak_flops", peak},
                            {"model_flops_per_token", flops_per_token},
                            {"mfu", mfu}};
      if (theirs) {
        row["torch_step_seconds"] = theirs->step_seconds.to_json();
        row["torch_tokens_per_second"] = theirs->tokens_per_second;
        row["speedup_vs_torch"] = ours.tokens_per_second / theirs->tokens_per_second;
      }
      out["runs"].push_back(row);
    }
  }
  if (!json_path.empty()) std::ofstream(json_path) << out.dump(2) << "\n";
  return 0;
}
