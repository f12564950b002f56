#pragma once
// Importance matrices as llama.cpp's llama-imatrix computes them: for every weight matrix of the
// layers, the sum over calibration tokens of each input column's square (and the token count),
// which quantizers use to spend precision where the inputs are large. Written in llama.cpp's
// GGUF imatrix format, so llama-quantize --imatrix reads medllm's files.

#include <cstdint>
#include <functional>
#include <map>
#include <medllm/model.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace medllm {

struct ImportanceMatrix {
  struct Entry {
    std::vector<double> sums;  // per input column: Σ x²
    int64_t count = 0;         // tokens seen
  };
  std::map<std::string, Entry> entries = {};  // by GGUF tensor name ("blk.0.attn_q.weight")
  int64_t chunks = 0, chunk_size = 0;
  std::vector<std::string> datasets;  // the calibration files, as named
};

struct ImportanceOptions {
  int64_t chunk_size = 512;  // llama-imatrix's -c
  int64_t max_chunks = 0;    // 0: every whole chunk of the text (--chunks)
  std::optional<int32_t> bos =
      std::nullopt;  // put first in every chunk, as llama-imatrix does when the tokenizer adds one
  std::function<void(int64_t done, int64_t total)> progress = {};  // after each chunk
};

// Runs the model over `tokens` in whole chunks, each from an empty cache, collecting every layer
// matrix's input squares (the output matrix is left out, as llama-imatrix leaves it by default).
// Errors when the text holds less than one chunk.
ImportanceMatrix collect_importance(const Model& model, std::span<const int32_t> tokens,
                                    const ImportanceOptions& options);

// llama.cpp's GGUF imatrix file: general.type "imatrix", imatrix.datasets / chunk_count /
// chunk_size, and per matrix "<name>.in_sum2" (f32, one row of its columns) and "<name>.counts".
// Written atomically; errors name the path.
void write_importance_gguf(const ImportanceMatrix& matrix, const std::string& path);

}  // namespace medllm
