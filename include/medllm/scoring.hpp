#pragma once
// Log-likelihood scoring of continuations, the core of multiple-choice evaluation: for a prompt
// and its candidate continuations, the log-probability of every continuation token given the
// prompt and the continuation tokens before it.
//
// The prompt is computed once and every continuation attends to it (prompt KV sharing), and
// several requests run through one forward pass. Results are bit-identical however requests are
// batched, with or without sharing, and equal to the log-softmax of `medllm logits` over
// prompt + continuation.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace medllm {

class Model;

struct ScoreRequest {
  std::vector<int32_t> prompt;                      // at least one token (usually BOS + text)
  std::vector<std::vector<int32_t>> continuations;  // may be empty lists (score 0)
};

struct ContinuationScore {
  std::vector<float> token_logprobs;  // one per continuation token
  bool greedy = true;                 // every token was the most likely one (lm-eval's is_greedy)
  double logprob() const;             // their sum, accumulated in double in token order
};

class Scorer {
 public:
  explicit Scorer(const Model& model);
  ~Scorer();
  Scorer(Scorer&&) noexcept;
  Scorer& operator=(Scorer&&) noexcept;

  // Scores every request in one forward pass. share_prompt = false runs each continuation with
  // its own copy of the prompt (for comparison; same numbers, more work).
  std::vector<std::vector<ContinuationScore>> score(std::span<const ScoreRequest> requests, bool share_prompt = true);

  // Tokens one forward pass over these requests would process.
  static int64_t tokens_needed(std::span<const ScoreRequest> requests, bool share_prompt = true);

 private:
  struct State;
  const Model* model_;
  std::unique_ptr<State> state_;
};

}  // namespace medllm
