// medllm: build, evaluate and serve medical LLMs. This file wires the subcommands together and
// turns library errors into messages and exit codes.

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <medllm/error.hpp>

#include "cli/commands.hpp"

namespace medllm::cli {

void ModelFlags::add_to(CLI::App& command, bool model_required) {
  CLI::Option* model = command.add_option("-m,--model", path, "Hugging Face model directory or .gguf file");
  if (model_required) model->required();
  command.add_option("-t,--threads", threads, "worker threads (default: all cores)")->transform(number<int>(0, 4096));
  command.add_flag("--no-check-tensors", skip_weight_check, "skip the NaN/Inf scan of the weights at load");
  command.add_option("--checkpoint", checkpoint, "use trained weights from a `medllm train` checkpoint directory");
  command.add_option("--lora", lora, "apply a PEFT LoRA adapter directory at load, optionally scaled: PATH[:SCALE]");
  command.add_flag("--dequantized-matmul", dequantized_matmul,
                   "multiply quantized weights dequantized to f32 (as transformers does), not with int8-rounded "
                   "inputs (as llama.cpp does); slower");
}

void add_sampling_flags(CLI::App& command, SamplingParams& s) {
  command.add_option("--temp", s.temperature, "temperature, at least 0 (0: greedy)")
      ->transform(number<float>(0))
      ->capture_default_str();
  command.add_option("--top-k", s.top_k, "top-k sampling, at least 0 (0: off)")
      ->transform(number<int32_t>(0))
      ->capture_default_str();
  command.add_option("--top-p", s.top_p, "top-p sampling, 0 to 1 (1: off)")
      ->transform(number<float>(0, 1))
      ->capture_default_str();
  command.add_option("--min-p", s.min_p, "min-p sampling, 0 to 1 (0: off)")
      ->transform(number<float>(0, 1))
      ->capture_default_str();
  command.add_option("--repeat-penalty", s.repeat_penalty, "repetition penalty, above 0 (1: off)")
      ->transform(positive_number<float>())
      ->capture_default_str();
  command.add_option("--repeat-last-n", s.repeat_last_n, "tokens the penalty looks back (-1: all)")
      ->transform(number<int32_t>(-1))
      ->capture_default_str();
  command.add_option("-s,--seed", s.seed, "random seed")->transform(number<uint64_t>())->capture_default_str();
}

namespace {

// "DIR:0.5" → {DIR, 0.5}; a colon belongs to the path when the path exists as written.
LoraAdapterSpec parse_lora_spec(const std::string& spec) {
  const size_t colon = spec.rfind(':');
  if (colon == std::string::npos || std::filesystem::exists(spec)) return {spec, 1.0f};
  float scale = 1.0f;
  const std::string problem = read_number(std::string_view(spec).substr(colon + 1), scale);
  if (!problem.empty()) throw Error(fmt::format("--lora '{}': scale {}", spec, problem));
  return {spec.substr(0, colon), scale};
}

}  // namespace

std::unique_ptr<Model> ModelFlags::load() const {
  LoadOptions options;
  options.threads = threads;
  options.check_weights = !skip_weight_check;
  options.checkpoint = checkpoint;
  options.dequantized_matmul = dequantized_matmul;
  for (const std::string& spec : lora) options.lora_adapters.push_back(parse_lora_spec(spec));
  return Model::load(path, options);
}

}  // namespace medllm::cli

namespace {

constexpr int kUsageError = static_cast<int>(CLI::ExitCodes::ExtrasError);

const char* const kExamples = R"(Examples:
  medllm generate -m data/models/stories260K/stories260K.gguf -p "Once upon a time" -n 40
  medllm eval -m path/to/model --bench medqa,igakuqa --data ../shared/data -o results/
  medllm pipeline --recipe recipes/quickstart.toml --max-steps 100 -o runs/try
'medllm SUBCOMMAND --help' lists the options of each subcommand, with examples.)";

void add_commands(CLI::App& app) {
  medllm::cli::add_generate_command(app);
  medllm::cli::add_info_command(app);
  medllm::cli::add_logits_command(app);
  medllm::cli::add_tokenize_commands(app);
  medllm::cli::add_template_command(app);
  medllm::cli::add_eval_command(app);
  medllm::cli::add_data_command(app);
  medllm::cli::add_train_command(app);
  medllm::cli::add_export_command(app);
  medllm::cli::add_quantize_command(app);
  medllm::cli::add_imatrix_command(app);
  medllm::cli::add_pipeline_command(app);
  medllm::cli::add_serve_command(app);
  medllm::cli::add_chat_command(app);
}

int usage_error(const std::string& message) {
  std::fprintf(stderr, "medllm: error: %s\n", message.c_str());
  return kUsageError;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"medllm: build, evaluate and serve medical-domain LLMs on your own machine"};
  app.set_version_flag("--version", [] { return medllm::cli::version_text(); });
  app.require_subcommand(1);
  app.footer(kExamples);
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return fmt::format("medllm: error: {}\nRun with --help for more information.\n", e.what());
  });
  add_commands(app);
  const std::vector<std::string> args(argv + 1, argv + argc);
  // Before CLI11 reads anything: it would split -ngl into -n gl and call an unknown subcommand missing.
  if (const std::string problem = medllm::cli::diagnose_command_line(app, args, false); !problem.empty())
    return usage_error(problem);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const bool failed = e.get_exit_code() != static_cast<int>(CLI::ExitCodes::Success);  // not --help/--version
    if (const std::string problem = failed ? medllm::cli::diagnose_command_line(app, args, true) : ""; !problem.empty())
      return usage_error(problem);
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
