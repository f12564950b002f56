// medllm's conversions of every dtype against llama.cpp's own (libggml-base.so from the npm package
// @node-llama-cpp/linux-x64, loaded at run time): dequantization must agree bit for bit on random
// blocks (every code pattern) and on blocks ggml's reference quantizer wrote; medllm's quantized
// blocks must equal those ggml_quantize_chunk (what llama_model_quantize calls) writes, without an
// importance matrix and with one, byte for byte.

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/dtype.hpp"
#include "support/test_support.hpp"

namespace medllm {
namespace {

using ToFloat = void (*)(const void* src, float* dst, int64_t n);
using FromFloat = void (*)(const float* src, void* dst, int64_t n);
// ggml.h's ggml_quantize_chunk(type, src, dst, start, nrows, n_per_row, imatrix).
using QuantizeChunk = size_t (*)(int type, const float* src, void* dst, int64_t start, int64_t nrows, int64_t n_per_row,
                                 const float* imatrix);

// The library, opened once for the whole test program.
void* ggml_base() {
  static void* handle = [] {
    const std::string path =
        std::string(MEDLLM_NODE_DIR) + "/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/libggml-base.so";
    void* opened = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (opened == nullptr) ADD_FAILURE() << "cannot open " << path << ": " << dlerror();
    return opened;
  }();
  return handle;
}

// ggml's symbol stem for a dtype: "q4_k" → "q4_K"; the plain types have their own row functions.
std::string ggml_stem(DType type) {
  std::string name(dtype_name(type));
  if (name.size() > 2 && name.ends_with("_k")) name.back() = 'K';
  return name;
}

template <class Fn>
Fn symbol(const std::string& name) {
  void* handle = ggml_base();
  return handle == nullptr ? nullptr : reinterpret_cast<Fn>(dlsym(handle, name.c_str()));
}

ToFloat ggml_to_f32(DType type) {
  switch (type) {
    case DType::F32:
      return nullptr;  // a copy on both sides
    case DType::F16:
      return symbol<ToFloat>("ggml_fp16_to_fp32_row");
    case DType::BF16:
      return symbol<ToFloat>("ggml_bf16_to_fp32_row");
    default:
      return symbol<ToFloat>("dequantize_row_" + ggml_stem(type));
  }
}

FromFloat ggml_from_f32(DType type) {
  switch (type) {
    case DType::F32:
      return nullptr;
    case DType::F16:
      return symbol<FromFloat>("ggml_fp32_to_fp16_row");
    case DType::BF16:
      return symbol<FromFloat>("ggml_fp32_to_bf16_row_ref");
    default:
      return symbol<FromFloat>("quantize_row_" + ggml_stem(type) + "_ref");
  }
}

// Bitwise equality of two float arrays (NaN payloads included), naming the first difference.
void expect_same_bits(const std::vector<float>& ours, const std::vector<float>& theirs, const std::string& what) {
  ASSERT_EQ(ours.size(), theirs.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    uint32_t a, b;
    std::memcpy(&a, &ours[i], 4);
    std::memcpy(&b, &theirs[i], 4);
    ASSERT_EQ(a, b) << what << ": element " << i << " is " << ours[i] << " here, " << theirs[i] << " in ggml";
  }
}

// Normal values with a few blocks of special shape: all zero, constant, one outlier, ties, all
// positive, all negative, vanishingly small (below ggml's all-zero threshold and just above it).
std::vector<float> quantizer_input(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = normal(rng);
  const auto span = [&](int64_t from, int64_t count, auto value) {
    for (int64_t i = from; i < from + count && i < n; ++i) x[static_cast<size_t>(i)] = value(i);
  };
  const int64_t quarter = n / 4;
  span(0, quarter / 4, [](int64_t) { return 0.0f; });
  span(quarter / 4, quarter / 4, [](int64_t) { return 0.75f; });
  x[static_cast<size_t>(quarter)] = 1000.0f;
  span(quarter + 1, 63, [](int64_t i) { return static_cast<float>(i % 3 - 1) * 0.5f; });
  span(2 * quarter, 256, [&](int64_t i) { return std::fabs(x[static_cast<size_t>(i)]) + 0.25f; });
  span(2 * quarter + 256, 256, [&](int64_t i) { return -std::fabs(x[static_cast<size_t>(i)]); });
  span(2 * quarter + 512, 256, [&](int64_t i) { return x[static_cast<size_t>(i)] * 1e-17f; });
  span(2 * quarter + 768, 256, [&](int64_t i) { return x[static_cast<size_t>(i)] * 1e-14f; });
  span(3 * quarter, 256, [&](int64_t i) { return x[static_cast<size_t>(i)] * 1e4f; });
  return x;
}

class GgmlReference : public ::testing::TestWithParam<DType> {};

TEST_P(GgmlReference, DequantizesRandomBlocksBitForBit) {
  const DType type = GetParam();
  const ToFloat reference = ggml_to_f32(type);
  if (type == DType::F32) GTEST_SKIP() << "f32 is a copy";
  ASSERT_NE(reference, nullptr) << "libggml-base.so has no row conversion for " << dtype_name(type);
  const int64_t n = 64 * 256;
  for (uint64_t seed : {1, 2, 3}) {
    const test::OwnedTensor blocks = test::random_blocks("w", {n}, type, seed);
    std::vector<float> ours(static_cast<size_t>(n)), theirs(ours.size());
    to_f32(type, blocks.bytes.data(), ours.data(), n);
    reference(blocks.bytes.data(), theirs.data(), n);
    expect_same_bits(ours, theirs, std::string(dtype_name(type)) + " seed " + std::to_string(seed));
  }
}

TEST_P(GgmlReference, DequantizesGgmlQuantizedBlocksBitForBit) {
  const DType type = GetParam();
  const FromFloat quantize = ggml_from_f32(type);
  const ToFloat reference = ggml_to_f32(type);
  if (type == DType::F32) GTEST_SKIP() << "f32 is a copy";
  ASSERT_NE(quantize, nullptr);
  const int64_t n = 32 * 256;
  const auto x = quantizer_input(n, 7);
  std::vector<std::byte> blocks(dtype_bytes(type, n));
  quantize(x.data(), blocks.data(), n);
  std::vector<float> ours(static_cast<size_t>(n)), theirs(ours.size());
  to_f32(type, blocks.data(), ours.data(), n);
  reference(blocks.data(), theirs.data(), n);
  expect_same_bits(ours, theirs, std::string(dtype_name(type)));
}

TEST_P(GgmlReference, QuantizesByteForByte) {
  const DType type = GetParam();
  if (type == DType::F32) GTEST_SKIP() << "f32 is a copy";
  const auto quantize = symbol<QuantizeChunk>("ggml_quantize_chunk");
  ASSERT_NE(quantize, nullptr);
  const int64_t n = 32 * 256, per_row = 1024;
  for (uint64_t seed : {11, 12}) {
    const auto x = quantizer_input(n, seed);
    std::vector<std::byte> ours(dtype_bytes(type, n)), theirs(ours.size());
    from_f32(type, x.data(), ours.data(), n);
    quantize(static_cast<int>(dtype_traits(type).ggml_type), x.data(), theirs.data(), 0, n / per_row, per_row, nullptr);
    for (size_t i = 0; i < ours.size(); ++i) {
      ASSERT_EQ(ours[i], theirs[i]) << dtype_name(type) << " seed " << seed << ": byte " << i << " of block "
                                    << i / dtype_traits(type).block_bytes;
    }
  }
}

// An importance matrix's row for a matrix of `columns`: mean squares spread over orders of
// magnitude, with a run of zeros (a column no calibration token reached) and a huge outlier.
std::vector<float> importance_row(int64_t columns, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.5f);
  std::vector<float> importance(static_cast<size_t>(columns));
  for (float& v : importance) v = std::exp(normal(rng));
  std::fill_n(importance.begin() + 40, 24, 0.0f);
  importance[300] = 1e6f;
  return importance;
}

// Under an importance matrix ggml_quantize_chunk runs each type's weighted quantizer
// (quantize_row_*_impl), whose rows depend on the row's own mean square too.
TEST_P(GgmlReference, QuantizesUnderAnImportanceMatrixByteForByte) {
  const DType type = GetParam();
  if (type == DType::F32) GTEST_SKIP() << "f32 is a copy";
  const auto quantize = symbol<QuantizeChunk>("ggml_quantize_chunk");
  ASSERT_NE(quantize, nullptr);
  const int64_t per_row = 1024, rows = 32, n = per_row * rows;
  const size_t row_bytes = dtype_bytes(type, per_row);
  for (uint64_t seed : {21, 22}) {
    const auto x = quantizer_input(n, seed);
    const auto importance = importance_row(per_row, seed);
    std::vector<std::byte> ours(dtype_bytes(type, n)), theirs(ours.size()), unweighted(ours.size());
    for (int64_t r = 0; r < rows; ++r) {
      from_f32_row(type, x.data() + r * per_row, ours.data() + r * row_bytes, per_row, importance.data());
    }
    quantize(static_cast<int>(dtype_traits(type).ggml_type), x.data(), theirs.data(), 0, rows, per_row,
             importance.data());
    for (size_t i = 0; i < ours.size(); ++i) {
      ASSERT_EQ(ours[i], theirs[i]) << dtype_name(type) << " seed " << seed << ": byte " << i << " of block "
                                    << i / dtype_traits(type).block_bytes;
    }
    // The weighted quantizer is not the plain one in disguise (q8_0 and the plain types ignore it).
    from_f32(type, x.data(), unweighted.data(), n);
    EXPECT_EQ(ours != unweighted, weighs_importance(type)) << dtype_name(type);
  }
}

INSTANTIATE_TEST_SUITE_P(EveryDType, GgmlReference, ::testing::ValuesIn(test::all_dtypes()),
                         [](const auto& test_info) { return std::string(dtype_name(test_info.param)); });

}  // namespace
}  // namespace medllm
