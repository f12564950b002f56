// medllm quantize: a GGUF model (or a Hugging Face model, through GGUF export) to another type,
// llama-quantize's positional form (IN OUT TYPE), with its per-tensor report.

#include <fmt/format.h>

#include <chrono>
#include <memory>

#include <medllm/error.hpp>

#include "cli/commands.hpp"
#include "formats/gguf_quantize.hpp"
#include "model/export.hpp"

namespace medllm::cli {

namespace {

struct QuantizeFlags {
  std::string input, output, type;
  int threads = 0;
  QuantizeOptions options;
};

double mib(size_t bytes) {
  return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

void run_quantize(QuantizeFlags& flags) {
  if (!flags.input.ends_with(".gguf")) {
    // A Hugging Face model: loaded and written as GGUF, each matrix quantized from its exact values.
    if (find_quantize_preset(flags.type) == nullptr) {
      throw Error(fmt::format("unknown type '{}' (one of {})", flags.type, quantize_preset_names()));
    }
    if (flags.options.allow_requantize) throw Error("--allow-requantize is for GGUF input");
    ModelFlags model;
    model.path = flags.input;
    model.threads = flags.threads;
    flags.options.type = flags.type;
    export_gguf(*model.load(), flags.output, flags.options);
    fmt::print(stderr, "medllm: wrote {} ({}) from {}\n", flags.output, find_quantize_preset(flags.type)->name,
               flags.input);
    return;
  }
  flags.options.type = flags.type;
  ThreadPool pool(flags.threads);
  const auto start = std::chrono::steady_clock::now();
  const auto report = [](size_t index, size_t count, const QuantizedTensor& t) {
    std::string shape;
    for (const int64_t extent : t.shape) shape += (shape.empty() ? "" : ", ") + std::to_string(extent);
    const std::string action = t.from == t.to ? "kept"
                               : t.weighted   ? fmt::format("converted to {} (importance matrix)", dtype_name(t.to))
                                              : fmt::format("converted to {}", dtype_name(t.to));
    fmt::print(stderr, "[{:>4}/{:>4}] {:<36} [{}] {} {} : {:.2f} MiB -> {:.2f} MiB\n", index + 1, count, t.name, shape,
               dtype_name(t.from), action, mib(t.bytes_in), mib(t.bytes_out));
  };
  const QuantizeResult result = quantize_gguf(flags.input, flags.output, flags.options, pool, report);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print(stderr, "medllm: wrote {} ({}): {:.2f} MiB -> {:.2f} MiB in {:.1f} s ({:.0f} MiB/s)\n", flags.output,
             find_quantize_preset(flags.type)->name, mib(result.bytes_in), mib(result.bytes_out), seconds,
             mib(result.bytes_in) / std::max(seconds, 1e-9));
}

}  // namespace

void add_quantize_command(CLI::App& app) {
  auto flags = std::make_shared<QuantizeFlags>();
  CLI::App* command = app.add_subcommand(
      "quantize", "convert a GGUF model to another type, as llama-quantize does (same tensors and bytes)");
  command->add_option("input", flags->input, "GGUF model, or Hugging Face model directory, to read")->required();
  command->add_option("output", flags->output, "GGUF file to write")->required();
  command->add_option("type", flags->type, "one of " + quantize_preset_names())->required();
  command->add_option("-t,--threads", flags->threads, "worker threads (default: all cores)")
      ->transform(number<int>(0, 4096));
  command->add_flag("--pure", flags->options.pure, "every quantizable tensor in TYPE (no per-tensor rules)");
  command->add_flag("--allow-requantize", flags->options.allow_requantize,
                    "convert tensors that are quantized already (quality suffers)");
  command
      ->add_option("--imatrix", flags->options.imatrix,
                   "importance matrix (medllm imatrix's or llama-imatrix's GGUF, or a legacy .dat) to weigh "
                   "each matrix's columns by")
      ->check(CLI::ExistingFile);
  command->add_option("--include-weights", flags->options.include_weights,
                      "use the importance matrix only for matrices whose names contain this (repeatable)");
  command->add_option("--exclude-weights", flags->options.exclude_weights,
                      "do not use the importance matrix for matrices whose names contain this (repeatable)");
  command->footer(R"(Examples:
  medllm quantize model-f16.gguf model-q8_0.gguf Q8_0
  medllm quantize model-f16.gguf model-q4_k_m.gguf Q4_K_M
  medllm imatrix -m model-f16.gguf -f medquad.txt -o imatrix.gguf
  medllm quantize --imatrix imatrix.gguf model-f16.gguf model-q4_k_m.gguf Q4_K_M
Each preset's per-tensor mix is llama.cpp's (Q4_K_M keeps the output matrix, half the attention
value matrices and half the down projections in q6_k); --pure turns it off. With --imatrix every
block type but q8_0 weighs each column by its mean square input, as llama-quantize does.)");
  command->callback([flags] { run_quantize(*flags); });
}

}  // namespace medllm::cli
