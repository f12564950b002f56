// Prefill and decode speed of a ~125M-parameter random Llama model (f32 and bf16, each thread
// count asked for), as medians of repeated runs. Each figure comes with a roofline measured in
// the same run on the same threads, so results stay comparable across machines and under load:
// decode against memory-read bandwidth, prefill against OpenBLAS sgemm.
//
//   medllm_bench_inference [--reps N] [--quick] [--dtypes f32,bf16] [--threads 1,2]
//                          [--models-dir DIR] [--json FILE]

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <medllm/model.hpp>
#include <medllm/session.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "machine_reference.hpp"
#include "model/model_state.hpp"
#include "random_llama.hpp"
#include "run_info.hpp"
#include "timing.hpp"

namespace medllm::bench {

namespace {

namespace fs = std::filesystem;

struct Options {
  int reps = 5;
  bool quick = false;
  fs::path models_dir = MEDLLM_BENCH_MODELS_DIR;
  std::string json_path;
  std::vector<std::string> dtypes = {"f32", "bf16"};
  std::vector<int> threads = {1, 2};
};

// Token counts of one prefill and one decode measurement.
struct Workload {
  int64_t prefill_tokens = 128;
  int64_t decode_prompt_tokens = 16;
  int64_t decode_tokens = 64;

  nlohmann::json to_json() const {
    return {{"prefill_tokens", prefill_tokens},
            {"decode_prompt_tokens", decode_prompt_tokens},
            {"decode_tokens", decode_tokens}};
  }
};

// The work the model does, from its weights: what a decoded token must read from memory and
// what a prefill must compute.
struct ModelCost {
  int64_t parameters = 0;               // every tensor, embeddings included
  int64_t layer_matmul_parameters = 0;  // q, k, v, o, gate, up, down of all layers
  int64_t lm_head_parameters = 0;
  double decode_bytes_per_token = 0.0;  // layer matrices + lm_head, as stored
  double prefill_flops = 0.0;

  nlohmann::json to_json() const {
    return {{"parameters", parameters},
            {"layer_matmul_parameters", layer_matmul_parameters},
            {"lm_head_parameters", lm_head_parameters},
            {"decode_weight_bytes_per_token", decode_bytes_per_token},
            {"prefill_flops", prefill_flops}};
  }
};

struct PrefillResult {
  Summary tokens_per_second;
  Summary flops_per_second;        // achieved by the model
  Summary sgemm_flops_per_second;  // the reference
  double ratio = 0.0;              // median achieved / median reference
};

struct DecodeResult {
  Summary tokens_per_second;
  Summary read_bytes_per_second;  // the reference
  double ideal_tokens_per_second = 0.0;
  double ratio = 0.0;  // median measured / ideal
};

struct ConfigResult {
  std::string dtype;
  int threads = 0;
  ModelCost cost;
  PrefillResult prefill;
  DecodeResult decode;
};

DType parse_dtype(const std::string& name) {
  if (name == "f32") return DType::F32;
  if (name == "bf16") return DType::BF16;
  fail("unknown dtype '{}' (expected f32 or bf16)", name);
}

std::vector<int32_t> random_tokens(int64_t count, int64_t vocab, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int32_t> pick(0, static_cast<int32_t>(vocab - 1));
  std::vector<int32_t> tokens(static_cast<size_t>(count));
  for (auto& t : tokens) t = pick(rng);
  return tokens;
}

ModelCost model_cost(const Model& model, const Workload& workload) {
  const ModelConfig& c = model.config();
  const ModelWeights& weights = model_state(model).weights;
  ModelCost cost;
  for (const auto& tensor : model.tensors()) cost.parameters += shape_numel(tensor.shape);
  double layer_bytes = 0.0;
  for (const LayerWeights& layer : weights.layers) {
    for (const TensorView& m : layer.projections) {
      cost.layer_matmul_parameters += m.numel();
      layer_bytes += static_cast<double>(m.nbytes());
    }
  }
  cost.lm_head_parameters = weights.lm_head.numel();
  cost.decode_bytes_per_token = layer_bytes + static_cast<double>(weights.lm_head.nbytes());
  // A multiply-add is 2 FLOP. Every prompt token goes through the layer matrices; only the last
  // one through lm_head (LogitsFor::Last). Causal attention: token t scores t + 1 keys and sums
  // as many values, per head and layer.
  const double tokens = static_cast<double>(workload.prefill_tokens);
  const double attention_pairs = tokens * (tokens + 1.0) / 2.0;
  cost.prefill_flops = 2.0 * static_cast<double>(cost.layer_matmul_parameters) * tokens +
                       2.0 * static_cast<double>(cost.lm_head_parameters) +
                       4.0 * static_cast<double>(c.head_dim * c.num_heads * c.num_layers) * attention_pairs;
  return cost;
}

// Both measurements alternate one reference sample with one model sample, so that the two see the
// same background load and their ratio stays meaningful on a busy machine.
PrefillResult measure_prefill(const Model& model, const Workload& workload, const ModelCost& cost, int reps,
                              int threads) {
  const ModelConfig& c = model.config();
  const std::vector<int32_t> prompt = random_tokens(workload.prefill_tokens, c.vocab_size, 1);
  SgemmProbe sgemm(workload.prefill_tokens, c.intermediate_size, c.hidden_size, threads);
  auto run_prefill = [&] {
    Session session(model);
    return time_seconds([&] { session.forward(prompt, LogitsFor::Last); });
  };
  run_prefill();  // warm-up: faults the weights in and starts OpenBLAS's threads
  std::vector<double> tokens_per_second, flops_per_second, sgemm_flops;
  for (int r = 0; r < reps; ++r) {
    sgemm_flops.push_back(sgemm.flops_per_second());
    const double seconds = run_prefill();
    tokens_per_second.push_back(static_cast<double>(workload.prefill_tokens) / seconds);
    flops_per_second.push_back(cost.prefill_flops / seconds);
  }
  PrefillResult result{summarize(tokens_per_second), summarize(flops_per_second), summarize(sgemm_flops)};
  result.ratio = result.flops_per_second.median / result.sgemm_flops_per_second.median;
  return result;
}

DecodeResult measure_decode(const Model& model, const Workload& workload, const ModelCost& cost, int reps) {
  const ModelConfig& c = model.config();
  const std::vector<int32_t> prompt = random_tokens(workload.decode_prompt_tokens, c.vocab_size, 2);
  const std::vector<int32_t> next = random_tokens(workload.decode_tokens, c.vocab_size, 3);
  // The model's own pool: the reference reads with exactly the threads that decoding uses.
  MemoryReadProbe memory(static_cast<size_t>(cost.decode_bytes_per_token), *model_state(model).pool);
  auto run_decode = [&](int64_t steps) {
    Session session(model);
    session.forward(prompt, LogitsFor::Last);
    return time_seconds([&] {
      for (int64_t i = 0; i < steps; ++i) session.forward({&next[static_cast<size_t>(i)], 1}, LogitsFor::Last);
    });
  };
  run_decode(std::min<int64_t>(4, workload.decode_tokens));  // warm-up
  std::vector<double> tokens_per_second, read_bytes_per_second;
  for (int r = 0; r < reps; ++r) {
    read_bytes_per_second.push_back(memory.read_bytes_per_second());
    tokens_per_second.push_back(static_cast<double>(workload.decode_tokens) / run_decode(workload.decode_tokens));
  }
  DecodeResult result{summarize(tokens_per_second), summarize(read_bytes_per_second)};
  result.ideal_tokens_per_second = result.read_bytes_per_second.median / cost.decode_bytes_per_token;
  result.ratio = result.tokens_per_second.median / result.ideal_tokens_per_second;
  return result;
}

std::string spread(const Summary& s) {
  return fmt::format("{:.1f} [{:.1f}-{:.1f}]", s.median, s.min, s.max);
}

void print_table(const std::vector<ConfigResult>& results, const Workload& workload, const LlamaShape& shape) {
  fmt::print("\nprefill: {}-token prompt; decode: {} tokens after a {}-token prompt; median [min-max]\n",
             workload.prefill_tokens, workload.decode_tokens, workload.decode_prompt_tokens);
  fmt::print("{:<5} {:>3} | {:>24} {:>8} {:>8} {:>6} | {:>22} {:>8} {:>7} {:>6}\n", "dtype", "thr", "prefill tok/s",
             "GFLOP/s", "sgemm", "ratio", "decode tok/s", "read GB/s", "ideal", "ratio");
  for (const auto& r : results) {
    fmt::print("{:<5} {:>3} | {:>24} {:>8.1f} {:>8.1f} {:>6.2f} | {:>22} {:>8.1f} {:>7.1f} {:>6.2f}\n", r.dtype,
               r.threads, spread(r.prefill.tokens_per_second), r.prefill.flops_per_second.median / 1e9,
               r.prefill.sgemm_flops_per_second.median / 1e9, r.prefill.ratio, spread(r.decode.tokens_per_second),
               r.decode.read_bytes_per_second.median / 1e9, r.decode.ideal_tokens_per_second, r.decode.ratio);
  }
  fmt::print(
      "GFLOP/s: prefill FLOP / time; sgemm: cblas_sgemm {}x{} times {}x{} on the same threads; "
      "ideal: read GB/s / weight bytes per token\n",
      workload.prefill_tokens, shape.hidden, shape.hidden, shape.ffn);
}

nlohmann::json result_json(const ConfigResult& r) {
  return {{"dtype", r.dtype},
          {"threads", r.threads},
          {"model_cost", r.cost.to_json()},
          {"prefill",
           {{"tokens_per_second", r.prefill.tokens_per_second.to_json()},
            {"flops_per_second", r.prefill.flops_per_second.to_json()},
            {"reference_sgemm_flops_per_second", r.prefill.sgemm_flops_per_second.to_json()},
            {"ratio_to_sgemm", r.prefill.ratio}}},
          {"decode",
           {{"tokens_per_second", r.decode.tokens_per_second.to_json()},
            {"reference_read_bytes_per_second", r.decode.read_bytes_per_second.to_json()},
            {"ideal_tokens_per_second", r.decode.ideal_tokens_per_second},
            {"ratio_to_bandwidth_roofline", r.decode.ratio}}}};
}

int run(const Options& options) {
  const RunInfo info = collect_run_info(MEDLLM_SOURCE_DIR);
  Workload workload;
  // Quick: 16 prompt tokens still take the sgemm path (matmul switches to it from 4 rows).
  if (options.quick) workload = {16, 4, 4};
  const LlamaShape shape;
  fmt::print("medllm inference benchmark: random Llama (hidden {}, {} layers, {} heads, ffn {}, vocab {})\n",
             shape.hidden, shape.layers, shape.heads, shape.ffn, shape.vocab);
  fmt::print("CPU: {} ({} logical CPUs), load average {}\ncommit {}{}, {} repetitions{}\n", info.cpu_model,
             info.logical_cpus, info.load_average, info.git_commit.empty() ? "unknown" : info.git_commit,
             info.git_dirty ? " (uncommitted changes)" : "", options.reps, options.quick ? ", quick" : "");
  std::fflush(stdout);  // the header before the progress lines on stderr

  // Opened now so that an unwritable path fails before minutes of measuring, not after.
  std::ofstream json_file;
  if (!options.json_path.empty()) {
    json_file.open(options.json_path);
    if (!json_file) fail("{}: cannot write", options.json_path);
  }

  std::vector<ConfigResult> results;
  for (const std::string& dtype_name : options.dtypes) {
    const DType dtype = parse_dtype(dtype_name);
    const fs::path dir = options.models_dir / ("llama125m-" + dtype_name);
    if (ensure_random_llama(dir, shape, dtype)) fmt::print(stderr, "{}: wrote the random model\n", dir.string());
    for (int threads : options.threads) {
      fmt::print(stderr, "{} with {} thread(s): measuring\n", dtype_name, threads);
      const auto model = Model::load(dir.string(), {.threads = threads, .check_weights = false});
      ConfigResult result;
      result.dtype = dtype_name;
      result.threads = threads;
      result.cost = model_cost(*model, workload);
      result.prefill = measure_prefill(*model, workload, result.cost, options.reps, threads);
      result.decode = measure_decode(*model, workload, result.cost, options.reps);
      results.push_back(std::move(result));
    }
  }
  print_table(results, workload, shape);

  if (!options.json_path.empty()) {
    nlohmann::json out = {
        {"benchmark", "medllm_bench_inference"},
        {"run", info.to_json()},
        {"model", llama_config_json(shape, DType::F32)},
        {"repetitions", options.reps},
        {"quick", options.quick},
        {"workload", workload.to_json()},
        {"references",
         {{"prefill", fmt::format("cblas_sgemm RowMajor NoTrans x Trans, m={} n={} k={}, as "
                                  "medllm's prefill matmuls call it; {} calls per sample",
                                  workload.prefill_tokens, shape.ffn, shape.hidden, SgemmProbe::kCallsPerSample)},
          {"decode",
           "sum of a float buffer of decode_weight_bytes_per_token bytes, one "
           "contiguous part per thread of the model's pool"}}},
        {"results", nlohmann::json::array()}};
    out["model"].erase("torch_dtype");
    for (const auto& r : results) out["results"].push_back(result_json(r));
    if (!(json_file << out.dump(2) << '\n')) fail("{}: cannot write", options.json_path);
    fmt::print("wrote {}\n", options.json_path);
  }
  return 0;
}

}  // namespace

}  // namespace medllm::bench

int main(int argc, char** argv) {
  medllm::bench::Options options;
  CLI::App app{"Prefill and decode tokens/s of a ~125M-parameter random Llama model, with rooflines"};
  app.add_option("--reps", options.reps, "repetitions of every measurement (median reported)")
      ->check(CLI::Range(1, 1000));
  app.add_flag("--quick", options.quick, "few tokens: a smoke run, not a measurement");
  app.add_option("--models-dir", options.models_dir, "where the random models are written and reused");
  app.add_option("--json", options.json_path, "write every figure and the run's facts to this file");
  app.add_option("--dtypes", options.dtypes, "weight dtypes to measure")
      ->delimiter(',')
      ->check(CLI::IsMember({"f32", "bf16"}));
  app.add_option("--threads", options.threads, "thread counts to measure")->delimiter(',')->check(CLI::Range(1, 256));
  CLI11_PARSE(app, argc, argv);
  try {
    return medllm::bench::run(options);
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
}
