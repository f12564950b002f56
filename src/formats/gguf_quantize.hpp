#pragma once
// `medllm quantize`: a GGUF file to a GGUF file of another type, as llama.cpp's llama-quantize
// makes it: the same tensors in llama.cpp's order, each quantizable weight in the type the preset
// and llama.cpp's per-tensor rules choose (formats/quantize_mix), byte for byte what
// llama_model_quantize writes, with or without an importance matrix (formats/gguf_imatrix); the
// rest copied. The metadata is copied exactly and in llama.cpp's order: general.quantization_version,
// general.file_type and, given an importance matrix, llama-quantize's quantize.imatrix.* keys set
// last.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dtype.hpp"
#include "core/thread_pool.hpp"
#include "formats/gguf_imatrix.hpp"
#include "formats/gguf_writer.hpp"
#include "formats/quantize_mix.hpp"

namespace medllm {

// general.quantization_version (ggml's GGML_QNT_VERSION): the block layouts of core/quant_blocks.hpp.
inline constexpr uint32_t kQuantizationVersion = 2;

struct QuantizeOptions {
  std::string type;               // a preset name
  bool pure = false;              // every quantizable tensor in the preset's type (--pure)
  bool allow_requantize = false;  // quantized input tensors may be converted (--allow-requantize)
  std::string imatrix = {};       // an importance matrix file (--imatrix), if any
  std::vector<std::string> include_weights = {}, exclude_weights = {};  // its matrices to use / leave out
};

struct QuantizedTensor {
  std::string name;
  std::vector<int64_t> shape;  // outermost first
  DType from, to;
  size_t bytes_in = 0, bytes_out = 0;
  bool weighted = false;  // quantized under the importance matrix
};

struct QuantizeResult {
  std::vector<QuantizedTensor> tensors;  // in the order written
  size_t bytes_in = 0, bytes_out = 0;
};

// The importance matrix options.imatrix names, with options' filters applied; nullopt without
// one, or when the filters leave nothing of it (llama-quantize then quantizes without one too).
std::optional<Importance> load_quantize_importance(const QuantizeOptions& options);
// llama-quantize's record of an importance matrix in its output: quantize.imatrix.file, .dataset
// (the first), .entries_count and .chunks_count.
void add_importance_record(const Importance& importance, GgufWriter& writer);

// rows × columns values of type `from` converted to `to` through f32, rows in parallel. Under an
// importance matrix (one value per column, for each expert in turn), row r takes expert
// r / rows_per_expert's.
std::vector<std::byte> convert_rows(DType from, DType to, const std::byte* data, int64_t rows, int64_t columns,
                                    ThreadPool& pool, const float* importance = nullptr, int64_t rows_per_expert = 0);

// Writes `out` atomically; errors name the file, tensor or option at fault. `progress` is called
// after each tensor with its index and the tensor count.
QuantizeResult quantize_gguf(const std::string& in, const std::string& out, const QuantizeOptions& options,
                             ThreadPool& pool,
                             const std::function<void(size_t, size_t, const QuantizedTensor&)>& progress = {});

}  // namespace medllm
