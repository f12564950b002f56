#pragma once
// Conversions of ggml's block-quantized types to and from f32 (the rows of core/dtype.cpp's
// traits table). to_f32 (core/block_quants.cpp) gives, bit for bit, what ggml's dequantize_row_*
// gives; from_f32 (core/block_quantize.cpp) what ggml_quantize_chunk writes, without an importance
// matrix (importance nullptr) or with one (importance: one value per column, src one row). n is a
// whole number of blocks.

#include <cstdint>

namespace medllm::block_quants {

void q8_0_to_f32(const void* src, float* dst, int64_t n);
void q4_0_to_f32(const void* src, float* dst, int64_t n);
void q4_1_to_f32(const void* src, float* dst, int64_t n);
void q5_0_to_f32(const void* src, float* dst, int64_t n);
void q5_1_to_f32(const void* src, float* dst, int64_t n);
void iq4_nl_to_f32(const void* src, float* dst, int64_t n);
void q2_k_to_f32(const void* src, float* dst, int64_t n);
void q3_k_to_f32(const void* src, float* dst, int64_t n);
void q4_k_to_f32(const void* src, float* dst, int64_t n);
void q5_k_to_f32(const void* src, float* dst, int64_t n);
void q6_k_to_f32(const void* src, float* dst, int64_t n);
void iq4_xs_to_f32(const void* src, float* dst, int64_t n);

void q8_0_from_f32(const float* src, void* dst, int64_t n, const float* importance);
void q4_0_from_f32(const float* src, void* dst, int64_t n, const float* importance);
void q4_1_from_f32(const float* src, void* dst, int64_t n, const float* importance);
void q5_0_from_f32(const float* src, void* dst, int64_t n, const float* importance);
void q5_1_from_f32(const float* src, void* dst, int64_t n, const float* importance);
void iq4_nl_from_f32(const float* src, void* dst, int64_t n, const float* importance);
void q2_k_from_f32(const float* src, void* dst, int64_t n, const float* importance);
void q3_k_from_f32(const float* src, void* dst, int64_t n, const float* importance);
void q4_k_from_f32(const float* src, void* dst, int64_t n, const float* importance);
void q5_k_from_f32(const float* src, void* dst, int64_t n, const float* importance);
void q6_k_from_f32(const float* src, void* dst, int64_t n, const float* importance);
void iq4_xs_from_f32(const float* src, void* dst, int64_t n, const float* importance);

}  // namespace medllm::block_quants
