#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "core/dtype.hpp"
#include "core/error.hpp"
#include "support/test_support.hpp"

#if defined(__F16C__)
#include <immintrin.h>
#endif

namespace medllm {
namespace {

float bits_to_float(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}
uint32_t float_to_bits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  return bits;
}

TEST(DType, F16RoundTripsEveryBitPattern) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    const auto h = static_cast<uint16_t>(bits);
    const float f = f16_to_f32(h);
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(f)))) << bits;
      continue;
    }
    EXPECT_EQ(f32_to_f16(f), h) << "bits 0x" << std::hex << bits;
  }
}

#if defined(__F16C__)
// The CPU's F16C conversion instructions are an independent reference for both directions.
TEST(DType, F16MatchesHardwareConversion) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    const float expected = _cvtsh_ss(static_cast<uint16_t>(bits));
    const float actual = f16_to_f32(static_cast<uint16_t>(bits));
    if (std::isnan(expected)) {
      EXPECT_TRUE(std::isnan(actual));
    } else {
      EXPECT_EQ(float_to_bits(actual), float_to_bits(expected)) << "bits 0x" << std::hex << bits;
    }
  }
  std::mt19937 rng(1);
  for (int i = 0; i < 2'000'000; ++i) {
    // Random bit patterns weighted to the f16 range (exponents around 2^-26 .. 2^17).
    uint32_t bits = rng();
    const uint32_t exponent = 101 + rng() % 44;
    bits = (bits & 0x807fffffu) | (exponent << 23);
    const float value = bits_to_float(bits);
    // F16C's conversion (written without _cvtss_sh, whose clang macro is a C99 compound literal).
    const auto hardware =
        static_cast<uint16_t>(_mm_extract_epi16(_mm_cvtps_ph(_mm_set_ss(value), _MM_FROUND_TO_NEAREST_INT), 0));
    ASSERT_EQ(f32_to_f16(value), hardware) << value;
  }
}
#endif

// bf16 rounding against a direct definition: the nearer of the two neighbours, ties to even.
TEST(DType, Bf16RoundsToNearestEven) {
  std::mt19937 rng(2);
  for (int i = 0; i < 1'000'000; ++i) {
    const uint32_t bits = rng() & 0x7f7fffffu;  // finite values
    const float value = bits_to_float(bits);
    const uint32_t down = bits & 0xffff0000u;
    const uint32_t up = down + 0x10000u;
    const double d_down = std::fabs(static_cast<double>(value) - bits_to_float(down));
    // Rounding up from the largest finite bf16 reaches 2^128, which is infinity.
    const double up_value = up == 0x7f800000u ? std::ldexp(1.0, 128) : bits_to_float(up);
    const double d_up = std::fabs(up_value - value);
    uint32_t expected = d_down < d_up ? down : up;
    if (d_down == d_up) expected = ((down >> 16) & 1u) ? up : down;
    ASSERT_EQ(f32_to_bf16(value), expected >> 16) << value;
    ASSERT_EQ(float_to_bits(bf16_to_f32(static_cast<uint16_t>(expected >> 16))), expected);
  }
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(std::nanf("")))));
}

TEST(DType, BlockSizes) {
  EXPECT_EQ(dtype_bytes(DType::F32, 10), 40u);
  EXPECT_EQ(dtype_bytes(DType::BF16, 10), 20u);
  EXPECT_EQ(dtype_bytes(DType::Q8_0, 64), 68u);
  EXPECT_EQ(dtype_bytes(DType::Q4_0, 64), 36u);
  EXPECT_THROW(dtype_bytes(DType::Q8_0, 33), Error);
}

TEST(DType, Q8_0QuantizationErrorIsWithinHalfAStep) {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> values(1024);
  for (float& v : values) v = normal(rng);
  std::vector<BlockQ8_0> blocks(values.size() / 32);
  from_f32(DType::Q8_0, values.data(), blocks.data(), 1024);
  std::vector<float> back(values.size());
  to_f32(DType::Q8_0, blocks.data(), back.data(), 1024);
  for (size_t b = 0; b < blocks.size(); ++b) {
    const float scale = f16_to_f32(blocks[b].scale_f16);
    for (size_t i = 0; i < 32; ++i) {
      // Half a quantization step plus the f16 rounding of the scale (relative 2^-11 of 127 steps).
      EXPECT_LE(std::fabs(back[b * 32 + i] - values[b * 32 + i]), scale * (0.5f + 127.0f / 2048.0f));
    }
  }
}

TEST(DType, Q4_0QuantizationErrorIsWithinOneStep) {
  std::mt19937 rng(4);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> values(512);
  for (float& v : values) v = normal(rng);
  std::vector<BlockQ4_0> blocks(values.size() / 32);
  from_f32(DType::Q4_0, values.data(), blocks.data(), 512);
  std::vector<float> back(values.size());
  to_f32(DType::Q4_0, blocks.data(), back.data(), 512);
  for (size_t b = 0; b < blocks.size(); ++b) {
    const float step = std::fabs(f16_to_f32(blocks[b].scale_f16));
    for (size_t i = 0; i < 32; ++i) EXPECT_LE(std::fabs(back[b * 32 + i] - values[b * 32 + i]), step * 1.01f);
  }
}

}  // namespace
}  // namespace medllm

namespace medllm {
namespace {

// all_finite over every dtype: clean data is finite; one NaN or infinity anywhere is found,
// whether the type stores values (checked one by one) or block scales (checked per block; the
// quantizer itself never writes a non-finite scale, so the test writes one into the block).
TEST(DType, AllFiniteFindsANonFiniteValueInEveryType) {
  constexpr int64_t n = 2048;
  std::vector<float> values(n);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> uniform(-2.0f, 2.0f);
  for (float& v : values) v = uniform(rng);
  for (const DType type : test::all_dtypes()) {
    const DTypeTraits& traits = dtype_traits(type);
    std::vector<std::byte> stored(dtype_bytes(type, n));
    if (traits.from_f32 != nullptr) {
      from_f32(type, values.data(), stored.data(), n);
    } else {  // a type medllm only reads: random blocks with finite scales
      stored = test::random_blocks("w", {n}, type, 5).bytes;
    }
    EXPECT_TRUE(all_finite(type, stored.data(), n)) << traits.name;
    for (const float bad : {std::nanf(""), INFINITY, -INFINITY}) {
      for (const int64_t at : {int64_t{0}, int64_t{1100}, n - 1}) {
        std::vector<std::byte> poisoned = stored;
        if (traits.f16_scale_offsets.empty()) {
          std::vector<float> changed = values;
          changed[at] = bad;
          from_f32(type, changed.data(), poisoned.data(), n);
        } else {
          const uint16_t scale = f32_to_f16(bad);
          const size_t block = static_cast<size_t>(at / traits.block_elems) * traits.block_bytes;
          std::memcpy(poisoned.data() + block + traits.f16_scale_offsets.back(), &scale, sizeof scale);
        }
        EXPECT_FALSE(all_finite(type, poisoned.data(), n)) << traits.name << " " << bad << " at " << at;
      }
    }
  }
}

TEST(DType, TraitsAgreeWithTheirConversions) {
  for (const DType type : test::all_dtypes()) {
    const DTypeTraits& traits = dtype_traits(type);
    EXPECT_EQ(dtype_bytes(type, traits.block_elems), traits.block_bytes) << traits.name;
    EXPECT_THROW(dtype_bytes(type, traits.block_elems + (traits.block_elems > 1 ? 1 : -2)), Error) << traits.name;
  }
  EXPECT_THROW(dtype_traits(static_cast<DType>(kDTypeCount)), Error);
}

}  // namespace
}  // namespace medllm
