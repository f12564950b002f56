// medllm data prepare: text, JSONL or chat data → tokenized training shards with a validation
// split (see src/data/prepare.hpp for the formats).

#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
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
  const PrepareStats stats = prepare_dataset(flags.model, options);
  fmt::print("{}\n", stats.to_json().dump(2));
  fmt::print(stderr,
             "medllm: {} records → train {} documents / {} tokens, valid {} documents / {} tokens; dropped {} "
             "duplicates, {} empty, {} too short, {} invalid UTF-8, {} malformed\n",
             stats.records, stats.train_documents, stats.train_tokens, stats.valid_documents, stats.valid_tokens,
             stats.duplicates, stats.empty, stats.too_short, stats.invalid_utf8, stats.malformed);
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
  prepare->add_option("--valid-fraction", o.valid_fraction, "held-out share, chosen by a hash of each sample")
      ->capture_default_str();
  prepare->add_option("--min-chars", o.min_chars, "drop samples shorter than this")->capture_default_str();
  prepare->add_option("--shard-tokens", o.shard_tokens, "tokens per shard file")->capture_default_str();
  prepare->add_flag("--keep-duplicates", flags->keep_duplicates, "do not drop exact duplicates");
  prepare->add_flag("--no-eos", flags->no_eos, "cpt: do not end documents with EOS");
  prepare->callback([flags] { run_prepare(*flags); });
}

}  // namespace medllm::cli
