// medllm: build, evaluate and serve medical LLMs. This file wires the subcommands together and
// turns library errors into messages and exit codes.

#include <cstdio>
#include <medllm/error.hpp>

#include "cli/commands.hpp"

namespace medllm::cli {

void ModelFlags::add_to(CLI::App& command) {
  command.add_option("-m,--model", path, "Hugging Face model directory or .gguf file")->required();
  command.add_option("-t,--threads", threads, "worker threads (default: all cores)")->check(CLI::NonNegativeNumber);
  command.add_flag("--no-check-tensors", skip_weight_check, "skip the NaN/Inf scan of the weights at load");
  command.add_option("--checkpoint", checkpoint, "use trained weights from a `medllm train` checkpoint directory");
  command.add_option("--lora", lora, "merge a PEFT LoRA adapter directory, optionally scaled: PATH[:SCALE]");
}

void add_sampling_flags(CLI::App& command, SamplingParams& s) {
  command.add_option("--temp", s.temperature, "temperature (0: greedy)")->capture_default_str();
  command.add_option("--top-k", s.top_k, "top-k sampling (0: off)")->capture_default_str();
  command.add_option("--top-p", s.top_p, "top-p sampling (1: off)")->capture_default_str();
  command.add_option("--min-p", s.min_p, "min-p sampling (0: off)")->capture_default_str();
  command.add_option("--repeat-penalty", s.repeat_penalty, "repetition penalty (1: off)")->capture_default_str();
  command.add_option("--repeat-last-n", s.repeat_last_n, "tokens the penalty looks back (-1: all)")
      ->capture_default_str();
  command.add_option("-s,--seed", s.seed, "random seed")->capture_default_str();
}

std::unique_ptr<Model> ModelFlags::load() const {
  LoadOptions options;
  options.threads = threads;
  options.check_weights = !skip_weight_check;
  options.checkpoint = checkpoint;
  for (const std::string& spec : lora) {
    LoraAdapterSpec adapter{spec, 1.0f};
    const size_t colon = spec.rfind(':');
    if (colon != std::string::npos) {
      try {
        size_t used = 0;
        const float scale = std::stof(spec.substr(colon + 1), &used);
        if (used == spec.size() - colon - 1) adapter = {spec.substr(0, colon), scale};
      } catch (const std::exception&) {  // not a number: the colon belongs to the path
      }
    }
    options.lora_adapters.push_back(adapter);
  }
  return Model::load(path, options);
}

}  // namespace medllm::cli

int main(int argc, char** argv) {
  CLI::App app{"medllm: build, evaluate and serve medical-domain LLMs on your own machine"};
  app.set_version_flag("--version", "medllm 0.1.0");
  app.require_subcommand(1);
  medllm::cli::add_generate_command(app);
  medllm::cli::add_info_command(app);
  medllm::cli::add_logits_command(app);
  medllm::cli::add_tokenize_commands(app);
  medllm::cli::add_template_command(app);
  medllm::cli::add_eval_command(app);
  medllm::cli::add_data_command(app);
  medllm::cli::add_train_command(app);
  medllm::cli::add_export_command(app);
  medllm::cli::add_pipeline_command(app);
  medllm::cli::add_serve_command(app);
  medllm::cli::add_chat_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const medllm::Error& e) {
    std::fprintf(stderr, "medllm: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "medllm: internal error: %s\n", e.what());
    return 2;
  }
  return 0;
}
