#pragma once
// The tokenizer of a Hugging Face model directory as GGUF metadata (tokenizer.ggml.*,
// tokenizer.chat_template), written the way llama.cpp's converter writes it, so llama.cpp and
// Ollama load the exported model with its tokenizer:
//   - tokenizer.model (SentencePiece): tokenizer.ggml.model "llama" with every piece's score and
//     type, added tokens from added_tokens.json and tokenizer_config.json's added_tokens_decoder;
//   - else tokenizer.json with a byte-level BPE model: "gpt2", its merges, and the pre-tokenizer
//     named in tokenizer.ggml.pre (an unnamed one is an error: llama.cpp would split differently).
// Ids the tokenizer leaves unused up to vocab_size become "[PAD<id>]" pieces of type unused.
// Special token ids come from tokenizer_config.json (then config.json), add_bos/add_eos from
// tokenizer_config.json or tokenizer.json's post-processor, the chat template from
// tokenizer_config.json, chat_template.jinja or chat_template.json.

#include <cstdint>
#include <filesystem>

#include "formats/gguf_writer.hpp"

namespace medllm {

// Errors name the file and field; a directory without tokenizer files is an error too (llama.cpp
// cannot load a model without its vocabulary).
void add_gguf_vocab_from_hf(const std::filesystem::path& dir, int64_t vocab_size, GgufWriter& writer);

}  // namespace medllm
