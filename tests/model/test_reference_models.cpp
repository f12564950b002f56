// Model parity against PyTorch. tests/reference/make_tiny_models.py writes tiny random-weight
// models in real Hugging Face (and GGUF) layouts for every supported family and feature, plus
// the logits its independent PyTorch forward computes. Each case here loads the files with
// medllm and compares:
//   - the full forward (every position) within kTolerance of the f32 reference; for block-quantized
//     weights, whose matmul inputs are rounded to int8 as llama.cpp does, within the distance the
//     reference measures between two valid int8 computations of its own (inputs at a half step
//     round either way), and moved from the exact logits by about what the rounding moves them;
//   - KV-cache decoding in uneven chunks within the same tolerance, for every position;
//   - identical logits with 1 and 2 threads;
//   - for bf16/f16 weights also against transformers-style half-precision inference, within the
//     stated kHalfPrecisionTolerance (medllm computes in f32 from the exact stored weights).

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <medllm/model.hpp>
#include <medllm/scoring.hpp>
#include <medllm/session.hpp>
#include <nlohmann/json.hpp>

#include "support/test_support.hpp"

namespace medllm {
namespace {

namespace fs = std::filesystem;

constexpr double kTolerance = 1e-4;              // max abs error vs the f32 reference
constexpr double kHalfPrecisionTolerance = 0.5;  // max abs error vs bf16/f16 inference
constexpr double kHalfPrecisionTop1Agreement = 0.9;

struct Reference {
  fs::path model_path;
  std::vector<int32_t> tokens;
  int64_t vocab = 0;
  std::vector<float> logits;        // [tokens × vocab], what medllm computes
  std::vector<float> exact_logits;  // block-quantized weights: without the inputs' int8 rounding
  double rounding_distance = 0.0;   // how far the int8 rounding moves the exact logits
  double flip_distance = 0.0;       // how far apart two valid int8 computations can be
  // The largest difference from `logits` a correct engine may show.
  double tolerance() const { return kTolerance + 2 * flip_distance; }
  std::vector<float> native_logits;  // half-precision inference, when present
  nlohmann::json meta;
};

std::vector<float> read_f32(const fs::path& path, size_t count) {
  std::vector<float> values(count);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(count * sizeof(float)));
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  return values;
}

Reference load_reference(const std::string& name) {
  const fs::path dir = fs::path(MEDLLM_REFERENCE_DIR) / name;
  Reference ref;
  std::ifstream in(dir / "reference.json");
  if (!in)
    throw std::runtime_error("missing " + (dir / "reference.json").string() + ": run the reference.generate test");
  ref.meta = nlohmann::json::parse(in);
  ref.tokens = ref.meta["tokens"].get<std::vector<int32_t>>();
  ref.vocab = ref.meta["shape"][1].get<int64_t>();
  ref.model_path = ref.meta["format"] == "gguf" ? dir / "model.gguf" : dir;
  const size_t count = ref.tokens.size() * static_cast<size_t>(ref.vocab);
  ref.logits = read_f32(dir / ref.meta["logits_file"].get<std::string>(), count);
  if (ref.meta.contains("int8_inputs_logits_file")) {
    ref.exact_logits = std::move(ref.logits);
    ref.logits = read_f32(dir / ref.meta["int8_inputs_logits_file"].get<std::string>(), count);
    ref.rounding_distance = ref.meta["int8_inputs_vs_exact_max_abs_diff"].get<double>();
    ref.flip_distance = ref.meta["int8_inputs_flip_max_abs_diff"].get<double>();
  }
  if (ref.meta.contains("native_logits_file")) {
    ref.native_logits = read_f32(dir / ref.meta["native_logits_file"].get<std::string>(), count);
  }
  return ref;
}

double max_abs_diff(std::span<const float> a, std::span<const float> b) {
  double worst = 0.0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(static_cast<double>(a[i]) - b[i]));
  return worst;
}

class ReferenceModel : public ::testing::TestWithParam<std::string> {};

TEST_P(ReferenceModel, FullForwardMatchesPyTorch) {
  const Reference ref = load_reference(GetParam());
  const auto model = Model::load(ref.model_path.string());
  ASSERT_EQ(model->config().vocab_size, ref.vocab);
  Session session(*model);
  const auto logits = session.forward(ref.tokens, LogitsFor::All);
  ASSERT_EQ(logits.size(), ref.logits.size());
  const double error = max_abs_diff(logits, ref.logits);
  RecordProperty("max_abs_error", std::to_string(error));
  EXPECT_LE(error, ref.tolerance()) << GetParam();
  if (!ref.exact_logits.empty()) {
    // The int8 rounding is the difference from the exact product: about as large as the
    // reference's own, and far from zero, so an engine that skipped the rounding would fail.
    const double from_exact = max_abs_diff(logits, ref.exact_logits);
    RecordProperty("max_abs_distance_from_exact", std::to_string(from_exact));
    EXPECT_LE(from_exact, ref.rounding_distance + ref.tolerance()) << GetParam();
    EXPECT_GE(from_exact, ref.rounding_distance / 4) << GetParam();
    EXPECT_GT(ref.rounding_distance, 100 * kTolerance) << GetParam();
  }
}

TEST_P(ReferenceModel, KvCacheDecodingMatchesEveryPosition) {
  const Reference ref = load_reference(GetParam());
  const auto model = Model::load(ref.model_path.string());
  Session session(*model);
  const std::span<const int32_t> tokens(ref.tokens);
  // Uneven chunks: a prompt, single tokens, a short burst, then single tokens to the end.
  std::vector<size_t> chunks = {7, 1, 1, 5, 1, 3};
  size_t done = 0;
  double worst = 0.0;
  for (size_t c = 0; done < tokens.size(); ++c) {
    const size_t n = std::min(c < chunks.size() ? chunks[c] : 1, tokens.size() - done);
    const auto logits = session.forward(tokens.subspan(done, n), LogitsFor::All);
    worst = std::max(worst, max_abs_diff(logits, std::span(ref.logits).subspan(done * ref.vocab, n * ref.vocab)));
    done += n;
  }
  EXPECT_EQ(session.position(), static_cast<int64_t>(tokens.size()));
  EXPECT_LE(worst, ref.tolerance()) << GetParam();
}

TEST_P(ReferenceModel, ThreadCountDoesNotChangeTheLogits) {
  const Reference ref = load_reference(GetParam());
  std::vector<std::vector<float>> results;
  for (int threads : {1, 2}) {
    const auto model = Model::load(ref.model_path.string(), LoadOptions{.threads = threads});
    Session session(*model);
    const auto prompt = session.forward(std::span(ref.tokens).first(30), LogitsFor::All);
    std::vector<float> all(prompt.begin(), prompt.end());
    for (size_t i = 30; i < ref.tokens.size(); ++i) {
      const auto step = session.forward(std::span(ref.tokens).subspan(i, 1));
      all.insert(all.end(), step.begin(), step.end());
    }
    results.push_back(std::move(all));
  }
  EXPECT_EQ(results[0], results[1]) << GetParam();
}

// Log-softmax of a logits row, computed independently of the scorer (double sums).
float reference_logprob(std::span<const float> row, int32_t target) {
  const float max = *std::max_element(row.begin(), row.end());
  double sum = 0.0;
  for (float v : row) sum += std::exp(static_cast<double>(v) - max);
  return static_cast<float>(static_cast<double>(row[target]) - max - std::log(sum));
}

// Multiple-choice scoring: continuation log-probs equal the log-softmax of a plain forward over
// prompt + continuation, bit for bit, whether the prompt is shared and however requests are
// batched (sliding windows, soft-caps and every other feature included).
TEST_P(ReferenceModel, ScorerEqualsPlainForwardAndIsBatchInvariant) {
  const Reference ref = load_reference(GetParam());
  const auto model = Model::load(ref.model_path.string());
  const std::vector<int32_t> prompt(ref.tokens.begin(), ref.tokens.begin() + 25);
  std::vector<std::vector<int32_t>> continuations = {
      std::vector<int32_t>(ref.tokens.begin() + 25, ref.tokens.end()),
      std::vector<int32_t>(ref.tokens.begin() + 25, ref.tokens.begin() + 29),
      {3, 1, 4, 1, 5, 9, 2, 6},
      {},
  };
  const ScoreRequest request{prompt, continuations};
  const ScoreRequest other{std::vector<int32_t>(ref.tokens.begin() + 5, ref.tokens.begin() + 17), {{7, 7}, {8}}};

  Scorer scorer(*model);
  const auto alone = scorer.score(std::span(&request, 1));
  const std::vector<ScoreRequest> batch = {other, request, other};
  const auto batched = scorer.score(batch);
  const auto unshared = scorer.score(batch, false);
  for (size_t c = 0; c < continuations.size(); ++c) {
    EXPECT_EQ(alone[0][c].token_logprobs, batched[1][c].token_logprobs) << "continuation " << c;
    EXPECT_EQ(alone[0][c].token_logprobs, unshared[1][c].token_logprobs) << "continuation " << c;
    EXPECT_EQ(alone[0][c].greedy, batched[1][c].greedy);
  }
  EXPECT_EQ(batched[0][0].token_logprobs, batched[2][0].token_logprobs);

  const int64_t vocab = ref.vocab;
  for (size_t c = 0; c < continuations.size(); ++c) {
    std::vector<int32_t> sequence = prompt;
    sequence.insert(sequence.end(), continuations[c].begin(), continuations[c].end());
    Session session(*model);
    const auto logits = session.forward(sequence, LogitsFor::All);
    ASSERT_EQ(alone[0][c].token_logprobs.size(), continuations[c].size());
    for (size_t i = 0; i < continuations[c].size(); ++i) {
      const auto row = logits.subspan((prompt.size() - 1 + i) * vocab, vocab);
      EXPECT_EQ(alone[0][c].token_logprobs[i], reference_logprob(row, continuations[c][i]))
          << "continuation " << c << " token " << i;
    }
  }
  EXPECT_TRUE(alone[0][3].token_logprobs.empty());
  EXPECT_EQ(alone[0][3].logprob(), 0.0);
}

class HalfPrecisionModel : public ::testing::TestWithParam<std::string> {};

TEST_P(HalfPrecisionModel, AgreesWithHalfPrecisionInference) {
  const Reference ref = load_reference(GetParam());
  ASSERT_FALSE(ref.native_logits.empty()) << "the case has no half-precision reference";
  const auto model = Model::load(ref.model_path.string());
  Session session(*model);
  const auto logits = session.forward(ref.tokens, LogitsFor::All);
  EXPECT_LE(max_abs_diff(logits, ref.native_logits), kHalfPrecisionTolerance);
  size_t agree = 0;
  for (size_t t = 0; t < ref.tokens.size(); ++t) {
    const auto row = logits.subspan(t * ref.vocab, ref.vocab);
    const auto native = std::span(ref.native_logits).subspan(t * ref.vocab, ref.vocab);
    agree += std::max_element(row.begin(), row.end()) - row.begin() ==
             std::max_element(native.begin(), native.end()) - native.begin();
  }
  EXPECT_GE(static_cast<double>(agree) / ref.tokens.size(), kHalfPrecisionTop1Agreement);
}

// Every case the reference script writes; a missing case fails rather than being skipped.
INSTANTIATE_TEST_SUITE_P(Families, ReferenceModel,
                         ::testing::Values("llama_basic", "llama_bias_tied", "llama_rope_linear", "llama_rope_llama3",
                                           "llama_rope_yarn", "llama_head_dim", "llama_sharded", "llama_bf16",
                                           "mistral_swa", "qwen2", "qwen2_f16", "qwen3", "gemma2", "gemma3_text",
                                           "gemma3_text_layer_types", "gemma3", "gemma3_bf16", "llama_gguf_q8_0",
                                           "llama_gguf_f16", "qwen2_gguf_f16", "llama_gguf_quant_mix"),
                         [](const auto& test_info) { return test_info.param; });

INSTANTIATE_TEST_SUITE_P(HalfPrecision, HalfPrecisionModel, ::testing::Values("llama_bf16", "qwen2_f16", "gemma3_bf16"),
                         [](const auto& test_info) { return test_info.param; });

}  // namespace
}  // namespace medllm
