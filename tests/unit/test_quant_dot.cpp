// The integer dot products of block-quantized weights (kernels/quant_dot.hpp): the integer view
// of every type against its dequantization, the input quantization's error bound, the scalar
// definition against a double-precision dot product, and the SIMD kernels against the scalar
// definition bit for bit (every kernel set the machine runs: unit.kernels_avx2 forces AVX2).

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "core/quant_blocks.hpp"
#include "kernels/matmul.hpp"
#include "kernels/quant_dot.hpp"
#include "support/test_support.hpp"

namespace medllm {
namespace {

std::vector<DType> block_dtypes() {
  std::vector<DType> out;
  for (DType dtype : test::all_dtypes()) {
    if (dtype_traits(dtype).block_elems > 1) out.push_back(dtype);
  }
  return out;
}

TEST(QuantDot, EveryBlockTypeHasIntegerDotsAndNoFloatTypeDoes) {
  for (DType dtype : test::all_dtypes()) {
    EXPECT_EQ(kernels::has_integer_dot(dtype), dtype_traits(dtype).block_elems > 1) << dtype_name(dtype);
  }
}

// The integer view of a group reproduces ggml's dequantized value of every element exactly, on
// random blocks in which every code pattern occurs.
TEST(QuantDot, GroupsReproduceDequantizationExactly) {
  for (DType dtype : block_dtypes()) {
    const test::OwnedTensor w = test::random_blocks("w", {3, 512}, dtype, 5);
    std::vector<float> values(512);
    kernels::WeightGroup group;
    for (int64_t r = 0; r < 3; ++r) {
      to_f32(dtype, w.view().row(r), values.data(), 512);
      for (int64_t g = 0; g < 512 / kernels::kGroup; ++g) {
        kernels::decode_group(dtype, w.view().row(r), g, group);
        const kernels::GroupScales& s = group.scales;
        for (int e = 0; e < kernels::kGroup; ++e) {
          const float scaled = s.d * static_cast<float>(s.sc[e / 16]);
          const float value = scaled * static_cast<float>(group.codes[e]) + s.dmin * static_cast<float>(s.m[e / 16]);
          ASSERT_EQ(value, values[g * kernels::kGroup + e])
              << dtype_name(dtype) << " row " << r << " group " << g << " element " << e;
        }
      }
    }
  }
}

// Per block of 32 (the 32-element types' inputs) and of 256 (the super-block types'): the scale is
// the block's amax / 127, every code within half a step, and the half sums add up the codes.
TEST(QuantDot, InputsAreRoundedToTheNearestStep) {
  for (int64_t block : {int64_t{32}, int64_t{256}}) {
    const int64_t length = 3 * block;
    auto x = test::random_normals(static_cast<size_t>(4 * length), 7);
    for (int64_t e = block; e < 2 * block; ++e) x[e] = 0.0f;  // an all-zero block
    x[length + 4] = 1e30f;                                    // one huge value rounds the rest of its block to 0
    kernels::QuantizedInputs q;
    kernels::quantize_inputs(x.data(), 4, length, block, q);
    for (int64_t t = 0; t < 4; ++t) {
      for (int64_t b = 0; b < 3; ++b) {
        const float scale = q.scales_of(t)[b];
        float amax = 0.0f;
        for (int64_t e = 0; e < block; ++e) amax = std::max(amax, std::fabs(x[t * length + b * block + e]));
        EXPECT_EQ(scale, amax / 127.0f);
        for (int64_t e = 0; e < block; ++e) {
          const int8_t code = q.codes_of(t)[b * block + e];
          ASSERT_LE(std::abs(code), 127);
          ASSERT_LE(std::fabs(code * scale - x[t * length + b * block + e]), 0.5001f * scale)
              << t << " " << b << " " << e;
        }
      }
      for (int64_t h = 0; h < length / 16; ++h) {
        int sum = 0;
        for (int64_t e = 16 * h; e < 16 * h + 16; ++e) sum += q.codes_of(t)[e];
        EXPECT_EQ(q.sums_of(t)[h], sum);
      }
    }
    EXPECT_EQ(q.codes_of(0)[block + 8], 0);
    EXPECT_EQ(q.codes_of(1)[4], 127);
    EXPECT_EQ(q.codes_of(1)[5], 0);
  }
  kernels::QuantizedInputs q;
  const auto x = test::random_normals(64, 1);
  EXPECT_THROW(kernels::quantize_inputs(x.data(), 1, 64, 256, q), Error);  // not whole blocks
  EXPECT_THROW(kernels::quantize_inputs(x.data(), 1, 64, 64, q), Error);   // no such block size
}

// A block with a NaN or an infinity gets a NaN scale, so the products are NaN as in f32: per 32
// (q8_0) and per 256 (q4_k), decoding and prefilling.
TEST(QuantDot, NonFiniteInputsGiveNaN) {
  for (const DType dtype : {DType::Q8_0, DType::Q4_K}) {
    const test::OwnedTensor w = test::random_tensor("w", {2, 512}, dtype, 3);
    for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
      for (const int64_t n : {1, 5}) {
        auto x = test::random_normals(static_cast<size_t>(n * 512), 4);
        x[37] = bad;
        std::vector<float> y(static_cast<size_t>(2 * n));
        ThreadPool pool(1);
        kernels::matmul(w.view(), x.data(), n, y.data(), pool);
        EXPECT_TRUE(std::isnan(y[0]) && std::isnan(y[1])) << dtype_name(dtype) << " n=" << n;
        if (n > 1) {  // the other inputs stay finite
          EXPECT_FALSE(std::isnan(y[2]) || std::isnan(y[3])) << dtype_name(dtype);
        }
      }
    }
  }
}

// A block so small that its step is subnormal (the inverse overflows) rounds to codes 0: finite.
TEST(QuantDot, TinyInputsRoundToZero) {
  auto x = test::random_normals(256, 5);
  for (float& v : x) v *= 1e-38f;
  kernels::QuantizedInputs q;
  kernels::quantize_inputs(x.data(), 1, 256, 256, q);
  for (int e = 0; e < 256; ++e) ASSERT_EQ(q.codes_of(0)[e], 0);
  EXPECT_TRUE(std::isfinite(q.scales_of(0)[0]));
}

// The defining order computes Σ w · (code · scale) of the quantized inputs: against a
// double-precision sum, within f32 accumulation error of the products' magnitudes.
TEST(QuantDot, ReferenceIsTheDotWithQuantizedInputs) {
  for (DType dtype : block_dtypes()) {
    const int64_t in = 512;
    const test::OwnedTensor w = test::random_blocks("w", {5, in}, dtype, 9);
    const auto x = test::random_normals(3 * in, 10);
    kernels::QuantizedInputs q;
    kernels::quantize_inputs(x.data(), 3, in, kernels::input_block(dtype), q);
    std::vector<float> row(in);
    for (int64_t r = 0; r < 5; ++r) {
      to_f32(dtype, w.view().row(r), row.data(), in);
      for (int64_t t = 0; t < 3; ++t) {
        double exact = 0.0, magnitude = 0.0;
        for (int64_t e = 0; e < in; ++e) {
          const double input = static_cast<double>(q.codes_of(t)[e]) * q.scales_of(t)[e / q.block];
          exact += row[e] * input;
          magnitude += std::fabs(row[e] * input);
        }
        const float ours = kernels::integer_dot_reference(dtype, w.view().row(r), q, t);
        ASSERT_NEAR(ours, exact, 2e-6 * (1.0 + magnitude)) << dtype_name(dtype) << " row " << r << " input " << t;
      }
    }
  }
}

// The kernels equal the scalar definition bit for bit, decoding (few inputs) and prefilling (many),
// on random blocks (every code pattern, q8_0's -128 included) and on quantized normal weights.
TEST(QuantDot, KernelsEqualTheDefinitionBitForBit) {
  ThreadPool pool(2);
  for (DType dtype : block_dtypes()) {
    const int64_t in = dtype_traits(dtype).block_elems > 32 ? 768 : 96;
    for (bool quantized_normal : {false, true}) {
      const test::OwnedTensor w = quantized_normal ? test::random_tensor("w", {37, in}, dtype, 11)
                                                   : test::random_blocks("w", {37, in}, dtype, 11);
      for (int64_t n : {1, 3, 4, 9, 70}) {
        const auto x = test::random_normals(static_cast<size_t>(n * in), 12);
        std::vector<float> y(static_cast<size_t>(n * 37));
        kernels::matmul(w.view(), x.data(), n, y.data(), pool);
        kernels::QuantizedInputs q;
        kernels::quantize_inputs(x.data(), n, in, kernels::input_block(dtype), q);
        for (int64_t t = 0; t < n; ++t) {
          for (int64_t r = 0; r < 37; ++r) {
            ASSERT_EQ(y[t * 37 + r], kernels::integer_dot_reference(dtype, w.view().row(r), q, t))
                << dtype_name(dtype) << " n=" << n << " t=" << t << " r=" << r;
          }
        }
      }
    }
  }
}

// Every code at the largest magnitude the kernels multiply, against inputs all at ±127: the integer
// sums the kernels keep in 16-bit lanes (several chunks' products before a sub-scale applies) reach
// their bound, and must stay exact (q6_k's scales at -128 also give the offset correction its
// extreme).
template <class Block>
Block* blocks_of(test::OwnedTensor& w) {
  return reinterpret_cast<Block*>(w.bytes.data());
}
TEST(QuantDot, KernelsStayExactAtTheLargestCodesAndInputs) {
  ThreadPool pool(2);
  const int64_t in = 512, rows = 11;
  for (DType dtype : {DType::Q2_K, DType::Q3_K, DType::Q4_K, DType::Q5_K, DType::Q6_K, DType::IQ4_XS}) {
    test::OwnedTensor w = test::random_blocks("w", {rows, in}, dtype, 21);
    const int64_t blocks = rows * in / kQK_K;
    for (int64_t b = 0; b < blocks; ++b) {
      switch (dtype) {
        case DType::Q2_K:
          std::memset(blocks_of<BlockQ2_K>(w)[b].qs, 0xFF, sizeof(BlockQ2_K::qs));  // code 3
          break;
        case DType::Q3_K:
          std::memset(blocks_of<BlockQ3_K>(w)[b].qs, 0xFF, sizeof(BlockQ3_K::qs));  // stored 7
          std::memset(blocks_of<BlockQ3_K>(w)[b].hmask, 0xFF, sizeof(BlockQ3_K::hmask));
          break;
        case DType::Q4_K:
          std::memset(blocks_of<BlockQ4_K>(w)[b].qs, 0xFF, sizeof(BlockQ4_K::qs));  // 15
          break;
        case DType::Q5_K:
          std::memset(blocks_of<BlockQ5_K>(w)[b].qs, 0xFF, sizeof(BlockQ5_K::qs));  // 31
          std::memset(blocks_of<BlockQ5_K>(w)[b].qh, 0xFF, sizeof(BlockQ5_K::qh));
          break;
        case DType::Q6_K:
          std::memset(blocks_of<BlockQ6_K>(w)[b].ql, 0xFF, sizeof(BlockQ6_K::ql));  // stored 63
          std::memset(blocks_of<BlockQ6_K>(w)[b].qh, 0xFF, sizeof(BlockQ6_K::qh));
          std::memset(blocks_of<BlockQ6_K>(w)[b].scales, 0x80, sizeof(BlockQ6_K::scales));  // -128
          break;
        default:
          std::memset(blocks_of<BlockIQ4_XS>(w)[b].qs, 0x00, sizeof(BlockIQ4_XS::qs));  // level -127
          break;
      }
    }
    for (float sign : {1.0f, -1.0f}) {
      for (int64_t n : {1, 5}) {
        const std::vector<float> x(static_cast<size_t>(n * in), sign);
        std::vector<float> y(static_cast<size_t>(n * rows));
        kernels::matmul(w.view(), x.data(), n, y.data(), pool);
        kernels::QuantizedInputs q;
        kernels::quantize_inputs(x.data(), n, in, kernels::input_block(dtype), q);
        ASSERT_EQ(q.codes_of(0)[0], static_cast<int8_t>(127 * sign));
        for (int64_t t = 0; t < n; ++t) {
          for (int64_t r = 0; r < rows; ++r) {
            ASSERT_EQ(y[t * rows + r], kernels::integer_dot_reference(dtype, w.view().row(r), q, t))
                << dtype_name(dtype) << " sign " << sign << " n=" << n << " r=" << r;
          }
        }
      }
    }
  }
}

// Against the exact dequantize-then-f32 product, the only difference is the inputs' rounding:
// at most half a step per element, |Σ w · (x − x̂)| ≤ Σ |w| · scale / 2.
TEST(QuantDot, DistanceFromExactProductIsBoundedByInputRounding) {
  ThreadPool pool(2);
  for (DType dtype : block_dtypes()) {
    const int64_t in = 512;
    const test::OwnedTensor w = test::random_blocks("w", {9, in}, dtype, 13);
    const auto x = test::random_normals(2 * in, 14);
    std::vector<float> ours(18), exact(18), row(in);
    kernels::matmul(w.view(), x.data(), 2, ours.data(), pool);
    kernels::matmul_reference(w.view(), x.data(), 2, exact.data());
    kernels::QuantizedInputs q;
    kernels::quantize_inputs(x.data(), 2, in, kernels::input_block(dtype), q);
    for (int64_t r = 0; r < 9; ++r) {
      to_f32(dtype, w.view().row(r), row.data(), in);
      for (int64_t t = 0; t < 2; ++t) {
        double bound = 0.0, magnitude = 0.0;
        for (int64_t e = 0; e < in; ++e) {
          bound += std::fabs(row[e]) * q.scales_of(t)[e / q.block] / 2;
          magnitude += std::fabs(row[e] * x[t * in + e]);
        }
        EXPECT_LE(std::fabs(ours[t * 9 + r] - exact[t * 9 + r]), bound + 2e-6 * (1.0 + magnitude)) << dtype_name(dtype);
      }
    }
  }
}

}  // namespace
}  // namespace medllm
