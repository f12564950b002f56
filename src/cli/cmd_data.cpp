// medllm data prepare: text, JSONL or chat data → tokenized training shards with a validation
// split (see src/data/prepare.hpp for the formats).

#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/console.hpp"
#include "data/prepare.hpp"

namespace medllm::cli {

namespace {

struct DataFlags {
  std::string model;
  PrepareOptions options;
  bool keep_duplicates = false;
  bool no_eos = false;
};

void run_prepare(DataFlags& flags) {
  PrepareOptions& options = flags.options;
  options.deduplicate = !flags.keep_duplicates;
  options.add_eos = !flags.no_eos;
  const PrepareStats stats = prepare_dataset(flags.model, options, console_progress());
  fmt::print("{}\n", stats.to_json().dump(2));
  for (const std::string& example : stats.malformed_examples) fmt::print(stderr, "medllm: skipped {}\n", example);
  fmt::print(stderr, "medllm: {}\n", stats.counts_text());
}

}  // namespace

void add_data_command(CLI::App& app) {
  CLI::App* data = app.add_subcommand("data", "prepare training data");
  data->require_subcommand(1);
  auto flags = std::make_shared<DataFlags>();
  PrepareOptions& o = flags->options;
  CLI::App* prepare = data->add_subcommand("prepare", "tokenize text / JSONL / chat data into training shards");
  prepare->add_option("-m,--model", flags->model, "model or tokenizer whose tokenizer (and chat template) to use")
      ->required();
  prepare->add_option("-i,--input", o.inputs, "input files (.txt, .jsonl)")->required();
  prepare->add_option("-o,--output-dir", o.out_dir, "where the shards go")->required();
  prepare->add_option("--objective", o.objective, "cpt (every token is a target) or sft (assistant tokens only)")
      ->capture_default_str();
  prepare->add_option("--format", o.format, "auto, text, jsonl, messages, sharegpt, alpaca")->capture_default_str();
  prepare->add_option("--sample-by", o.sample_by, "text files: line, paragraph or document")->capture_default_str();
  prepare->add_option("--text-field", o.text_field, "jsonl: the field holding the text")->capture_default_str();
  prepare->add_option("--text-template", o.text_template,
                      "jsonl: text built from fields, e.g. '{question}\\n{answer}'");
  prepare->add_option("--prompt-field", o.prompt_field, "jsonl: user turn field (with --response-field: a chat)");
  prepare->add_option("--response-field", o.response_field, "jsonl: assistant turn field");
  prepare->add_option("--system-prompt", o.system_prompt, "system message for conversations without one");
  prepare->add_option("--valid-fraction", o.valid_fraction, "held-out share, 0 to 1, chosen by a hash of each sample")
      ->transform(number<double>(0, 1))
      ->capture_default_str();
  prepare->add_option("--min-chars", o.min_chars, "drop samples shorter than this")
      ->transform(number<int64_t>(0))
      ->capture_default_str();
  prepare->add_option("--shard-tokens", o.shard_tokens, "tokens per shard file")
      ->transform(number<int64_t>(1))
      ->capture_default_str();
  prepare->add_flag("--keep-duplicates", flags->keep_duplicates, "do not drop exact duplicates");
  prepare->add_flag("--no-eos", flags->no_eos, "cpt: do not end documents with EOS");
  prepare->footer(R"(Examples:
  medllm data prepare -m data/models/stories260K/stories260K.gguf -i corpus.txt -o runs/cpt --sample-by paragraph
  medllm data prepare -m BASE -i medquad.jsonl -o runs/cpt --text-template $'Question: {question}\nAnswer: {answer}'
  medllm data prepare -m path/to/chat-model -i qa.jsonl -o runs/sft --objective sft \
      --prompt-field question --response-field answer)");
  prepare->callback([flags] { run_prepare(*flags); });
}

}  // namespace medllm::cli
