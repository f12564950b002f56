// medllm's logits against llama.cpp's own (libllama from the npm package, reference/llama_cpp.hpp)
// on the same GGUF files: random models of each GGUF architecture (llama, qwen2 with its q/k/v
// biases, qwen3 with its q/k norms) written in f32, and llama.cpp's quantizations of them.
//   - f32 weights, f32 KV cache, no flash attention (llama.cpp's CPU flash attention rounds): the
//     two agree to float rounding.
//   - quantized: llama.cpp rounds the inputs of its quantized matmuls (to q8_0 blocks, or q8_K for
//     the k-quants), so it differs from the exact dequantize-then-f32 product (medllm's
//     --dequantized-matmul). medllm rounds its inputs too, independently: its distance from the
//     exact product must be no larger than llama.cpp's (RMS over all logits), and the two engines
//     no further apart than their two roundings.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <medllm/model.hpp>
#include <medllm/session.hpp>
#include <random>
#include <string>
#include <vector>

#include "llama_cpp.hpp"
#include "random_gguf.hpp"
#include "support/test_support.hpp"

namespace medllm {
namespace {

namespace fs = std::filesystem;

// Rows of 256 and 512: whole super-blocks, so llama.cpp quantizes every matrix to the asked type.
bench::LlamaShape shape_of(const std::string& architecture) {
  return {.hidden = 256,
          .layers = 2,
          .heads = 4,
          .kv_heads = 2,
          .ffn = 512,
          .vocab = 512,
          .max_positions = 256,
          .architecture = architecture.c_str()};
}

const fs::path& f32_model(const std::string& architecture) {
  static std::map<std::string, fs::path> paths;
  if (!paths.contains(architecture)) {
    const fs::path file = test::fresh_temp_dir("llama_cpp_logits_" + architecture) / "f32.gguf";
    bench::ensure_random_llama_gguf(file, shape_of(architecture), DType::F32);
    paths[architecture] = file;
  }
  return paths.at(architecture);
}
constexpr int64_t kVocab = 512;

std::vector<int32_t> prompt() {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int32_t> pick(259, static_cast<int32_t>(kVocab - 1));  // plain pieces
  std::vector<int32_t> tokens(24);
  for (auto& t : tokens) t = pick(rng);
  tokens.front() = 1;  // BOS
  return tokens;
}

std::vector<float> llama_cpp_logits(const fs::path& file) {
  reference::LlamaModel model(reference::LlamaCpp::open(), file.string(),
                              {.threads = 2, .context = 256, .batch = 64, .f32_cache = true, .flash_attention = false});
  return model.decode(prompt(), /*all=*/true);
}

std::vector<float> medllm_logits(const fs::path& file, bool dequantized) {
  const auto model = Model::load(file.string(), {.threads = 2, .dequantized_matmul = dequantized});
  Session session(*model);
  const std::span<const float> logits = session.forward(prompt(), LogitsFor::All);
  return {logits.begin(), logits.end()};
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0.0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) worst = std::max(worst, std::fabs(double(a[i]) - b[i]));
  return worst;
}

double rms_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double sum = 0.0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) sum += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  return std::sqrt(sum / static_cast<double>(std::max<size_t>(1, a.size())));
}

double max_abs(const std::vector<float>& a) {
  double worst = 0.0;
  for (const float v : a) worst = std::max(worst, std::fabs(double(v)));
  return worst;
}

class LlamaCppLogits : public ::testing::TestWithParam<std::string> {};

TEST_P(LlamaCppLogits, F32WeightsAgreeToRounding) {
  const std::vector<float> ours = medllm_logits(f32_model(GetParam()), false);
  const std::vector<float> theirs = llama_cpp_logits(f32_model(GetParam()));
  ASSERT_EQ(ours.size(), prompt().size() * kVocab);
  const double distance = max_abs_diff(ours, theirs);
  RecordProperty("max_abs_diff", std::to_string(distance));
  EXPECT_GT(max_abs(theirs), 0.1) << "the logits must not be near zero, or agreement means nothing";
  EXPECT_LE(distance, 1e-4 * max_abs(theirs));
}

INSTANTIATE_TEST_SUITE_P(Architectures, LlamaCppLogits, ::testing::Values("llama", "qwen2", "qwen3"),
                         [](const auto& test_info) { return test_info.param; });

struct QuantizedCase {
  const char* architecture;
  const char* name;
  int ftype;  // llama_ftype (llama.h)
};

class LlamaCppQuantized : public ::testing::TestWithParam<QuantizedCase> {};

TEST_P(LlamaCppQuantized, MedllmStaysWithinLlamaCppsDistanceFromExact) {
  const fs::path& source = f32_model(GetParam().architecture);
  const fs::path file = source.parent_path() / (std::string(GetParam().name) + ".gguf");
  reference::LlamaCpp::open().quantize(source.string(), file.string(), GetParam().ftype, 2);
  const std::vector<float> theirs = llama_cpp_logits(file);
  const std::vector<float> ours = medllm_logits(file, false);
  const std::vector<float> exact = medllm_logits(file, true);
  const double theirs_rms = rms_diff(theirs, exact), ours_rms = rms_diff(ours, exact);
  const double theirs_max = max_abs_diff(theirs, exact), between = max_abs_diff(ours, theirs);
  RecordProperty("llama_cpp_from_exact_rms", std::to_string(theirs_rms));
  RecordProperty("medllm_from_exact_rms", std::to_string(ours_rms));
  RecordProperty("llama_cpp_from_exact_max", std::to_string(theirs_max));
  RecordProperty("medllm_from_exact_max", std::to_string(max_abs_diff(ours, exact)));
  RecordProperty("medllm_from_llama_cpp_max", std::to_string(between));
  // The exact product is llama.cpp's too, up to its input rounding: both read the weights alike.
  EXPECT_GT(theirs_rms, 0.0) << GetParam().name;
  EXPECT_LE(theirs_max, 0.05 * max_abs(exact)) << GetParam().name;
  // Two independent roundings of about the same size: ours no larger (within the 20% the
  // statistic moves between equally good roundings), the engines apart by at most the two.
  EXPECT_LE(ours_rms, 1.2 * theirs_rms) << GetParam().name;
  EXPECT_LE(between, 2.0 * theirs_max) << GetParam().name;
}

INSTANTIATE_TEST_SUITE_P(Types, LlamaCppQuantized,
                         ::testing::Values(QuantizedCase{"llama", "q8_0", 7}, QuantizedCase{"llama", "q4_0", 2},
                                           QuantizedCase{"llama", "q4_1", 3}, QuantizedCase{"llama", "q5_0", 8},
                                           QuantizedCase{"llama", "q5_1", 9}, QuantizedCase{"llama", "q2_k", 10},
                                           QuantizedCase{"llama", "q3_k_m", 12}, QuantizedCase{"llama", "q4_k_m", 15},
                                           QuantizedCase{"llama", "q5_k_m", 17}, QuantizedCase{"llama", "q6_k", 18},
                                           QuantizedCase{"llama", "iq4_nl", 25}, QuantizedCase{"llama", "iq4_xs", 30},
                                           QuantizedCase{"qwen2", "q8_0", 7}, QuantizedCase{"qwen2", "q4_0", 2},
                                           QuantizedCase{"qwen2", "q4_k_m", 15}, QuantizedCase{"qwen2", "q6_k", 18},
                                           QuantizedCase{"qwen3", "q8_0", 7}, QuantizedCase{"qwen3", "q4_0", 2},
                                           QuantizedCase{"qwen3", "q4_k_m", 15}, QuantizedCase{"qwen3", "q6_k", 18}),
                         [](const auto& test_info) {
                           return std::string(test_info.param.architecture) + "_" + test_info.param.name;
                         });

}  // namespace
}  // namespace medllm
