// Session: one sequence's KV cache and scratch over a loaded model's inference forward.

#include <medllm/session.hpp>

#include "core/error.hpp"
#include "model/model_state.hpp"

namespace medllm {

struct Session::State {
  State(const ModelConfig& config, int64_t context)
      : cache(config.num_layers, config.num_kv_heads * config.head_dim), context_length(context) {}
  KVCache cache;
  ForwardScratch scratch;
  std::vector<float> logits;
  int64_t context_length;
};

Session::Session(const Model& model, int64_t context_length) : model_(&model) {
  const ModelConfig& config = model.config();
  if (context_length < 0) fail("context length must be positive, got {}", context_length);
  if (context_length == 0) context_length = config.max_position_embeddings;
  state_ = std::make_unique<State>(config, context_length);
}

Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

std::span<const float> Session::forward(std::span<const int32_t> tokens, LogitsFor which) {
  if (tokens.empty()) fail("forward needs at least one token");
  State& s = *state_;
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (s.cache.positions + n > s.context_length) {
    fail("{} tokens at position {} exceed the context length of {} tokens", n, s.cache.positions, s.context_length);
  }
  const ModelState& impl = model_state(*model_);
  const int64_t vocab = impl.config.vocab_size;
  const int64_t rows = which == LogitsFor::All ? n : 1;
  s.logits.resize(static_cast<size_t>(rows * vocab));
  impl.transformer->forward(tokens, s.cache, s.scratch, *impl.pool, which, s.logits.data());
  return {s.logits.data(), s.logits.size()};
}

int64_t Session::position() const {
  return state_->cache.positions;
}
int64_t Session::context_length() const {
  return state_->context_length;
}
int64_t Session::vocab_size() const {
  return model_->config().vocab_size;
}

void Session::rewind(int64_t position) {
  if (position < 0 || position > state_->cache.positions) {
    fail("cannot rewind to position {} (the session holds {})", position, state_->cache.positions);
  }
  state_->cache.positions = position;
}

}  // namespace medllm
