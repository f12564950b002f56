// medllm eval: medical exam benchmarks on a model (lm-eval-compatible log-likelihood scoring, or
// generation with answer extraction), or --score-predictions: another system's IgakuQA answers
// scored with the exam's rules.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <medllm/error.hpp>
#include <medllm/tokenizer.hpp>

#include "cli/commands.hpp"
#include "cli/console.hpp"
#include "core/atomic_file.hpp"
#include "eval/baseline_predictions.hpp"
#include "eval/benchmarks.hpp"
#include "eval/igakuqa_loader.hpp"
#include "eval/results.hpp"
#include "eval/runner.hpp"
#include "report/eval_report.hpp"

namespace medllm::cli {

namespace {

struct EvalFlags {
  ModelFlags model;
  std::vector<std::string> benchmarks;
  eval::EvalOptions options;
  std::string score_predictions;
  std::string rule = "paper";
  std::string system;
  std::string report_from;  // a results.json to draw the reports from
  bool no_bos = false;
  std::string lm_eval_version;  // empty: the default
  bool list = false;
};

std::string default_data_root() {
  if (const char* env = std::getenv("MEDLLM_DATA")) return env;
  return "";
}

// summary.md to stdout; summary.md and report.html into out_dir when given.
void print_and_write_reports(const eval::EvalResults& results, const std::string& out_dir) {
  const std::string markdown = report::eval_markdown(results);
  std::fwrite(markdown.data(), 1, markdown.size(), stdout);
  if (!out_dir.empty()) report::write_eval_reports(results, out_dir);
}

// --report: the reports of an earlier run, drawn again from its results.json (next to it unless -o).
void redraw_reports(const EvalFlags& flags) {
  if (!flags.model.path.empty() || !flags.benchmarks.empty() || !flags.score_predictions.empty())
    throw Error("--report draws the reports of an earlier run: --model, --bench and --score-predictions do not apply");
  std::string out_dir = flags.options.out_dir;
  if (out_dir.empty()) out_dir = std::filesystem::path(flags.report_from).parent_path().string();
  if (out_dir.empty()) out_dir = ".";
  print_and_write_reports(eval::read_results_file(flags.report_from), out_dir);
  fmt::print(stderr, "wrote summary.md and report.html to {}\n", out_dir);
}

void run_eval_command(EvalFlags& flags) {
  if (flags.list) {
    for (const auto& entry : eval::benchmark_registry()) fmt::print("{:<24} {}\n", entry.name, entry.description);
    for (const auto& group : eval::benchmark_groups()) {
      fmt::print("{:<24} group: {} ({})\n", group.name, group.description, fmt::join(group.members, ", "));
    }
    fmt::print("\nProtocols, references and known differences: docs/evaluation.md\n");
    return;
  }
  if (!flags.report_from.empty()) return redraw_reports(flags);
  eval::EvalOptions options = flags.options;
  options.benchmarks = flags.benchmarks;
  if (options.data_root.empty()) options.data_root = default_data_root();
  if (options.data_root.empty()) {
    throw Error("no benchmark data: pass --data DIR (laid out like ../shared/data) or set MEDLLM_DATA");
  }
  if (!flags.score_predictions.empty()) {
    if (!flags.model.path.empty() || !flags.model.checkpoint.empty() || !flags.model.lora.empty())
      throw Error("--score-predictions scores another system's answers: --model, --checkpoint and --lora do not apply");
    const bool exam119 = options.benchmarks == std::vector<std::string>{"igakuqa119"};
    if (options.benchmarks != std::vector<std::string>{"igakuqa"} && !exam119) {
      throw Error("--score-predictions scores IgakuQA answers: use it with --bench igakuqa or --bench igakuqa119");
    }
    eval::PredictionScoring scoring;
    scoring.rule = eval::parse_rule_name(flags.rule);
    scoring.system = flags.system;
    scoring.compare_with = {"gpt4", "student-majority"};
    // The paper's baselines cover 2018-2022; exam 119 is scored on its own.
    const eval::ExamSummary summary =
        exam119 ? eval::score_predictions(eval::load_igakuqa119(options.data_root),
                                          eval::read_baseline_predictions(flags.score_predictions, flags.system),
                                          scoring.rule)
                : eval::score_igakuqa_predictions(flags.score_predictions, options.data_root + "/igakuqa", scoring);
    const std::string markdown = eval::format_exam_summary_markdown(summary);
    std::fwrite(markdown.data(), 1, markdown.size(), stdout);
    if (!options.out_dir.empty()) {
      std::filesystem::create_directories(options.out_dir);
      write_file_atomically(options.out_dir + "/predictions_score.json", summary.to_json().dump(2) + "\n");
      write_file_atomically(options.out_dir + "/summary.md", markdown);
    }
    return;
  }
  if (flags.model.path.empty()) throw Error("--model is required (or --score-predictions FILE)");
  if (options.benchmarks.empty()) {
    throw Error(fmt::format("--bench is required (known: {})", fmt::join(eval::benchmark_names(), ", ")));
  }
  if (flags.no_bos) options.bos = "off";
  if (!flags.lm_eval_version.empty()) {
    if (options.bos != "auto")
      throw Error(
          fmt::format("--lm-eval-version decides --bos auto; with --bos {} it would change nothing", options.bos));
    options.lm_eval_version = flags.lm_eval_version;
  }
  options.progress = console_progress();
  const auto model = flags.model.load();
  const auto tokenizer = Tokenizer::load(*model);
  const eval::EvalResults results = eval::run_eval(*model, *tokenizer, options);
  print_and_write_reports(results, options.out_dir);
  if (!options.out_dir.empty())
    fmt::print(stderr, "wrote results.json, samples.jsonl, summary.md and report.html to {}\n", options.out_dir);
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto flags = std::make_shared<EvalFlags>();
  CLI::App* command = app.add_subcommand("eval", "evaluate a model on medical exam benchmarks");
  flags->model.add_to(*command, false);  // --score-predictions needs no model
  command
      ->add_option("--bench,--tasks", flags->benchmarks,
                   "benchmarks or groups (multimedqa, igakuqa_all), comma-separated (--list-benchmarks)")
      ->delimiter(',');
  command->add_option("--data", flags->options.data_root, "benchmark data root (default: $MEDLLM_DATA)");
  command
      ->add_option("--method", flags->options.method,
                   "auto (each benchmark's protocol: generation for JMED-LLM's tasks, igakuqa_paper and "
                   "mmlu_pro_health, else log-likelihood), loglik "
                   "(lm-eval scoring) or generate")
      ->check(CLI::IsMember({"auto", "loglik", "generate"}))
      ->capture_default_str();
  command
      ->add_option("--shots,--num-fewshot", flags->options.shots,
                   "few-shot examples, drawn as the reference harness draws them (MMLU: the dev split's first k "
                   "of the question's subject); refused where the data lacks that split")
      ->transform(number<int>(0, 64))
      ->capture_default_str();
  command->add_option("--limit", flags->options.limit, "items per benchmark (0: all)")
      ->transform(number<int64_t>(0))
      ->capture_default_str();
  command->add_option("--batch-size", flags->options.batch_size, "items per forward pass (scores never depend on it)")
      ->transform(number<int>(1, 4096))
      ->capture_default_str();
  command->add_option("-o,--out,--output-path", flags->options.out_dir,
                      "write results.json (with lm-eval's keys too), samples.jsonl, summary.md, report.html here");
  CLI::Option* bos =
      command
          ->add_option("--bos", flags->options.bos,
                       "plain-text prompts (log-likelihood, mmlu_pro_health's generation): on (the tokenizer's "
                       "special tokens, its BOS where its config adds one), off, or auto: as --lm-eval-version's "
                       "Hugging Face models do (up to 0.4.9.1 only for Gemma, from 0.4.9.2 always)")
          ->check(CLI::IsMember({"auto", "on", "off"}))
          ->capture_default_str();
  command->add_flag("--no-bos", flags->no_bos, "the same as --bos off")->excludes(bos);
  command->add_option("--lm-eval-version", flags->lm_eval_version,
                      "the lm-evaluation-harness release whose BOS rule --bos auto follows (default: " +
                          flags->options.lm_eval_version + ")");
  command->add_flag("--cot", flags->options.chain_of_thought, "generate: ask for reasoning before the answer");
  command
      ->add_option("-n,--max-tokens", flags->options.max_tokens,
                   "generate: reply length (default: the protocol's: 512 for JMED-LLM, 2048 for mmlu_pro_health, "
                   "else 256)")
      ->transform(number<int32_t>(1));
  command->add_flag("!--no-system-role", flags->options.system_role,
                    "JMED-LLM: its instruction and the question in one user message (its use_system_role: False, for "
                    "chat templates without a system role)");
  command->add_option("--temp", flags->options.sampling.temperature, "generate: temperature, at least 0 (0: greedy)")
      ->transform(number<float>(0))
      ->capture_default_str();
  command->add_option("--self-consistency", flags->options.self_consistency, "generate: samples voted per item")
      ->transform(number<int>(1, 1000))
      ->capture_default_str();
  command->add_option("--seed", flags->options.sampling.seed, "generate: sampling seed")
      ->transform(number<uint64_t>())
      ->capture_default_str();
  command->add_option("--years", flags->options.igakuqa_years, "IgakuQA years (2018-2022)")
      ->delimiter(',')
      ->transform(number<int>(2018, 2022));
  command->add_flag("!--no-resume", flags->options.resume, "recompute items already in the out directory's cache");
  command->add_flag("!--no-model-hash", flags->options.hash_model, "skip hashing the model files");
  command->add_option("--score-predictions", flags->score_predictions,
                      "score IgakuQA predictions (baseline format: JSONL file or directory) instead of a model");
  command->add_option("--system", flags->system,
                      "--score-predictions on a directory of baseline files: which system (e.g. gpt4)");
  command->add_option("--rule", flags->rule, "--score-predictions matching rule: paper or lenient")
      ->capture_default_str();
  command->add_option("--report", flags->report_from,
                      "draw summary.md and report.html again from an earlier run's results.json (into -o, or "
                      "beside the file)");
  command->add_flag("--list-benchmarks", flags->list,
                    "print the benchmarks and groups with their descriptions and exit");
  command->footer(R"(Examples:
  medllm eval -m path/to/model --bench medqa,medmcqa,pubmedqa --data ../shared/data -o results/
  medllm eval -m BASE --lora runs/lora --bench medqa --data ../shared/data    # an adapter, applied at load
  medllm eval -m BASE --checkpoint runs/cpt/checkpoint-200 --bench igakuqa --method generate --data ../shared/data
  medllm eval --report results/results.json                                    # redraw summary.md, report.html
  medllm eval --bench igakuqa --score-predictions ../shared/data/igakuqa/baseline_results --system gpt4 --data ../shared/data)");
  command->callback([flags] { run_eval_command(*flags); });
}

}  // namespace medllm::cli
