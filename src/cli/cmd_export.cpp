// medllm export: write a model as a Hugging Face directory (config.json, model.safetensors,
// tokenizer files), with trained weights from a checkpoint and LoRA adapters merged in.

#include <fmt/format.h>

#include <medllm/error.hpp>

#include "cli/commands.hpp"
#include "model/export.hpp"

namespace medllm::cli {

namespace {

struct ExportFlags {
  ModelFlags model;
  std::string output;
  std::string dtype = "f32";
};

void run_export(const ExportFlags& flags) {
  DType dtype;
  if (flags.dtype == "f32") {
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
      "export", "write a Hugging Face model directory (merging --checkpoint weights and --lora/--merge-lora adapters)");
  flags->model.add_to(*command);
  command->add_option("--merge-lora", flags->model.lora, "same as --lora: PEFT adapter to merge, PATH[:SCALE]");
  command->add_option("-o,--output", flags->output, "output directory")->required();
  command->add_option("--dtype", flags->dtype, "weight dtype: f32, bf16 or f16")->capture_default_str();
  command->footer(R"(Examples:
  medllm export -m data/models/stories260K/stories260K.gguf -o stories_hf/
  medllm export -m BASE --merge-lora runs/lora -o merged/ --dtype bf16
  medllm export -m BASE --checkpoint runs/cpt/checkpoint-200 -o cpt-200/)");
  command->callback([flags] { run_export(*flags); });
}

}  // namespace medllm::cli
