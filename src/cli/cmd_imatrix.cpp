// medllm imatrix: an importance matrix over a calibration text, llama-imatrix's flags (-f, -o, -c,
// --chunks) and GGUF file format, with progress (rate, ETA) on the console.

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <medllm/error.hpp>
#include <medllm/tokenizer.hpp>
#include <optional>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/console.hpp"
#include "core/progress.hpp"
#include "runtime/importance.hpp"

namespace medllm::cli {

namespace {

struct ImatrixFlags {
  ModelFlags model;
  std::string text_file, output = "imatrix.gguf";
  int64_t chunk_size = 512, chunks = 0;
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot open the calibration text", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The token the tokenizer puts first (BOS), if it puts one: llama-imatrix starts every chunk with it.
std::optional<int32_t> leading_special(const Tokenizer& tokenizer) {
  const std::vector<int32_t> with = tokenizer.encode("a", true), without = tokenizer.encode("a", false);
  if (with.size() > without.size() && !with.empty() && tokenizer.is_control(with.front()) &&
      (without.empty() || with.front() != without.front())) {
    return with.front();
  }
  return std::nullopt;
}

void run_imatrix(const ImatrixFlags& flags) {
  const auto model = flags.model.load();
  const auto tokenizer = Tokenizer::load(*model);
  const std::vector<int32_t> tokens = tokenizer->encode(read_text(flags.text_file), true);
  ImportanceOptions options;
  options.chunk_size = flags.chunk_size;
  options.max_chunks = flags.chunks;
  options.bos = leading_special(*tokenizer);
  int64_t chunks = static_cast<int64_t>(tokens.size()) / flags.chunk_size;
  if (flags.chunks > 0) chunks = std::min(chunks, flags.chunks);
  Progress progress("imatrix", chunks, "chunks", console_progress());
  options.progress = [&](int64_t, int64_t) { progress.advance(); };
  ImportanceMatrix matrix = collect_importance(*model, tokens, options);
  progress.finish();
  matrix.datasets = {flags.text_file};
  write_importance_gguf(matrix, flags.output);
  fmt::print(stderr, "medllm: wrote {}: {} matrices, {} chunks of {} tokens\n", flags.output, matrix.entries.size(),
             matrix.chunks, matrix.chunk_size);
}

}  // namespace

void add_imatrix_command(CLI::App& app) {
  auto flags = std::make_shared<ImatrixFlags>();
  CLI::App* command = app.add_subcommand(
      "imatrix", "compute an importance matrix over a calibration text, in llama.cpp's imatrix format");
  flags->model.add_to(*command);
  command->add_option("-f,--file", flags->text_file, "calibration text (e.g. medical QA)")->required();
  command->add_option("-o,--output", flags->output, "imatrix file to write")->capture_default_str();
  command->add_option("-c,--ctx-size", flags->chunk_size, "tokens per chunk")
      ->transform(number<int64_t>(2, 1 << 20))
      ->capture_default_str();
  command->add_option("--chunks", flags->chunks, "at most this many chunks (default: every whole chunk)")
      ->transform(number<int64_t>(0, 1LL << 40));
  command->footer(R"(Examples:
  medllm imatrix -m model-f16.gguf -f data/corpus/medquad/medquad_en.txt -o medquad.imatrix.gguf -c 512
The file is llama.cpp's GGUF imatrix (llama-quantize --imatrix reads it).)");
  command->callback([flags] { run_imatrix(*flags); });
}

}  // namespace medllm::cli
