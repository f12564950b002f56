#include <cmath>
#include <medllm/model.hpp>
#include <medllm/scoring.hpp>

#include "core/error.hpp"
#include "kernels/elementwise.hpp"
#include "model/model_state.hpp"

namespace medllm {

double ContinuationScore::logprob() const {
  double total = 0.0;
  for (float value : token_logprobs) total += value;
  return total;
}

struct Scorer::State {
  explicit State(const ModelConfig& config) : cache(config.num_layers, config.num_kv_heads * config.head_dim) {}
  KVCache cache;
  ForwardScratch scratch;
  std::vector<float> logits;
};

Scorer::Scorer(const Model& model) : model_(&model), state_(std::make_unique<State>(model.config())) {}
Scorer::~Scorer() = default;
Scorer::Scorer(Scorer&&) noexcept = default;
Scorer& Scorer::operator=(Scorer&&) noexcept = default;

int64_t Scorer::tokens_needed(std::span<const ScoreRequest> requests, bool share_prompt) {
  int64_t total = 0;
  for (const auto& request : requests) {
    const auto prompt = static_cast<int64_t>(request.prompt.size());
    if (share_prompt) total += prompt;
    for (const auto& continuation : request.continuations) {
      total += static_cast<int64_t>(continuation.size()) + (share_prompt ? 0 : prompt);
    }
  }
  return total;
}

namespace {

// Where each continuation's tokens and the logits that predict them are in the pass.
struct ContinuationLayout {
  int64_t first_token = 0;     // index of its first token in the pass
  int64_t predicting_row = 0;  // logit row that predicts its first token (the prompt's last)
  std::vector<int64_t> rows;   // logit row predicting each of its tokens
};

// log p(target) from a row of logits, and whether target is the argmax (lowest id on ties).
std::pair<float, bool> token_logprob(const float* logits, int64_t vocab, int32_t target) {
  float max = logits[0];
  int64_t best = 0;
  for (int64_t i = 1; i < vocab; ++i) {
    if (logits[i] > max) {
      max = logits[i];
      best = i;
    }
  }
  const double value = static_cast<double>(logits[target]) - kernels::log_sum_exp(logits, vocab);
  return {static_cast<float>(value), best == target};
}

}  // namespace

std::vector<std::vector<ContinuationScore>> Scorer::score(std::span<const ScoreRequest> requests, bool share_prompt) {
  const ModelState& impl = model_state(*model_);
  const int64_t vocab = impl.config.vocab_size;
  const int64_t max_positions = impl.config.max_position_embeddings;
  std::vector<int32_t> tokens;
  std::vector<TokenPlacement> placements;
  std::vector<int64_t> logit_rows;  // token indices whose logits are needed
  std::vector<std::vector<ContinuationLayout>> layouts(requests.size());

  // Appends a run of tokens at positions first_position.. as the own sequence starting at
  // own_slot, seeing the prompt [prompt_slot, prompt_slot + prompt_length).
  auto place = [&](std::span<const int32_t> run, int64_t first_position, int64_t prompt_slot, int64_t prompt_length) {
    const auto own_slot = static_cast<int64_t>(tokens.size());
    for (size_t i = 0; i < run.size(); ++i) {
      placements.push_back({first_position + static_cast<int64_t>(i), static_cast<int64_t>(tokens.size()), prompt_slot,
                            prompt_length, own_slot});
      tokens.push_back(run[i]);
    }
    return own_slot;
  };

  for (size_t r = 0; r < requests.size(); ++r) {
    const ScoreRequest& request = requests[r];
    const auto prompt_length = static_cast<int64_t>(request.prompt.size());
    if (prompt_length == 0) fail("score request {}: the prompt is empty (add a BOS token)", r);
    int64_t prompt_slot = share_prompt ? place(request.prompt, 0, 0, 0) : -1;
    for (const auto& continuation : request.continuations) {
      const auto length = static_cast<int64_t>(continuation.size());
      if (prompt_length + length > max_positions) {
        fail("score request {}: prompt ({} tokens) plus continuation ({} tokens) exceed the context of {} tokens", r,
             prompt_length, length, max_positions);
      }
      if (!share_prompt) prompt_slot = place(request.prompt, 0, 0, 0);
      ContinuationLayout layout;
      layout.first_token = static_cast<int64_t>(tokens.size());
      place(continuation, prompt_length, prompt_slot, prompt_length);
      // The prompt's last token predicts the first continuation token; each continuation token
      // predicts the next one.
      if (length > 0) {
        layout.rows.push_back(static_cast<int64_t>(logit_rows.size()));
        logit_rows.push_back(prompt_slot + prompt_length - 1);
        for (int64_t i = 0; i + 1 < length; ++i) {
          layout.rows.push_back(static_cast<int64_t>(logit_rows.size()));
          logit_rows.push_back(layout.first_token + i);
        }
      }
      layouts[r].push_back(std::move(layout));
    }
  }

  State& s = *state_;
  s.logits.resize(logit_rows.size() * static_cast<size_t>(vocab));
  if (!tokens.empty()) {
    impl.transformer->forward_placed(tokens, placements, s.cache, s.scratch, *impl.pool, logit_rows, s.logits.data());
  }

  std::vector<std::vector<ContinuationScore>> results(requests.size());
  for (size_t r = 0; r < requests.size(); ++r) {
    for (size_t c = 0; c < requests[r].continuations.size(); ++c) {
      const auto& continuation = requests[r].continuations[c];
      const ContinuationLayout& layout = layouts[r][c];
      ContinuationScore score;
      for (size_t i = 0; i < continuation.size(); ++i) {
        const auto [logprob, greedy] = token_logprob(s.logits.data() + layout.rows[i] * vocab, vocab, continuation[i]);
        score.token_logprobs.push_back(logprob);
        score.greedy = score.greedy && greedy;
      }
      results[r].push_back(std::move(score));
    }
  }
  return results;
}

}  // namespace medllm
