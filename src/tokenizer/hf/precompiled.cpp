// The Precompiled normalizer (a SentencePiece charsmap embedded in tokenizer.json).

#include "core/error.hpp"
#include "tokenizer/hf/components.hpp"

namespace medllm::hf {

std::unique_ptr<Normalizer> parse_precompiled_normalizer(const json& config, const std::string& where) {
  (void)config;
  fail("{}: the Precompiled normalizer is not supported yet", where);
}

}  // namespace medllm::hf
