#include "runtime/sequence_decoder.hpp"

#include <algorithm>
#include <medllm/config.hpp>

namespace medllm {

std::vector<int32_t> end_of_sequence_ids(const ModelConfig& config, const Tokenizer& tokenizer) {
  std::vector<int32_t> ids(config.eos_token_ids.begin(), config.eos_token_ids.end());
  if (tokenizer.eos_id()) ids.push_back(*tokenizer.eos_id());
  return ids;
}

SequenceDecoder::SequenceDecoder(const Tokenizer& tokenizer, std::span<const int32_t> prompt, SequenceOptions options)
    : options_(std::move(options)),
      sampler_(options_.sampling),
      text_(tokenizer, prompt),
      stops_(options_.stop),
      history_(prompt.begin(), prompt.end()),
      prompt_length_(static_cast<int64_t>(prompt.size())) {}

std::span<const int32_t> SequenceDecoder::generated() const {
  return std::span<const int32_t>(history_).subspan(static_cast<size_t>(prompt_length_));
}

bool SequenceDecoder::limit_reached() {
  if (options_.max_tokens >= 0 && produced_ >= options_.max_tokens) {
    reason_ = StopReason::Length;
    return true;
  }
  if (prompt_length_ + produced_ >= options_.context_length) {  // the context holds prompt + output
    reason_ = StopReason::Context;
    return true;
  }
  return false;
}

std::string SequenceDecoder::end(StopReason reason) {
  done_ = true;
  reason_ = reason;
  if (reason == StopReason::StopString || reason == StopReason::Cancelled) return {};
  bool late_stop = false;  // bytes the decoder held back may complete a stop string
  std::string tail = stops_.append(text_.flush(), late_stop);
  if (late_stop) {
    reason_ = StopReason::StopString;
  } else {
    tail += stops_.flush();
  }
  return tail;
}

SequenceDecoder::Step SequenceDecoder::next(std::span<const float> logits) {
  Step step;
  if (done_) return step;
  if (limit_reached()) {
    step.text = end(reason_);
    return step;
  }
  const int32_t token = sampler_.sample(logits, history_);
  const auto& ends = options_.end_ids;
  if (!options_.ignore_eos && std::find(ends.begin(), ends.end(), token) != ends.end()) {
    step.text = end(StopReason::Eos);
    return step;
  }
  history_.push_back(token);
  ++produced_;
  step.token = token;
  bool stopped = false;
  step.text = stops_.append(text_.push(token), stopped);
  if (stopped) {
    end(StopReason::StopString);
  } else if (limit_reached()) {
    step.text += end(reason_);
  }
  return step;
}

void SequenceDecoder::cancel() {
  if (!done_) end(StopReason::Cancelled);
}

}  // namespace medllm
