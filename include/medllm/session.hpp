#pragma once
// Running a model one sequence at a time: the KV cache a prompt and its continuation fill.

#include <cstdint>
#include <medllm/model.hpp>
#include <memory>
#include <span>

namespace medllm {

// One sequence's decoding state: the key/value cache and scratch buffers. Not thread-safe;
// several sessions may share one Model.
class Session {
 public:
  // context_length 0: the model's max_position_embeddings. Cache memory grows as used.
  explicit Session(const Model& model, int64_t context_length = 0);
  ~Session();
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;

  // Runs `tokens` at positions position() ... and appends them to the cache. Returns the logits
  // of the last token ([vocab]) or of every token ([tokens × vocab], row-major). The span stays
  // valid until the next call.
  std::span<const float> forward(std::span<const int32_t> tokens, LogitsFor which = LogitsFor::Last);

  int64_t position() const;
  int64_t context_length() const;
  int64_t vocab_size() const;
  // Forgets every position at and after `position` (0 clears the whole cache).
  void rewind(int64_t position);

 private:
  struct State;
  const Model* model_;
  std::unique_ptr<State> state_;
};

}  // namespace medllm
