#include <algorithm>
#include <chrono>
#include <medllm/generate.hpp>
#include <medllm/model.hpp>
#include <medllm/tokenizer.hpp>

#include "core/error.hpp"
#include "runtime/stop_matcher.hpp"

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
  Sampler sampler(options.sampling);
  StreamDecoder decoder(tokenizer, prompt_tokens);
  StopMatcher matcher(options.stop);
  std::vector<int32_t> history(prompt_tokens.begin(), prompt_tokens.end());
  // Stop at the tokenizer's EOS and at every end token the model's configs name.
  std::vector<int32_t> stop_ids(model.config().eos_token_ids.begin(), model.config().eos_token_ids.end());
  if (tokenizer.eos_id()) stop_ids.push_back(*tokenizer.eos_id());
  const auto is_stop_token = [&](int32_t id) {
    return std::find(stop_ids.begin(), stop_ids.end(), id) != stop_ids.end();
  };

  auto emit = [&](const std::string& text) {
    if (text.empty()) return true;
    result.text += text;
    return !on_text || on_text(text);
  };

  const auto prompt_start = Clock::now();
  std::span<const float> logits = session.forward(prompt_tokens);
  result.prompt_seconds = seconds_since(prompt_start);
  const auto generate_start = Clock::now();
  bool stopped = false;
  const int64_t prompt_length = static_cast<int64_t>(prompt_tokens.size());
  int64_t produced = 0;
  auto may_continue = [&] {
    if (options.max_tokens >= 0 && produced >= options.max_tokens) {
      result.stop_reason = StopReason::Length;
      return false;
    }
    if (prompt_length + produced >= session.context_length()) {  // the context holds prompt + output
      result.stop_reason = StopReason::Context;
      return false;
    }
    return true;
  };
  while (may_continue()) {
    const int32_t next = sampler.sample(logits, history);
    if (!options.ignore_eos && is_stop_token(next)) {
      result.stop_reason = StopReason::Eos;
      break;
    }
    result.tokens.push_back(next);
    history.push_back(next);
    ++produced;
    if (!emit(matcher.append(decoder.push(next), stopped))) {
      result.stop_reason = StopReason::Cancelled;
      break;
    }
    if (stopped) {
      result.stop_reason = StopReason::StopString;
      break;
    }
    if (!may_continue()) break;
    const int32_t step[] = {next};
    logits = session.forward(step);
  }
  if (!stopped && result.stop_reason != StopReason::Cancelled) {
    bool late_stop = false;
    emit(matcher.append(decoder.flush(), late_stop));
    if (late_stop)
      result.stop_reason = StopReason::StopString;
    else
      emit(matcher.flush());
  }
  result.generate_seconds = seconds_since(generate_start);
  return result;
}

}  // namespace medllm
