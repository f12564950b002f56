#pragma once
// The benchmark's random Llama model as a GGUF file (llama.cpp's names and metadata, a
// SentencePiece-style vocabulary of byte tokens and fillers), so medllm and llama.cpp can be timed
// on the same file.

#include <filesystem>

#include "random_llama.hpp"

namespace medllm::bench {

// Writes the model with its matrices in `dtype` (f32, f16 or bf16), unless `path` exists already
// (files are written atomically, so an existing one is complete). Returns true when it wrote.
bool ensure_random_llama_gguf(const std::filesystem::path& path, const LlamaShape& shape, DType dtype);

}  // namespace medllm::bench
