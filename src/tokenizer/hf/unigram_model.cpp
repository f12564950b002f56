// The Unigram model of tokenizer.json, on top of the SentencePiece Unigram implementation.

#include "core/error.hpp"
#include "tokenizer/hf/components.hpp"

namespace medllm::hf {

std::unique_ptr<Model> parse_unigram_model(const json& config, const std::string& where) {
  (void)config;
  fail("{}: Unigram models are not supported yet", where);
}

}  // namespace medllm::hf
