// medllm logits: the full-precision logits of a token sequence as JSON, for cross-checking
// against reference implementations. Output format (stable):
//   {"tokens":[...],"logits":[[...vocab floats...], ... one row per position]}

#include <fmt/format.h>

#include <cstdio>
#include <map>
#include <medllm/error.hpp>
#include <medllm/session.hpp>
#include <medllm/tokenizer.hpp>

#include "cli/commands.hpp"

namespace medllm::cli {

namespace {

struct LogitsFlags {
  ModelFlags model;
  std::vector<int32_t> tokens;
  std::string prompt;
  bool last_only = false;
};

// JSON whose numbers are f32: each logit is written as the shortest text that reads back as the
// same f32, and NaN/inf (which JSON cannot hold) as null.
using f32_json = nlohmann::basic_json<std::map, std::vector, std::string, bool, std::int64_t, std::uint64_t, float>;

void run_logits(const LogitsFlags& flags) {
  const auto model = flags.model.load();
  std::vector<int32_t> tokens = flags.tokens;
  if (!flags.prompt.empty()) {
    if (!tokens.empty()) throw Error("give either --tokens or --prompt, not both");
    tokens = Tokenizer::load(*model)->encode(flags.prompt, true);
  }
  if (tokens.empty()) throw Error("no tokens: pass --tokens 1,2,3 or --prompt TEXT");
  Session session(*model, static_cast<int64_t>(tokens.size()));
  const auto logits = session.forward(tokens, flags.last_only ? LogitsFor::Last : LogitsFor::All);
  const size_t vocab = static_cast<size_t>(session.vocab_size());
  // Written a row at a time (a large vocabulary times many positions would not fit in memory as
  // one JSON value); every value goes through nlohmann::json, only the brackets are put here.
  std::string out = "{\"tokens\":" + f32_json(tokens).dump() + ",\"logits\":[";
  for (size_t row = 0; row < logits.size() / vocab; ++row) {
    if (row > 0) out += ',';
    out += f32_json(std::vector<float>(logits.begin() + row * vocab, logits.begin() + (row + 1) * vocab)).dump();
    std::fwrite(out.data(), 1, out.size(), stdout);
    out.clear();
  }
  out += "]}\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
}

}  // namespace

void add_logits_command(CLI::App& app) {
  auto flags = std::make_shared<LogitsFlags>();
  CLI::App* command = app.add_subcommand("logits", "print the logits of a token sequence as JSON");
  flags->model.add_to(*command);
  command->add_option("--tokens", flags->tokens, "token ids, comma-separated")
      ->delimiter(',')
      ->transform(number<int32_t>(0));
  command->add_option("-p,--prompt", flags->prompt, "text to tokenize (with BOS) instead of --tokens");
  command->add_flag("--last", flags->last_only, "only the last position's logits");
  command->footer(R"(Examples:
  medllm logits -m data/models/stories260K/stories260K.gguf --tokens 1,403,407 --last
  medllm logits -m path/to/model --prompt "The patient presents with" > logits.json
Output: {"tokens":[...],"logits":[[...one float per vocabulary entry...], ...one row per position]})");
  command->callback([flags] { run_logits(*flags); });
}

}  // namespace medllm::cli
