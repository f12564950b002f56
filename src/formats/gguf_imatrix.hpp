#pragma once
// Importance matrix files as llama-quantize --imatrix reads them (llama.cpp's
// common_imatrix_load): the GGUF imatrix format that llama-imatrix and `medllm imatrix` write
// ("<matrix>.in_sum2": each input column's summed squares, "<matrix>.counts": the tokens seen,
// one per expert; imatrix.datasets / chunk_count / chunk_size), or the legacy binary format of
// older llama-imatrix builds (imatrix.dat). And what llama-quantize makes of one for the
// quantizers: each column's mean square input.

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "formats/gguf.hpp"

namespace medllm {

struct ImatrixFile {
  struct Entry {
    std::vector<float> sums;      // per input column (× experts): Σ x², or in a legacy file the mean × calls
    std::vector<int64_t> counts;  // tokens seen per expert; in a legacy file one value, the calls
  };
  std::map<std::string, Entry> entries;  // by GGUF tensor name ("blk.0.attn_q.weight")
  std::vector<std::string> datasets;
  int32_t chunk_count = 0, chunk_size = 0;
  bool legacy = false;
};

// A GGUF file (by its magic) or else a legacy one. Errors name the path and the entry or key at
// fault: a GGUF imatrix needs its three imatrix.* keys and both F32 tensors of every matrix.
ImatrixFile read_imatrix(const std::string& path);
// The same for a file held in memory; errors do not name a path.
ImatrixFile parse_imatrix(std::span<const std::byte> bytes);

// The importance matrix llama-quantize hands the quantizers, with what its output records of it.
struct Importance {
  // Per matrix, each input column's mean square (sums / count, expert by expert; 1 for an expert
  // never reached); legacy files: sums / calls.
  std::map<std::string, std::vector<float>> columns = {};
  std::string file = {};
  std::vector<std::string> datasets = {};
  int32_t chunk_count = 0;
};

// read_imatrix and the normalisation, then llama-quantize's --exclude-weights / --include-weights
// filters (matrices whose names contain one of the given parts are dropped / kept; not both).
// Errors for NaN or infinite values, naming the matrix.
Importance load_importance(const std::string& path, const std::vector<std::string>& include = {},
                           const std::vector<std::string>& exclude = {});

// The importance of a tensor about to be quantized, as llama_model_quantize looks it up: nullptr
// when the file has no entry for it; an error when the entry's size is not the tensor's columns ×
// experts (but for the token embeddings, which are then quantized without it).
const float* importance_for(const Importance& importance, const GgufTensorInfo& tensor);

}  // namespace medllm
