// medllm export: write a model as a Hugging Face directory (config.json, model.safetensors,
// tokenizer files) or a GGUF file, with trained weights from a checkpoint and LoRA adapters
// merged in.

#include <fmt/format.h>

#include <medllm/error.hpp>

#include "cli/commands.hpp"
#include "formats/quantize_mix.hpp"
#include "model/export.hpp"

namespace medllm::cli {

namespace {

struct ExportFlags {
  ModelFlags model;
  std::string output;
  std::string format = "hf";
  std::string dtype;
  std::string type;
  std::string adapter;
};

void run_export(const ExportFlags& flags) {
  if ((flags.format == "gguf-lora") != !flags.adapter.empty()) {
    throw Error("--format gguf-lora writes the PEFT adapter named by --adapter, and --adapter needs it");
  }
  if (flags.format == "gguf-lora") {
    if (!flags.dtype.empty()) throw Error("--dtype is for --format hf; a GGUF adapter takes --type (F32, F16, BF16)");
    if (!flags.model.lora.empty() || !flags.model.checkpoint.empty()) {
      throw Error("--format gguf-lora writes the adapter alone: --lora/--merge-lora and --checkpoint change the base");
    }
    const std::string type = flags.type.empty() ? "F16" : flags.type;
    const auto base = flags.model.load();
    export_gguf_lora(*base, flags.adapter, flags.output, type);
    fmt::print(stderr, "medllm: wrote {} (GGUF LoRA adapter, {})\n", flags.output, type);
    return;
  }
  if (flags.format == "gguf") {
    if (!flags.dtype.empty())
      throw Error("--dtype is for --format hf; a GGUF file takes --type (F16, Q8_0, Q4_K_M, ...)");
    const std::string type = flags.type.empty() ? "F16" : flags.type;
    if (find_quantize_preset(type) == nullptr) {
      throw Error(fmt::format("--type: unknown type '{}' (one of {})", type, quantize_preset_names()));
    }
    const auto model = flags.model.load();
    export_gguf(*model, flags.output, type);
    fmt::print(stderr, "medllm: wrote {} (GGUF, {})\n", flags.output, find_quantize_preset(type)->name);
    return;
  }
  if (!flags.type.empty()) throw Error("--type is for --format gguf; a Hugging Face directory takes --dtype");
  DType dtype;
  if (flags.dtype.empty() || flags.dtype == "f32") {
    dtype = DType::F32;
  } else if (flags.dtype == "bf16") {
    dtype = DType::BF16;
  } else if (flags.dtype == "f16") {
    dtype = DType::F16;
  } else {
    throw Error(fmt::format("--dtype must be f32, bf16 or f16, not '{}'", flags.dtype));
  }
  const auto model = flags.model.load();
  export_huggingface(*model, flags.output, dtype);
  fmt::print(stderr, "medllm: wrote {} (config.json, model.safetensors, tokenizer files)\n", flags.output);
}

}  // namespace

void add_export_command(CLI::App& app) {
  auto flags = std::make_shared<ExportFlags>();
  CLI::App* command = app.add_subcommand(
      "export",
      "write a Hugging Face model directory or a GGUF file (merging --checkpoint weights and --lora/--merge-lora "
      "adapters)");
  flags->model.add_to(*command);
  command->add_option("--merge-lora", flags->model.lora, "same as --lora: PEFT adapter to merge, PATH[:SCALE]");
  command->add_option("-o,--output", flags->output, "output directory (hf) or file (gguf)")->required();
  command
      ->add_option("--format", flags->format,
                   "hf (a Hugging Face directory), gguf, or gguf-lora (--adapter as llama.cpp's GGUF LoRA adapter)")
      ->check(CLI::IsMember({"hf", "gguf", "gguf-lora"}))
      ->capture_default_str();
  command->add_option("--adapter", flags->adapter, "gguf-lora: the PEFT LoRA adapter directory to convert");
  command->add_option("--dtype", flags->dtype, "hf: weight dtype: f32 (default), bf16 or f16");
  command->add_option("--type", flags->type,
                      "gguf: F16 (default) or a llama-quantize type: " + quantize_preset_names());
  command->footer(R"(Examples:
  medllm export -m data/models/stories260K/stories260K.gguf -o stories_hf/
  medllm export -m BASE --merge-lora runs/lora -o merged/ --dtype bf16
  medllm export -m BASE --checkpoint runs/cpt/checkpoint-200 -o cpt-200/
  medllm export -m BASE --merge-lora runs/lora --format gguf --type Q4_K_M -o merged-q4_k_m.gguf
  medllm export -m BASE --adapter runs/lora --format gguf-lora -o lora.gguf   # llama.cpp --lora lora.gguf)");
  command->callback([flags] { run_export(*flags); });
}

}  // namespace medllm::cli
