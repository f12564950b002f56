// Multiple-choice evaluation throughput: MedQA items per second with log-likelihood scoring on a
// ~125M-parameter random Llama model, with the prompt computed once per question and shared by
// its choices (prompt KV sharing) and without (each choice re-runs the prompt, as lm-eval does).
// Both modes give bit-identical scores; the ratio is the speed-up sharing buys.
//
//   medllm_bench_eval [--items 8] [--reps 1] [--batch-size 8] [--threads 2] [--json FILE]

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <medllm/medllm.hpp>

#include "eval/benchmarks.hpp"
#include "eval/prompts.hpp"
#include "random_llama.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"medllm evaluation benchmark: MedQA log-likelihood items/s with and without prompt sharing"};
  int items = 8, reps = 1, batch = 8, threads = 2;
  std::string json_path;
  std::string models_dir = MEDLLM_BENCH_MODELS_DIR;
  app.add_option("--items", items, "MedQA questions per repetition");
  app.add_option("--reps", reps, "repetitions (median reported)");
  app.add_option("--batch-size", batch, "questions per forward pass");
  app.add_option("--threads", threads, "threads");
  app.add_option("--models-dir", models_dir, "where the random model is written");
  app.add_option("--json", json_path, "write the figures here");
  CLI11_PARSE(app, argc, argv);

  const std::filesystem::path model_dir = std::filesystem::path(models_dir) / "llama125m-f32";
  medllm::bench::ensure_random_llama(model_dir, medllm::bench::LlamaShape{}, medllm::DType::F32);
  const auto model =
      medllm::Model::load(model_dir.string(), medllm::LoadOptions{.threads = threads, .check_weights = false});
  // The random model has no tokenizer; the embedded stories260K vocabulary (ids < 512) gives
  // realistic token counts for English text.
  const std::string stories = std::string(MEDLLM_SOURCE_DIR) + "/data/models/stories260K/stories260K.gguf";
  const auto tokenizer = medllm::Tokenizer::from_path(stories);
  const auto bench = medllm::eval::load_benchmark("medqa", std::string(MEDLLM_SOURCE_DIR) + "/../shared/data");

  std::vector<medllm::ScoreRequest> requests;
  int64_t prompt_tokens = 0;
  for (int i = 0; i < items; ++i) {
    const auto task = medllm::eval::build_loglik_task("medqa", bench.items[static_cast<size_t>(i)], {});
    medllm::ScoreRequest request;
    request.prompt = tokenizer->encode(task.context, true);
    prompt_tokens += static_cast<int64_t>(request.prompt.size());
    for (const auto& continuation : task.continuations) {
      const auto whole = tokenizer->encode(task.context + continuation, true);
      request.continuations.emplace_back(whole.begin() + static_cast<std::ptrdiff_t>(request.prompt.size()),
                                         whole.end());
    }
    requests.push_back(std::move(request));
  }

  medllm::Scorer scorer(*model);
  nlohmann::json out = {{"items", items},
                        {"batch_size", batch},
                        {"threads", threads},
                        {"mean_prompt_tokens", static_cast<double>(prompt_tokens) / items}};
  std::vector<double> shared_rate, unshared_rate;
  std::vector<std::vector<std::vector<medllm::ContinuationScore>>> last(2);
  for (int rep = -1; rep < reps; ++rep) {  // rep -1 warms up
    for (int mode = 0; mode < 2; ++mode) {
      const bool share = mode == 0;
      std::vector<std::vector<medllm::ContinuationScore>> scores;
      const auto start = Clock::now();
      for (size_t b = 0; b < requests.size(); b += static_cast<size_t>(batch)) {
        const size_t end = std::min(requests.size(), b + static_cast<size_t>(batch));
        auto part = scorer.score(std::span(requests).subspan(b, end - b), share);
        scores.insert(scores.end(), part.begin(), part.end());
      }
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      if (rep >= 0) (share ? shared_rate : unshared_rate).push_back(items / seconds);
      last[static_cast<size_t>(mode)] = std::move(scores);
    }
  }
  bool identical = true;
  for (size_t i = 0; i < last[0].size(); ++i) {
    for (size_t c = 0; c < last[0][i].size(); ++c)
      identical = identical && last[0][i][c].token_logprobs == last[1][i][c].token_logprobs;
  }
  const double shared = median(shared_rate), unshared = median(unshared_rate);
  fmt::print(
      "MedQA loglik on a 134M random Llama (f32, {} threads, batch {}), {} questions, {:.0f} prompt tokens each\n",
      threads, batch, items, static_cast<double>(prompt_tokens) / items);
  fmt::print(
      "  with prompt sharing:    {:.2f} items/s\n  without prompt sharing: {:.2f} items/s\n  speed-up: {:.2f}x; scores "
      "identical: {}\n",
      shared, unshared, shared / unshared, identical ? "yes" : "NO");
  out["items_per_s_shared"] = shared_rate;
  out["items_per_s_unshared"] = unshared_rate;
  out["median_shared"] = shared;
  out["median_unshared"] = unshared;
  out["speedup"] = shared / unshared;
  out["identical_scores"] = identical;
  if (!json_path.empty()) std::ofstream(json_path) << out.dump(2) << "\n";
  return identical ? 0 : 1;
}
