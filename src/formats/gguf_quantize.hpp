#pragma once
// `medllm quantize`: a GGUF file to a GGUF file of another type, as llama.cpp's llama-quantize
// makes it: the same tensors in llama.cpp's order, each quantizable weight in the type the preset
// and llama.cpp's per-tensor rules choose (formats/quantize_mix), byte for byte what
// llama_model_quantize writes without an importance matrix, the rest copied; the metadata copied
// exactly, with general.file_type set to the preset.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dtype.hpp"
#include "core/thread_pool.hpp"
#include "formats/quantize_mix.hpp"

namespace medllm {

// general.quantization_version (ggml's GGML_QNT_VERSION): the block layouts of core/quant_blocks.hpp.
inline constexpr uint32_t kQuantizationVersion = 2;

struct QuantizeOptions {
  std::string type;               // a preset name
  bool pure = false;              // every quantizable tensor in the preset's type (--pure)
  bool allow_requantize = false;  // quantized input tensors may be converted (--allow-requantize)
};

struct QuantizedTensor {
  std::string name;
  std::vector<int64_t> shape;  // outermost first
  DType from, to;
  size_t bytes_in = 0, bytes_out = 0;
};

struct QuantizeResult {
  std::vector<QuantizedTensor> tensors;  // in the order written
  size_t bytes_in = 0, bytes_out = 0;
};

// rows × columns values of type `from` converted to `to` through f32, rows in parallel.
std::vector<std::byte> convert_rows(DType from, DType to, const std::byte* data, int64_t rows, int64_t columns,
                                    ThreadPool& pool);

// Writes `out` atomically; errors name the file, tensor or option at fault. `progress` is called
// after each tensor with its index and the tensor count.
QuantizeResult quantize_gguf(const std::string& in, const std::string& out, const QuantizeOptions& options,
                             ThreadPool& pool,
                             const std::function<void(size_t, size_t, const QuantizedTensor&)>& progress = {});

}  // namespace medllm
