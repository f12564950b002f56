#include <algorithm>
#include <chrono>
#include <medllm/generate.hpp>
#include <medllm/model.hpp>
#include <medllm/session.hpp>
#include <medllm/tokenizer.hpp>

#include "core/error.hpp"
#include "runtime/sequence_decoder.hpp"

namespace medllm {

const char* stop_reason_name(StopReason reason) {
  switch (reason) {
    case StopReason::Eos:
      return "eos";
    case StopReason::StopString:
      return "stop";
    case StopReason::Length:
      return "length";
    case StopReason::Context:
      return "context";
    case StopReason::Cancelled:
      return "cancelled";
  }
  return "unknown";
}

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

GenerateResult generate(const Model& model, const Tokenizer& tokenizer, std::string_view prompt,
                        const GenerateOptions& options, const TextCallback& on_text) {
  const std::vector<int32_t> tokens = tokenizer.encode(prompt, options.add_special);
  return generate(model, tokenizer, tokens, options, on_text);
}

GenerateResult generate(const Model& model, const Tokenizer& tokenizer, std::span<const int32_t> prompt_tokens,
                        const GenerateOptions& options, const TextCallback& on_text) {
  if (prompt_tokens.empty()) fail("the prompt is empty: nothing to condition on (add a BOS token or some text)");
  GenerateResult result;
  result.prompt_tokens.assign(prompt_tokens.begin(), prompt_tokens.end());
  Session session(model, options.context_length);
  if (static_cast<int64_t>(prompt_tokens.size()) >= session.context_length()) {
    fail("the prompt has {} tokens but the context holds {}; shorten it or raise the context length",
         prompt_tokens.size(), session.context_length());
  }
  SequenceDecoder sequence(tokenizer, prompt_tokens,
                           {options.sampling, options.stop, end_of_sequence_ids(model.config(), tokenizer),
                            options.ignore_eos, options.max_tokens, session.context_length()});
  const auto emit = [&](const std::string& text) {
    if (text.empty()) return true;
    result.text += text;
    return !on_text || on_text(text);
  };

  const auto prompt_start = Clock::now();
  std::span<const float> logits = session.forward(prompt_tokens);
  result.prompt_seconds = seconds_since(prompt_start);
  const auto generate_start = Clock::now();
  while (!sequence.done()) {
    const SequenceDecoder::Step step = sequence.next(logits);
    if (!emit(step.text)) sequence.cancel();
    if (sequence.done()) break;
    const int32_t fed[] = {step.token};
    logits = session.forward(fed);
  }
  const auto generated = sequence.generated();
  result.tokens.assign(generated.begin(), generated.end());
  result.stop_reason = sequence.stop_reason();
  result.generate_seconds = seconds_since(generate_start);
  return result;
}

}  // namespace medllm
