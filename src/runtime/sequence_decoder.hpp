#pragma once
// One decoding loop's rules, shared by generate(), chat, the server's batch engine and (later)
// RL rollouts: sample the next token, stop at an end-of-sequence id, turn tokens into text that
// is final (whole UTF-8 characters, never part of a stop string), stop at a stop string, and stop
// at the token limit or when the context is full. The caller runs the model and shows the text.

#include <cstdint>
#include <medllm/config.hpp>
#include <medllm/generate.hpp>
#include <medllm/tokenizer.hpp>
#include <span>
#include <string>
#include <vector>

#include "runtime/stop_matcher.hpp"

namespace medllm {

struct SequenceOptions {
  SamplingParams sampling;
  std::vector<std::string> stop;  // the text ends before the first occurrence of any of them
  std::vector<int32_t> end_ids;   // tokens that end the sequence (see end_of_sequence_ids)
  bool ignore_eos = false;        // end_ids are sampled like any token
  int64_t max_tokens = -1;        // < 0: no limit
  int64_t context_length = 0;     // prompt + output may not exceed it
};

// The tokens that end a sequence: every end token the model's configs name and the tokenizer's EOS.
std::vector<int32_t> end_of_sequence_ids(const ModelConfig& config, const Tokenizer& tokenizer);

class SequenceDecoder {
 public:
  // prompt: the tokens the model has read (the text's context and the repetition history).
  SequenceDecoder(const Tokenizer& tokenizer, std::span<const int32_t> prompt, SequenceOptions options);

  struct Step {
    int32_t token = -1;  // the token to feed next; -1 when the sequence ended without one
    std::string text;    // text that became final with this step (the held-back tail when it ends)
  };
  // Given the logits that follow the sequence so far, samples and decodes the next token. Once
  // done(), the caller stops feeding the model.
  Step next(std::span<const float> logits);
  // Ends the sequence at the caller's request (a client went away, a callback said stop); a
  // sequence that has already ended keeps its reason.
  void cancel();

  bool done() const { return done_; }
  StopReason stop_reason() const { return reason_; }
  int64_t produced() const { return produced_; }
  std::span<const int32_t> generated() const;

 private:
  // Why another token may not be produced, if it may not.
  bool limit_reached();
  // Ends the sequence; unless it ended at a stop string, the text held back becomes final (and
  // may itself complete a stop string).
  std::string end(StopReason reason);

  SequenceOptions options_;
  Sampler sampler_;
  StreamDecoder text_;
  StopMatcher stops_;
  std::vector<int32_t> history_;  // prompt and generated tokens
  int64_t prompt_length_;
  int64_t produced_ = 0;
  bool done_ = false;
  StopReason reason_ = StopReason::Length;
};

}  // namespace medllm
