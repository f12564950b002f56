// medllm imatrix's collection (runtime/importance.hpp) on the real stories260K model: every layer
// matrix gets its input columns' squares summed over the calibration tokens, checked for layer 0's
// q/k/v against an independent computation from the file's own embedding and norm (the RMS-normed
// embeddings are exactly those matrices' inputs), and the file is llama.cpp's imatrix layout.

#include <gtest/gtest.h>

#include <cmath>
#include <medllm/model.hpp>
#include <numeric>
#include <vector>

#include "core/mapped_file.hpp"
#include "formats/gguf.hpp"
#include "runtime/importance.hpp"
#include "support/test_support.hpp"

namespace medllm {
namespace {

std::vector<int32_t> calibration_tokens(size_t n) {
  std::vector<int32_t> tokens(n);
  for (size_t i = 0; i < n; ++i) tokens[i] = static_cast<int32_t>(3 + (i * 37) % 500);
  return tokens;
}

// The f32 values of a tensor of the GGUF file.
std::vector<float> f32_tensor(const MappedFile& mapped, const GgufFile& file, const std::string& name) {
  for (const GgufTensorInfo& t : file.tensors) {
    if (t.name != name) continue;
    EXPECT_EQ(t.ggml_type, 0u) << name << " must be f32 for this test";
    std::vector<float> values(t.nbytes / sizeof(float));
    std::memcpy(values.data(), mapped.data() + file.data_offset + t.offset, t.nbytes);
    return values;
  }
  ADD_FAILURE() << "no tensor " << name;
  return {};
}

TEST(Importance, SumsEachMatrixInputsSquares) {
  const auto model = Model::load(test::stories260k_path().string(), {.threads = 2});
  const std::vector<int32_t> tokens = calibration_tokens(3 * 16 + 5);  // three whole chunks and a rest
  const ImportanceMatrix matrix = collect_importance(*model, tokens, {.chunk_size = 16, .bos = 1});
  const ModelConfig& config = model->config();
  EXPECT_EQ(matrix.chunks, 3);
  ASSERT_EQ(matrix.entries.size(), static_cast<size_t>(7 * config.num_layers));
  for (const auto& [name, entry] : matrix.entries) EXPECT_EQ(entry.count, 48) << name;
  EXPECT_EQ(matrix.entries.at("blk.0.ffn_down.weight").sums.size(), static_cast<size_t>(config.intermediate_size));

  // Independently: layer 0's attention input is RMSNorm(embedding) · attn_norm, token by token.
  const MappedFile mapped(test::stories260k_path().string());
  const GgufFile file = parse_gguf(mapped.bytes());
  const std::vector<float> embedding = f32_tensor(mapped, file, "token_embd.weight");
  const std::vector<float> norm = f32_tensor(mapped, file, "blk.0.attn_norm.weight");
  const double eps = file.metadata.at("llama.attention.layer_norm_rms_epsilon").get<double>();
  const int64_t hidden = config.hidden_size;
  std::vector<double> expected(static_cast<size_t>(hidden), 0.0);
  for (int64_t c = 0; c < 3; ++c) {
    for (int64_t t = 0; t < 16; ++t) {
      const int32_t token = t == 0 ? 1 : tokens[static_cast<size_t>(c * 16 + t)];  // BOS opens each chunk
      const float* e = embedding.data() + token * hidden;
      double sum = 0.0;
      for (int64_t j = 0; j < hidden; ++j) sum += double(e[j]) * e[j];
      const double inverse_rms = 1.0 / std::sqrt(sum / static_cast<double>(hidden) + eps);
      for (int64_t j = 0; j < hidden; ++j) {
        const double x = e[j] * inverse_rms * norm[static_cast<size_t>(j)];
        expected[static_cast<size_t>(j)] += x * x;
      }
    }
  }
  for (const char* name : {"blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.attn_v.weight"}) {
    const std::vector<double>& sums = matrix.entries.at(name).sums;
    ASSERT_EQ(sums.size(), expected.size()) << name;
    for (size_t j = 0; j < sums.size(); ++j)
      ASSERT_NEAR(sums[j], expected[j], 1e-4 * (1.0 + expected[j])) << name << " column " << j;
  }
}

TEST(Importance, WritesLlamaCppsImatrixFile) {
  const auto model = Model::load(test::stories260k_path().string(), {.threads = 1});
  ImportanceMatrix matrix = collect_importance(*model, calibration_tokens(40), {.chunk_size = 20});
  matrix.datasets = {"medquad.txt"};
  const auto path = test::fresh_temp_dir("imatrix") / "imatrix.gguf";
  write_importance_gguf(matrix, path.string());
  const MappedFile mapped(path.string());
  const GgufFile file = parse_gguf(mapped.bytes());
  EXPECT_EQ(file.metadata["general.type"], "imatrix");
  EXPECT_EQ(file.metadata["imatrix.datasets"], nlohmann::json::array({"medquad.txt"}));
  EXPECT_EQ(file.metadata["imatrix.chunk_count"], 2);
  EXPECT_EQ(file.metadata["imatrix.chunk_size"], 20);
  ASSERT_EQ(file.tensors.size(), 2 * matrix.entries.size());
  for (const GgufTensorInfo& t : file.tensors) {
    EXPECT_EQ(t.ggml_type, 0u) << t.name;
    if (t.name.ends_with(".counts")) {
      EXPECT_EQ(t.ne, (std::vector<uint64_t>{1, 1})) << t.name;
      float count;
      std::memcpy(&count, mapped.data() + file.data_offset + t.offset, sizeof count);
      EXPECT_EQ(count, 40.0f) << t.name;
    } else {
      ASSERT_TRUE(t.name.ends_with(".in_sum2")) << t.name;
      const std::string weight = t.name.substr(0, t.name.size() - std::string(".in_sum2").size());
      EXPECT_EQ(t.ne, (std::vector<uint64_t>{matrix.entries.at(weight).sums.size(), 1})) << t.name;
    }
  }
}

TEST(Importance, TooShortATextIsAnError) {
  const auto model = Model::load(test::stories260k_path().string(), {.threads = 1});
  try {
    collect_importance(*model, calibration_tokens(10), {.chunk_size = 16});
    FAIL() << "no error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("fewer than one chunk of 16"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace medllm
