#pragma once
// The byte-level pre-tokenizers llama.cpp names in tokenizer.ggml.pre: for each name (and its
// aliases), the splits the Hugging Face tokenizer of those models applies before BPE, and the two
// vocabulary behaviours llama.cpp ties to the name (llama-vocab.cpp): whether a word found whole
// in the vocabulary skips the merges, and whether a BOS is added when the file does not say.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace medllm {

struct GgufPreTokenizer {
  std::string name;                 // the name llama.cpp's converter writes
  std::vector<std::string> splits;  // regexes applied in turn, each keeping matches and the text between
  bool ignore_merges = false;       // a word that is a vocabulary entry is one token
  bool add_bos = false;             // the BOS default when tokenizer.ggml.add_bos_token is absent
};

// By any of llama.cpp's names for it; nullopt for one medllm does not know.
std::optional<GgufPreTokenizer> find_gguf_pre_tokenizer(const std::string& name);
std::string gguf_pre_tokenizer_names();  // for messages

// tokenizer.json's "pre_tokenizer" for one: the splits (Split, behaviour Isolated), then the
// GPT-2 byte mapping.
nlohmann::json hf_pre_tokenizer(const GgufPreTokenizer& pre);

// The tokenizer.ggml.pre name of a Hugging Face byte-level pre-tokenizer (tokenizer.json's
// "pre_tokenizer"): the inverse of hf_pre_tokenizer, and GPT-2's own ByteLevel regex as "gpt-2".
// nullopt for one medllm knows no llama.cpp name of.
std::optional<std::string> gguf_pre_tokenizer_name(const nlohmann::json& pre_tokenizer);

}  // namespace medllm
