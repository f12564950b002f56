#pragma once
// Element types of weights: the traits table and the conversions. Block-quantized types use
// ggml's block layouts (core/quant_blocks.hpp) so GGUF files load without conversion.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "core/quant_blocks.hpp"

namespace medllm {

// The GGUF types medllm computes with, plain and block-quantized (core/quant_blocks.hpp).
enum class DType : uint8_t {
  F32,
  F16,
  BF16,
  Q8_0,
  Q4_0,
  Q4_1,
  Q5_0,
  Q5_1,
  Q2_K,
  Q3_K,
  Q4_K,
  Q5_K,
  Q6_K,
  IQ4_NL,
  IQ4_XS
};
inline constexpr size_t kDTypeCount = 15;  // tables indexed by DType static_assert this size

// Everything medllm knows of an element type, one row per type (core/dtype.cpp). Adding a type
// is a row here plus its kernels (each kernel table is indexed by DType and sized kDTypeCount,
// so a missing kernel fails the build, never falls back to another type's code).
struct DTypeTraits {
  std::string_view name;  // lower case, as medllm prints it ("q4_k")
  uint32_t ggml_type;     // the id GGUF files store (ggml.h's enum ggml_type)
  int64_t block_elems;    // elements per block: 1 for plain types
  size_t block_bytes;     // bytes per block
  // n elements (whole blocks) to or from f32, bit for bit as ggml's dequantize_row_* and its
  // ggml_quantize_chunk compute them. from_f32's importance (one per column, or nullptr) is an
  // importance matrix's row for the matrix; given one, src is a single row of n values, since
  // ggml weighs some types' values by the row's mean square. Plain types and q8_0 ignore it.
  void (*to_f32)(const void* src, float* dst, int64_t n);
  void (*from_f32)(const float* src, void* dst, int64_t n, const float* importance);
  // Byte offsets of a block's f16 scales. A block-quantized value is scale · integer, so a block
  // is finite exactly when its scales are; empty for plain types, whose values are all checked.
  std::span<const uint16_t> f16_scale_offsets;
};

const DTypeTraits& dtype_traits(DType type);
// The DType a GGUF type id stands for; nullopt for ggml types medllm does not compute with.
std::optional<DType> dtype_from_ggml_type(uint32_t ggml_type);
// A type stored in blocks of values sharing scales (q8_0, q4_k, ...), as opposed to f32/f16/bf16.
inline bool is_block_quantized(DType type) {
  return dtype_traits(type).block_elems > 1;
}
// A type whose quantizer weighs an importance matrix: ggml's plain types and q8_0 ignore one.
inline bool weighs_importance(DType type) {
  return is_block_quantized(type) && type != DType::Q8_0;
}
inline std::string_view dtype_name(DType type) {
  return dtype_traits(type).name;
}

// Bytes that `elems` consecutive elements occupy; throws if elems is not a whole number of blocks.
size_t dtype_bytes(DType type, int64_t elems);

float f16_to_f32(uint16_t bits);
uint16_t f32_to_f16(float value);  // round to nearest even
inline float bf16_to_f32(uint16_t bits) {
  uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float value;
  __builtin_memcpy(&value, &wide, sizeof value);
  return value;
}
uint16_t f32_to_bf16(float value);  // round to nearest even, NaN stays NaN

// Converts n elements (a whole number of blocks) of `type` at src to f32.
inline void to_f32(DType type, const void* src, float* dst, int64_t n) {
  dtype_traits(type).to_f32(src, dst, n);
}
// Converts n f32 values to `type` (quantizing as ggml does without an importance matrix).
void from_f32(DType type, const float* src, void* dst, int64_t n);
// Quantizes one row of n values as ggml_quantize_chunk does given an importance matrix's row for
// the matrix (`importance`: n values, one per column; nullptr: as from_f32).
void from_f32_row(DType type, const float* row, void* dst, int64_t n, const float* importance);
// Whether n elements (whole blocks) of `type` hold no NaN or infinity.
bool all_finite(DType type, const void* src, int64_t n);

}  // namespace medllm
