// medllm generate: text generation from a prompt, with llama.cpp's flag names.

#include <fmt/format.h>

#include <cstdio>
#include <medllm/generate.hpp>
#include <medllm/tokenizer.hpp>

#include "cli/commands.hpp"

namespace medllm::cli {

namespace {

struct GenerateFlags {
  ModelFlags model;
  std::string prompt;
  GenerateOptions options;
  bool hide_prompt = false;
  bool no_bos = false;
};

void run_generate(const GenerateFlags& flags) {
  const auto model = flags.model.load();
  const auto tokenizer = Tokenizer::load(*model);
  GenerateOptions options = flags.options;
  options.add_special = !flags.no_bos;
  if (!flags.hide_prompt) {
    std::fputs(flags.prompt.c_str(), stdout);
    std::fflush(stdout);
  }
  const GenerateResult result = generate(*model, *tokenizer, flags.prompt, options, [](std::string_view text) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return true;
  });
  std::fputc('\n', stdout);
  std::fflush(stdout);
  const auto rate = [](size_t tokens, double seconds) {
    return seconds > 0 ? static_cast<double>(tokens) / seconds : 0.0;
  };
  fmt::print(
      stderr,
      "prompt: {} tokens in {:.3f} s ({:.1f} tok/s); generated: {} tokens in {:.3f} s ({:.1f} tok/s); stop: {}\n",
      result.prompt_tokens.size(), result.prompt_seconds, rate(result.prompt_tokens.size(), result.prompt_seconds),
      result.tokens.size(), result.generate_seconds, rate(result.tokens.size(), result.generate_seconds),
      stop_reason_name(result.stop_reason));
}

}  // namespace

void add_generate_command(CLI::App& app) {
  auto flags = std::make_shared<GenerateFlags>();
  CLI::App* command = app.add_subcommand("generate", "generate text from a prompt");
  flags->model.add_to(*command);
  SamplingParams& s = flags->options.sampling;
  command->add_option("-p,--prompt", flags->prompt, "prompt text (default: empty, start from BOS)");
  command->add_option("-n,--n-predict", flags->options.max_tokens, "tokens to generate (-1: until EOS or context end)")
      ->transform(number<int32_t>(-1))
      ->capture_default_str();
  add_sampling_flags(*command, s);
  command->add_option("-c,--ctx-size", flags->options.context_length, "context length (0: the model's)")
      ->transform(number<int64_t>(0));
  command->add_option("-r,--stop", flags->options.stop, "stop string (repeatable)");
  command->add_flag("--ignore-eos", flags->options.ignore_eos, "keep generating after the end-of-sequence token");
  command->add_flag("--no-bos", flags->no_bos, "do not add the BOS token to the prompt");
  command->add_flag("--no-display-prompt", flags->hide_prompt, "print only the generated text");
  command->footer(R"(Examples:
  medllm generate -m data/models/stories260K/stories260K.gguf -p "Once upon a time" --temp 0 -n 40
  medllm generate -m path/to/model -p "Question: What causes gout?" -n 128 --temp 0.7 --top-p 0.9 -s 1
  medllm generate -m BASE --lora runs/lora:0.5 -p "..." -r "Question:"    # adapter at half strength, stop string
Flags follow llama.cpp's llama-cli; GPU flags (-ngl, ...) do not apply: medllm runs on the CPU.)");
  command->callback([flags] { run_generate(*flags); });
}

}  // namespace medllm::cli
