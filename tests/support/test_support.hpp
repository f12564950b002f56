#pragma once
// Shared helpers for the test suite: paths to data, temporary directories, and a writer for
// tiny random-weight Hugging Face models (for error and robustness tests; numeric parity tests
// use the PyTorch-written models from tests/reference instead).

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <medllm/error.hpp>
#include <medllm/model.hpp>
#include <medllm/tokenizer.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/dtype.hpp"
#include "core/tensor.hpp"

namespace medllm::test {

std::filesystem::path shared_data(const std::string& relative);  // ../shared/data/<relative>
std::filesystem::path repo_path(const std::string& relative);    // <repository>/<relative>
std::filesystem::path stories260k_path();                        // the embedded default model
std::filesystem::path fresh_temp_dir(const std::string& name);   // empty, unique per test

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& bytes);

// A test suite over the real stories260K model and its tokenizer, loaded once per suite.
class StoriesSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  static Model* model_;
  static Tokenizer* tokenizer_;
};

struct OwnedTensor {
  std::string name;
  DType dtype = DType::F32;
  Shape shape;
  std::vector<std::byte> bytes;
  TensorView view() const { return {dtype, shape, bytes.data()}; }
};

OwnedTensor random_tensor(const std::string& name, Shape shape, DType dtype, uint64_t seed, float scale = 0.2f);
// Random bytes in `dtype`'s block layout, every code pattern possible, with each block's f16
// scales set to finite values of magnitude below 0.1: codes a quantizer would never write.
OwnedTensor random_blocks(const std::string& name, Shape shape, DType dtype, uint64_t seed);
// n values drawn from N(0, scale²), the same for the same seed.
std::vector<float> random_normals(size_t n, uint64_t seed, float scale = 1.0f);
// Every DType, in enum order.
std::vector<DType> all_dtypes();

struct TinyModel {
  nlohmann::json config;
  std::vector<OwnedTensor> tensors;
  OwnedTensor* find(const std::string& name);
};

// A small Llama model (hidden 32, 2 layers, 4 heads, 2 kv heads, ffn 48, vocab 64).
TinyModel tiny_llama(DType dtype = DType::F32, uint64_t seed = 7);
// Writes config.json and model.safetensors into dir.
void write_hf_model(const std::filesystem::path& dir, const TinyModel& model);

// Streams a random continuation of each sequence (split at a random point, a BOS in front of half
// of them, random vocabulary ids after a quarter) through StreamDecoder with the rest as its
// context, and checks that the pieces never split a character and add up to
// decode(context + continuation) minus decode(context). Returns how many were checked (a context
// whose text is not a prefix of the whole, as when it ends inside a character, is skipped).
size_t check_continuation_streaming(const Tokenizer& tokenizer, const std::vector<std::vector<int32_t>>& sequences,
                                    uint64_t seed);

// The message of the medllm::Error that fn() throws; a test failure (and "") when it throws none.
template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an Error";
  return {};
}

}  // namespace medllm::test
