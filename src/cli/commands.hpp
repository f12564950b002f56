#pragma once
// The subcommands of the medllm CLI. Each file only parses flags and calls the library.

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include <medllm/generate.hpp>
#include <medllm/model.hpp>

namespace medllm::cli {

// Flags every model-using command shares: --model, --threads, --no-check-tensors.
struct ModelFlags {
  std::string path;
  int threads = 0;
  bool skip_weight_check = false;
  std::string checkpoint;
  std::vector<std::string> lora;  // PATH[:SCALE]

  void add_to(CLI::App& command);
  std::unique_ptr<Model> load() const;
};

// llama.cpp's sampling flags: --temp, --top-k, --top-p, --min-p, --repeat-penalty, --repeat-last-n, -s.
void add_sampling_flags(CLI::App& command, SamplingParams& sampling);

void add_generate_command(CLI::App& app);
void add_info_command(CLI::App& app);
void add_logits_command(CLI::App& app);
void add_tokenize_commands(CLI::App& app);  // tokenize and detokenize
void add_template_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_data_command(CLI::App& app);  // data prepare
void add_train_command(CLI::App& app);
void add_export_command(CLI::App& app);
void add_pipeline_command(CLI::App& app);
void add_serve_command(CLI::App& app);
void add_chat_command(CLI::App& app);

}  // namespace medllm::cli
