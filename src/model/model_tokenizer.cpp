// Tokenizer::load(const Model&) lives with the model, not in tokenizer/: the tokenizer layer sits
// below the model and never includes it; the model knows where its tokenizer is stored.

#include <medllm/model.hpp>
#include <medllm/tokenizer.hpp>

#include "tokenizer/gguf_vocab.hpp"

namespace medllm {

std::unique_ptr<Tokenizer> Tokenizer::load(const Model& model) {
  if (model.format() == "gguf") return tokenizer_from_gguf(model.metadata(), model.path());
  return from_path(model.path());
}

}  // namespace medllm
