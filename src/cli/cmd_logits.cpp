// medllm logits: the full-precision logits of a token sequence as JSON, for cross-checking
// against reference implementations. Output format (stable):
//   {"tokens":[...],"logits":[[...vocab floats...], ... one row per position]}

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <medllm/error.hpp>
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

// Shortest text that reads back as the same f32; null for NaN/inf, which JSON cannot hold.
void append_float(std::string& out, float value) {
  if (std::isfinite(value)) {
    fmt::format_to(std::back_inserter(out), "{}", value);
  } else {
    out += "null";
  }
}

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
  std::string out = fmt::format("{{\"tokens\":[{}],\"logits\":[", fmt::join(tokens, ","));
  for (size_t row = 0; row < logits.size() / vocab; ++row) {
    out += row == 0 ? "[" : ",[";
    for (size_t i = 0; i < vocab; ++i) {
      if (i > 0) out += ',';
      append_float(out, logits[row * vocab + i]);
    }
    out += ']';
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
  command->add_option("--tokens", flags->tokens, "token ids, comma-separated")->delimiter(',');
  command->add_option("-p,--prompt", flags->prompt, "text to tokenize (with BOS) instead of --tokens");
  command->add_flag("--last", flags->last_only, "only the last position's logits");
  command->callback([flags] { run_logits(*flags); });
}

}  // namespace medllm::cli
