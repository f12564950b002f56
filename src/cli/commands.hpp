#pragma once
// The subcommands of the medllm CLI. Each file only parses flags and calls the library.

#include <CLI/CLI.hpp>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <medllm/generate.hpp>
#include <medllm/model.hpp>

#include "core/json_options.hpp"
#include "core/strict_number.hpp"

namespace medllm::cli {

// Flags every model-using command shares: --model, --threads, --no-check-tensors, --checkpoint,
// --lora, --dequantized-matmul.
struct ModelFlags {
  std::string path;
  int threads = 0;
  bool skip_weight_check = false;
  std::string checkpoint;
  std::vector<std::string> lora;  // PATH[:SCALE]
  bool dequantized_matmul = false;

  // model_required false: the command has another use without a model (eval --score-predictions).
  void add_to(CLI::App& command, bool model_required = true);
  std::unique_ptr<Model> load() const;
};

// A CLI11 transform for a numeric option: the text must be one T (core/strict_number.hpp) from min
// to max (and above 0 when positive). It is rewritten in canonical form, so CLI11's own lenient
// conversion (which reads "nan", "inf", octal "010" and wraps "-1" into an unsigned) gets exactly
// the value checked. Errors read "--top-p: '1.5' must be from 0 to 1".
template <class T>
CLI::Validator number(double min = -HUGE_VAL, double max = HUGE_VAL, bool positive = false) {
  const FieldDoc bounds{"", min, max};
  return CLI::Validator(
      [bounds, positive](std::string& text) -> std::string {
        T value{};
        std::string problem = read_number(text, value);
        if (problem.empty() && (value < bounds.min || value > bounds.max))
          problem = fmt::format("'{}' must be {}", text, bounds_text(bounds));
        if (problem.empty() && positive && !(value > 0)) problem = fmt::format("'{}' must be above 0", text);
        if (problem.empty()) text = fmt::format("{}", value);
        return problem;
      },
      "");
}

template <class T>
CLI::Validator positive_number() {
  return number<T>(-HUGE_VAL, HUGE_VAL, true);
}

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
void add_quantize_command(CLI::App& app);
void add_imatrix_command(CLI::App& app);
void add_pipeline_command(CLI::App& app);
void add_serve_command(CLI::App& app);
void add_chat_command(CLI::App& app);

// `medllm --version`: version, git commit, build type, SIMD compiled and detected, BLAS.
std::string version_text();

// A message for a command line that CLI11 would misread or reject unhelpfully, or "": an unknown
// subcommand or, with options_too, an unknown option (each with the nearest known name), or a
// llama.cpp flag medllm does not support (-ngl would otherwise be read as -n gl). args excludes
// argv[0].
std::string diagnose_command_line(CLI::App& app, const std::vector<std::string>& args, bool options_too);

}  // namespace medllm::cli
