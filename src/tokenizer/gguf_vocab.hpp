#pragma once
// Tokenizers embedded in GGUF metadata: tokenizer.ggml.model "llama" (SentencePiece-style
// scores) and "gpt2" (byte-level BPE with merges, its pre-tokenizer named by tokenizer.ggml.pre).

#include <medllm/tokenizer.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace medllm {

std::unique_ptr<Tokenizer> tokenizer_from_gguf(const nlohmann::json& metadata, const std::string& source);

// The tokenizer.ggml.pre name of a Hugging Face byte-level pre-tokenizer (tokenizer.json's
// "pre_tokenizer"): the inverse of what tokenizer_from_gguf reads. nullopt for one medllm knows
// no llama.cpp name of.
std::optional<std::string> gguf_pre_tokenizer_name(const nlohmann::json& pre_tokenizer);

}  // namespace medllm
