#pragma once
// llama-quantize's presets and the type each puts a tensor in: its main type, llama.cpp's
// per-tensor rules for the _S/_M/_L mixes (attention values, feed-forward down projections in
// some layers, the output matrix), and the fallback for rows the chosen block size does not
// divide (llama-quant.cpp's llama_tensor_get_type).

#include <cstdint>
#include <string>
#include <string_view>

#include "core/dtype.hpp"
#include "formats/gguf.hpp"

namespace medllm {

// A llama-quantize type name ("Q8_0", "Q4_K_M", "F16", ...): its llama_ftype id and main type.
struct QuantizePreset {
  std::string_view name;
  uint32_t ftype;
  DType type;
};
// Case-insensitive; nullptr for a name llama-quantize does not have.
const QuantizePreset* find_quantize_preset(std::string_view name);
std::string quantize_preset_names();  // "F32, F16, BF16, Q8_0, ..." for messages and --help

// Chooses each tensor's type as llama_model_quantize does. The rules count attention-value and
// down-projection tensors as they come, so type_for must see the tensors in llama.cpp's order.
class QuantizeMix {
 public:
  // `pure` (--pure) puts every quantizable tensor in the preset's type, rows permitting.
  // `importance`: the tensors are quantized under an importance matrix, which changes the rules
  // for the first eighth of the down projections.
  QuantizeMix(const QuantizePreset& preset, const GgufFile& file, bool pure, bool importance = false);
  DType type_for(const GgufTensorInfo& tensor, DType stored);

 private:
  DType mixed(const std::string& name, int64_t columns, DType type);
  DType attention_value(DType type);
  DType down_projection(const std::string& name, DType type);
  DType attention_output(DType type) const;

  const QuantizePreset& preset_;
  bool pure_, importance_;
  std::string arch_;
  bool tied_ = true;        // no output.weight: the embeddings double as the output matrix
  bool seventy_b_ = false;  // llama.cpp's 70B size class (80 layers of llama or qwen2)
  int layers_ = 0, gqa_ = 0, experts_ = 0;
  int attention_values_ = 0, attention_value_ = 0, down_projection_ = 0;
};

}  // namespace medllm
