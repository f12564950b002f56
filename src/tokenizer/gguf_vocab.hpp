#pragma once
// Tokenizers embedded in GGUF metadata: tokenizer.ggml.model "llama" (SentencePiece-style
// scores) and "gpt2" (byte-level BPE with merges, its pre-tokenizer named by tokenizer.ggml.pre:
// tokenizer/gguf_pre_tokenizers.hpp).

#include <medllm/tokenizer.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace medllm {

std::unique_ptr<Tokenizer> tokenizer_from_gguf(const nlohmann::json& metadata, const std::string& source);

}  // namespace medllm
