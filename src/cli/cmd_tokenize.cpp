// medllm tokenize / detokenize: text <-> token ids with a model's tokenizer (a model directory,
// a tokenizer directory or file, or a .gguf file; no weights are loaded).

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <medllm/error.hpp>
#include <medllm/tokenizer.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"

namespace medllm::cli {

namespace {

struct TokenizeFlags {
  std::string path;
  std::string text;
  bool json = false;
  bool no_special = false;
  bool from_stdin = false;
};

struct DetokenizeFlags {
  std::string path;
  std::vector<int32_t> ids;
  bool keep_special = false;
};

void run_tokenize(const TokenizeFlags& flags) {
  const auto tokenizer = Tokenizer::from_path(flags.path);
  std::string text = flags.text;
  if (flags.from_stdin) text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  const std::vector<int32_t> ids = tokenizer->encode(text, !flags.no_special);
  if (!flags.json) {
    fmt::print("{}\n", fmt::join(ids, " "));
    return;
  }
  nlohmann::json out = nlohmann::json::array();
  for (int32_t id : ids) out.push_back({{"id", id}, {"piece", tokenizer->token_text(id)}});
  fmt::print("{}\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void run_detokenize(const DetokenizeFlags& flags) {
  const auto tokenizer = Tokenizer::from_path(flags.path);
  for (int32_t id : flags.ids) {
    if (id < 0 || id >= tokenizer->vocab_size()) {
      throw Error(fmt::format("token id {} is outside the vocabulary (0..{})", id, tokenizer->vocab_size() - 1));
    }
  }
  const std::string text = tokenizer->decode(flags.ids, !flags.keep_special);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
}

}  // namespace

void add_tokenize_commands(CLI::App& app) {
  auto tokenize = std::make_shared<TokenizeFlags>();
  CLI::App* command = app.add_subcommand("tokenize", "print the token ids of a text");
  command->add_option("-m,--model", tokenize->path, "model or tokenizer directory, tokenizer.json, or .gguf")
      ->required();
  command->add_option("text", tokenize->text, "the text (UTF-8)");
  command->add_flag("--stdin", tokenize->from_stdin, "read the text from standard input");
  command->add_flag("--json", tokenize->json, "print [{\"id\", \"piece\"}] instead of ids");
  command->add_flag("--no-special", tokenize->no_special, "do not add BOS/EOS or other template tokens");
  command->footer(R"(Examples:
  medllm tokenize -m path/to/Qwen3-dir --no-special "医師国家試験 Hello"
  medllm tokenize -m data/models/stories260K/stories260K.gguf --json "Once upon a time"
  echo "text from a file" | medllm tokenize -m path/to/model --stdin)");
  command->callback([tokenize] { run_tokenize(*tokenize); });

  auto detokenize = std::make_shared<DetokenizeFlags>();
  CLI::App* decode = app.add_subcommand("detokenize", "print the text of token ids");
  decode->add_option("-m,--model", detokenize->path, "model or tokenizer directory, tokenizer.json, or .gguf")
      ->required();
  decode->add_option("ids", detokenize->ids, "token ids (space- or comma-separated)")
      ->delimiter(',')
      ->transform(number<int32_t>(0))
      ->required();
  decode->add_flag("--keep-special", detokenize->keep_special, "print special tokens instead of dropping them");
  decode->footer(R"(Examples:
  medllm detokenize -m path/to/Qwen3-dir 99286 100879 99599
  medllm detokenize -m data/models/stories260K/stories260K.gguf 1,403,407 --keep-special)");
  decode->callback([detokenize] { run_detokenize(*detokenize); });
}

}  // namespace medllm::cli
