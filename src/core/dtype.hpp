#pragma once
// Element types of weights and their conversions. Block-quantized types (q8_0, q4_0) use the
// GGUF block layouts so GGUF files load without conversion.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace medllm {

enum class DType : uint8_t { F32, F16, BF16, Q8_0, Q4_0 };

struct DTypeInfo {
  std::string_view name;
  int64_t block_elems;  // elements per block: 1 for plain types
  size_t block_bytes;   // bytes per block
};

const DTypeInfo& dtype_info(DType type);
inline std::string_view dtype_name(DType type) {
  return dtype_info(type).name;
}
inline bool is_block_quantized(DType type) {
  return dtype_info(type).block_elems > 1;
}

// Bytes that `elems` consecutive elements occupy; throws if elems is not a whole number of blocks.
size_t dtype_bytes(DType type, int64_t elems);

constexpr int64_t kQ8_0BlockElems = 32;
struct BlockQ8_0 {
  uint16_t scale_f16;
  int8_t quants[kQ8_0BlockElems];
};
constexpr int64_t kQ4_0BlockElems = 32;
struct BlockQ4_0 {
  uint16_t scale_f16;
  uint8_t quants[kQ4_0BlockElems / 2];  // element i in the low nibble of byte i, i+16 in the high
};
static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ4_0) == 18);

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
void to_f32(DType type, const void* src, float* dst, int64_t n);
// Converts n f32 values to `type` (quantizing with the GGUF reference rounding for blocks).
void from_f32(DType type, const float* src, void* dst, int64_t n);

}  // namespace medllm
