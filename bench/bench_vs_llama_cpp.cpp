// medllm and llama.cpp side by side on the same GGUF files: prefill and decode tokens/s and peak
// memory of random Llama models (the ~125M benchmark shape and TinyLlama's 1.1B shape) in the
// types people download, quantized by llama.cpp itself (llama_model_quantize) from an f16 file.
// llama.cpp is the npm package's libllama (reference/llama_cpp.hpp), with its defaults (f16 KV
// cache, its own choice of CPU backend and weight repacking).
//
// Every measurement runs in a fresh process (this program with --child), the two engines
// alternating, so each peak RSS is the engine's own and both see the same background load.
// Figures are medians over --reps processes; the ratios are medllm / llama.cpp. Prefill and decode
// are timed after a warm-up run of the whole prompt, on an emptied sequence whose buffers both
// engines keep (steady state: llama.cpp allocates its buffers with the context, medllm on first use).
//
//   medllm_bench_vs_llama_cpp [--shapes 125m,1.1b] [--types f16,q8_0,q4_k_m] [--threads 1,2]
//                             [--reps 3] [--prefill 512] [--decode 64] [--models-dir DIR] [--json FILE]

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <medllm/model.hpp>
#include <medllm/session.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "llama_cpp.hpp"
#include "random_gguf.hpp"
#include "run_info.hpp"
#include "timing.hpp"

namespace medllm::bench {

namespace {

namespace fs = std::filesystem;

const std::map<std::string, LlamaShape> kShapes = {
    {"125m", LlamaShape{}},
    {"1.1b", LlamaShape{.hidden = 2048, .layers = 22, .heads = 32, .kv_heads = 4, .ffn = 5632}}};

// The types compared, as llama_ftype values (llama.h); f16 is the file quantized from.
const std::map<std::string, int> kFileTypes = {{"f16", 1},     {"bf16", 32},   {"q8_0", 7}, {"q4_0", 2},
                                               {"q4_k_m", 15}, {"q5_k_m", 17}, {"q6_k", 18}};
const std::vector<std::string> kEngines = {"medllm", "llama.cpp"};

struct Options {
  std::vector<std::string> shapes = {"125m", "1.1b"};
  std::vector<std::string> types = {"f16", "q8_0", "q4_k_m"};
  std::vector<int> threads = {1, 2};
  int reps = 3;
  int prefill = 512;
  int decode = 64;
  fs::path models_dir = MEDLLM_BENCH_MODELS_DIR;
  std::string json_path;
  // --child ENGINE FILE THREADS: one measurement, printed as a JSON line.
  std::vector<std::string> child;
};

struct Measurement {
  double load_seconds = 0, prefill_tps = 0, decode_tps = 0, peak_rss_mb = 0;
};

double peak_rss_mb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmHWM:")) return std::stod(line.substr(6)) / 1024.0;  // kB
  }
  return 0.0;
}

std::vector<int32_t> random_tokens(int count, int32_t vocab, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int32_t> pick(3 + 256, vocab - 1);  // plain pieces, no control or byte tokens
  std::vector<int32_t> tokens(static_cast<size_t>(count));
  for (auto& t : tokens) t = pick(rng);
  return tokens;
}

// One engine behind the three calls a measurement makes.
struct Engine {
  virtual ~Engine() = default;
  virtual int32_t vocab() const = 0;
  virtual void feed(std::span<const int32_t> tokens) = 0;  // logits of the last token only
  virtual void restart() = 0;                              // an empty sequence
};

struct MedllmEngine final : Engine {
  MedllmEngine(const std::string& file, int threads)
      : model(Model::load(file, {.threads = threads, .check_weights = false})), session(*model) {}
  int32_t vocab() const override { return static_cast<int32_t>(model->config().vocab_size); }
  void feed(std::span<const int32_t> tokens) override { session.forward(tokens, LogitsFor::Last); }
  // Keeps the cache and scratch memory, as llama.cpp's memory clear keeps its context's.
  void restart() override { session.rewind(0); }
  std::unique_ptr<Model> model;
  Session session;
};

struct LlamaCppEngine final : Engine {
  LlamaCppEngine(const std::string& file, int threads, int context)
      : model(reference::LlamaCpp::open(), file,
              {.threads = threads, .context = static_cast<uint32_t>(context), .batch = 512}) {}
  int32_t vocab() const override { return model.vocab_size(); }
  void feed(std::span<const int32_t> tokens) override { model.decode(tokens); }
  void restart() override { model.clear(); }
  reference::LlamaModel model;
};

Measurement measure(const std::string& engine_name, const std::string& file, int threads, const Options& o) {
  Measurement m;
  std::unique_ptr<Engine> engine;
  m.load_seconds = time_seconds([&] {
    if (engine_name == "medllm") {
      engine = std::make_unique<MedllmEngine>(file, threads);
    } else {
      engine = std::make_unique<LlamaCppEngine>(file, threads, o.prefill + o.decode + 64);
    }
  });
  const std::vector<int32_t> prompt = random_tokens(o.prefill, engine->vocab(), 1);
  const std::vector<int32_t> next = random_tokens(o.decode, engine->vocab(), 2);
  // Warm-up with the whole prompt: faults the weights in, starts the threads, and leaves each
  // engine's buffers sized for it. llama.cpp sizes its KV cache and compute buffers when the
  // context is made (outside the timed region); medllm grows them on first use, so a timed first
  // prompt would charge it for allocation and page faults that llama.cpp paid while loading.
  engine->feed(prompt);
  engine->restart();
  m.prefill_tps = o.prefill / time_seconds([&] { engine->feed(prompt); });
  engine->restart();
  engine->feed(std::span(prompt).first(16));
  m.decode_tps = o.decode / time_seconds([&] {
                   for (const int32_t token : next) engine->feed({&token, 1});
                 });
  m.peak_rss_mb = peak_rss_mb();
  return m;
}

Measurement run_child(const std::string& engine, const fs::path& file, int threads, const Options& o) {
  const std::string command =
      fmt::format("'{}' --child '{}' '{}' {} --prefill {} --decode {}", fs::read_symlink("/proc/self/exe").string(),
                  engine, file.string(), threads, o.prefill, o.decode);
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) fail("cannot run {}", command);
  std::string output;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  if (pclose(pipe) != 0) fail("{} on {} failed: {}", engine, file.string(), output);
  const nlohmann::json j = nlohmann::json::parse(output);
  return {j["load_seconds"], j["prefill_tps"], j["decode_tps"], j["peak_rss_mb"]};
}

fs::path model_file(const Options& o, const std::string& shape, const std::string& type) {
  const fs::path base = o.models_dir / fmt::format("llama{}-f16.gguf", shape);
  if (ensure_random_llama_gguf(base, kShapes.at(shape), DType::F16)) fmt::print(stderr, "wrote {}\n", base.string());
  if (type == "f16") return base;
  const fs::path file = o.models_dir / fmt::format("llama{}-{}.gguf", shape, type);
  if (!fs::exists(file)) {
    fmt::print(stderr, "quantizing {} with llama.cpp\n", file.string());
    const fs::path partial = file.string() + ".partial";
    reference::LlamaCpp::open().quantize(base.string(), partial.string(), kFileTypes.at(type), 2);
    fs::rename(partial, file);
  }
  return file;
}

struct Row {
  std::string shape, type;
  int threads = 0;
  std::map<std::string, std::vector<Measurement>> runs;  // per engine
};

Summary summary_of(const std::vector<Measurement>& runs, double Measurement::*field) {
  std::vector<double> values;
  for (const Measurement& m : runs) values.push_back(m.*field);
  return summarize(values);
}

nlohmann::json row_json(const Row& row) {
  nlohmann::json engines;
  for (const auto& [engine, runs] : row.runs) {
    engines[engine] = {{"prefill_tokens_per_second", summary_of(runs, &Measurement::prefill_tps).to_json()},
                       {"decode_tokens_per_second", summary_of(runs, &Measurement::decode_tps).to_json()},
                       {"peak_rss_mb", summary_of(runs, &Measurement::peak_rss_mb).to_json()},
                       {"load_seconds", summary_of(runs, &Measurement::load_seconds).to_json()}};
  }
  const auto ratio = [&](double Measurement::*field) {
    return summary_of(row.runs.at("medllm"), field).median / summary_of(row.runs.at("llama.cpp"), field).median;
  };
  return {{"shape", row.shape},
          {"type", row.type},
          {"threads", row.threads},
          {"engines", engines},
          {"medllm_over_llama_cpp",
           {{"prefill", ratio(&Measurement::prefill_tps)},
            {"decode", ratio(&Measurement::decode_tps)},
            {"peak_rss", ratio(&Measurement::peak_rss_mb)}}}};
}

void print_row(const Row& row) {
  const nlohmann::json j = row_json(row);
  const auto median = [&](const char* engine, const char* what) {
    return j["engines"][engine][what]["median"].get<double>();
  };
  fmt::print(
      "{:<5} {:<7} {:>3} | {:>8.1f} {:>8.1f} {:>5.2f} | {:>7.1f} {:>7.1f} {:>5.2f} | {:>6.0f} {:>6.0f} {:>5.2f}\n",
      row.shape, row.type, row.threads, median("medllm", "prefill_tokens_per_second"),
      median("llama.cpp", "prefill_tokens_per_second"), j["medllm_over_llama_cpp"]["prefill"].get<double>(),
      median("medllm", "decode_tokens_per_second"), median("llama.cpp", "decode_tokens_per_second"),
      j["medllm_over_llama_cpp"]["decode"].get<double>(), median("medllm", "peak_rss_mb"),
      median("llama.cpp", "peak_rss_mb"), j["medllm_over_llama_cpp"]["peak_rss"].get<double>());
  std::fflush(stdout);
}

int run(const Options& o) {
  const RunInfo info = collect_run_info(MEDLLM_SOURCE_DIR);
  for (const std::string& type : o.types) {
    if (!kFileTypes.contains(type)) fail("--types: unknown type '{}'", type);
  }
  fmt::print("prefill: {} tokens; decode: {} tokens after 16; medians of {} runs each; ratio = medllm / llama.cpp\n",
             o.prefill, o.decode, o.reps);
  fmt::print("{:<5} {:<7} {:>3} | {:>8} {:>8} {:>5} | {:>7} {:>7} {:>5} | {:>6} {:>6} {:>5}\n", "shape", "type", "thr",
             "prefill", "llama", "ratio", "decode", "llama", "ratio", "RSS MB", "llama", "ratio");
  std::vector<Row> rows;
  for (const std::string& shape : o.shapes) {
    if (!kShapes.contains(shape)) fail("--shapes: unknown shape '{}' (125m or 1.1b)", shape);
    for (const std::string& type : o.types) {
      const fs::path file = model_file(o, shape, type);
      for (int threads : o.threads) {
        Row row{shape, type, threads, {}};
        for (int rep = 0; rep < o.reps; ++rep) {
          for (size_t e = 0; e < kEngines.size(); ++e) {
            const std::string& engine = kEngines[(e + rep) % kEngines.size()];  // alternate who goes first
            row.runs[engine].push_back(run_child(engine, file, threads, o));
          }
        }
        print_row(row);
        rows.push_back(std::move(row));
      }
    }
  }
  if (!o.json_path.empty()) {
    nlohmann::json out = {
        {"benchmark", "medllm_bench_vs_llama_cpp"},
        {"run", info.to_json()},
        {"llama_cpp", {{"library", MEDLLM_LLAMA_CPP_DIR}, {"system_info", reference::LlamaCpp::open().system_info()}}},
        {"workload", {{"prefill_tokens", o.prefill}, {"decode_tokens", o.decode}}},
        {"repetitions", o.reps},
        {"results", nlohmann::json::array()}};
    for (const Row& row : rows) out["results"].push_back(row_json(row));
    std::ofstream(o.json_path) << out.dump(2) << "\n";
  }
  return 0;
}

int run_one(const Options& o) {
  const Measurement m = measure(o.child.at(0), o.child.at(1), std::stoi(o.child.at(2)), o);
  fmt::print("{}\n", nlohmann::json{{"load_seconds", m.load_seconds},
                                    {"prefill_tps", m.prefill_tps},
                                    {"decode_tps", m.decode_tps},
                                    {"peak_rss_mb", m.peak_rss_mb}}
                         .dump());
  return 0;
}

}  // namespace

}  // namespace medllm::bench

int main(int argc, char** argv) {
  using namespace medllm::bench;
  Options options;
  CLI::App app{"medllm and llama.cpp side by side on the same GGUF files"};
  app.add_option("--shapes", options.shapes, "model shapes: 125m, 1.1b")->delimiter(',');
  app.add_option("--types", options.types, "f16, bf16, q8_0, q4_0, q4_k_m, q5_k_m, q6_k")->delimiter(',');
  app.add_option("--threads", options.threads, "thread counts")->delimiter(',');
  app.add_option("--reps", options.reps, "processes per engine and configuration")->check(CLI::PositiveNumber);
  app.add_option("--prefill", options.prefill, "prompt tokens of the prefill measurement")->check(CLI::Range(16, 4096));
  app.add_option("--decode", options.decode, "tokens decoded one at a time")->check(CLI::PositiveNumber);
  app.add_option("--models-dir", options.models_dir, "where the GGUF files are written and reused");
  app.add_option("--json", options.json_path, "write every figure here");
  app.add_option("--child", options.child, "internal: ENGINE FILE THREADS, one measurement")->expected(3);
  CLI11_PARSE(app, argc, argv);
  try {
    return options.child.empty() ? run(options) : run_one(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "medllm_bench_vs_llama_cpp: %s\n", e.what());
    return 1;
  }
}
