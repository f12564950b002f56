// Generation on the real pretrained stories260K model, sampling, stop conditions and streaming.

#include <gtest/gtest.h>

#include <map>
#include <medllm/medllm.hpp>
#include <random>

#include "core/utf8.hpp"
#include "support/test_support.hpp"

namespace medllm {
namespace {

class Stories : public test::StoriesSuite {
 protected:
  static GenerateOptions greedy(int32_t n) {
    GenerateOptions options;
    options.max_tokens = n;
    options.sampling.temperature = 0.0f;
    return options;
  }
};

// llama2.c's `run stories260K.bin -z tok512.bin -t 0 -n 200` output, byte for byte.
TEST_F(Stories, GreedyTwoHundredTokensMatchLlama2c) {
  const std::string expected = test::read_file(test::shared_data("models/stories260K/expected_greedy_t0_n200.txt"));
  std::string streamed;
  const GenerateResult result = generate(*model_, *tokenizer_, "", greedy(200), [&](std::string_view text) {
    streamed += text;
    return true;
  });
  EXPECT_EQ(result.tokens.size(), 200u);
  EXPECT_EQ(result.text + "\n", expected);
  EXPECT_EQ(streamed, result.text);
  EXPECT_EQ(result.stop_reason, StopReason::Length);
}

TEST_F(Stories, PromptTokenizationRoundTrips) {
  const std::string text = "Once upon a time, there was a little girl named Lily.";
  const auto ids = tokenizer_->encode(text);
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids.front(), 1);  // BOS
  EXPECT_EQ(tokenizer_->decode(ids), text);
  EXPECT_LT(ids.size(), text.size() / 2);  // merges happened
}

TEST_F(Stories, ByteFallbackStreamsWholeCharactersOnly) {
  const std::string text = "医師国家試験 café 🩺";
  const auto ids = tokenizer_->encode(text, false);
  StreamDecoder decoder(*tokenizer_);
  std::string joined;
  for (int32_t id : ids) {
    const std::string piece = decoder.push(id);
    EXPECT_EQ(utf8::find_invalid(piece), std::string::npos) << "piece split a character";
    joined += piece;
  }
  joined += decoder.flush();
  EXPECT_EQ(joined, text);
  EXPECT_EQ(tokenizer_->decode(ids), text);
}

// A continuation's text is what it adds to the decoded prompt: after "Once upon a" the next word
// keeps its space ("Once upon a time", not "Once upon atime"), after a bare BOS the first word
// starts the text. Random prompts (multi-byte characters, byte fallback) and sampled outputs.
TEST_F(Stories, ContinuationTextIsDecodeOfAllMinusDecodeOfPrompt) {
  std::mt19937 rng(11);
  const std::vector<std::string> words = {"Once", "upon", "a",  "time", "Lily", "the", "cat", "sat", ",",
                                          ".",    "\n",   "医", "🩺", "café", "  ",  "x",   "Tim", "\"Hi"};
  for (int trial = 0; trial < 60; ++trial) {
    std::string prompt;
    for (int i = 0, n = static_cast<int>(rng() % 6); i < n; ++i) {
      if (i > 0 && rng() % 3 != 0) prompt += ' ';
      prompt += words[rng() % words.size()];
    }
    GenerateOptions options = greedy(1 + static_cast<int32_t>(rng() % 16));
    if (trial % 2 == 1) {
      options.sampling.temperature = 1.5f;
      options.sampling.top_k = 0;
      options.sampling.min_p = 0.0f;
      options.sampling.seed = static_cast<uint64_t>(trial);
    }
    std::string streamed;
    const GenerateResult result = generate(*model_, *tokenizer_, prompt, options, [&](std::string_view text) {
      EXPECT_EQ(utf8::find_invalid(text), std::string::npos);
      streamed += text;
      return true;
    });
    std::vector<int32_t> all = result.prompt_tokens;
    all.insert(all.end(), result.tokens.begin(), result.tokens.end());
    const std::string whole = tokenizer_->decode(all), head = tokenizer_->decode(result.prompt_tokens);
    ASSERT_TRUE(whole.starts_with(head)) << prompt;
    EXPECT_EQ(result.text, whole.substr(head.size())) << "prompt " << prompt;
    EXPECT_EQ(streamed, result.text) << "prompt " << prompt;
  }
  std::vector<std::vector<int32_t>> sequences;
  for (const std::string text :
       {"Once upon a time, Lily saw a cat.", " two  spaces", "医師 café 🩺 done", "\n\nTim"}) {
    sequences.push_back(tokenizer_->encode(text, false));
  }
  for (uint64_t round = 0; round < 25; ++round) {
    EXPECT_GE(test::check_continuation_streaming(*tokenizer_, sequences, round), 3u);
  }
  const GenerateResult once = generate(*model_, *tokenizer_, "Once upon a", greedy(8));
  ASSERT_FALSE(once.tokens.empty());
  const bool spaced = tokenizer_->token_text(once.tokens[0]).starts_with("\xE2\x96\x81");
  ASSERT_TRUE(spaced) << "expected a word token after 'Once upon a'";
  EXPECT_TRUE(once.text.starts_with(" ")) << once.text;
}

TEST_F(Stories, InvalidUtf8IsAnError) {
  try {
    tokenizer_->encode("abc\xC3(");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("invalid UTF-8 at byte 3"), std::string::npos) << e.what();
  }
}

TEST_F(Stories, StopStringsEndGenerationAndAreNotEmitted) {
  GenerateOptions options = greedy(200);
  options.stop = {"Lily."};
  std::string streamed;
  const auto result = generate(*model_, *tokenizer_, "", options, [&](std::string_view t) {
    streamed += t;
    return true;
  });
  EXPECT_EQ(result.stop_reason, StopReason::StopString);
  EXPECT_EQ(result.text, "Once upon a time, there was a little girl named ");
  EXPECT_EQ(streamed, result.text);
}

TEST_F(Stories, CallbackCanCancel) {
  int calls = 0;
  const auto result = generate(*model_, *tokenizer_, "Once", greedy(50), [&](std::string_view) { return ++calls < 3; });
  EXPECT_EQ(result.stop_reason, StopReason::Cancelled);
  EXPECT_EQ(calls, 3);
}

TEST_F(Stories, ContextLimits) {
  GenerateOptions options = greedy(100);
  options.context_length = 20;
  const auto result = generate(*model_, *tokenizer_, "Once upon a time", options);
  EXPECT_EQ(result.stop_reason, StopReason::Context);
  EXPECT_EQ(result.prompt_tokens.size() + result.tokens.size(), 20u);
  options.context_length = 3;
  EXPECT_THROW(generate(*model_, *tokenizer_, "Once upon a time", options), Error);
}

TEST_F(Stories, SamplingIsReproducibleForASeed) {
  GenerateOptions options;
  options.max_tokens = 40;
  options.sampling.temperature = 1.0f;
  options.sampling.seed = 42;
  const auto a = generate(*model_, *tokenizer_, "Once", options);
  const auto b = generate(*model_, *tokenizer_, "Once", options);
  EXPECT_EQ(a.tokens, b.tokens);
  options.sampling.seed = 43;
  const auto c = generate(*model_, *tokenizer_, "Once", options);
  EXPECT_NE(a.tokens, c.tokens);
}

TEST_F(Stories, KvCacheDecodingEqualsFullForward) {
  const auto ids = tokenizer_->encode("Once upon a time, there was a little girl named Lily. She loved to play.");
  Session full(*model_);
  const auto all = full.forward(ids, LogitsFor::All);
  const std::vector<float> expected(all.begin(), all.end());
  Session incremental(*model_);
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto logits = incremental.forward(std::span(ids).subspan(i, 1));
    for (size_t v = 0; v < 512; ++v) ASSERT_NEAR(logits[v], expected[i * 512 + v], 1e-4) << i << " " << v;
  }
}

TEST(Sampler, GreedyPicksTheFirstMaximum) {
  Sampler sampler(SamplingParams{.temperature = 0.0f});
  const std::vector<float> logits = {0.1f, 2.0f, -1.0f, 2.0f};
  EXPECT_EQ(sampler.sample(logits, {}), 1);
}

TEST(Sampler, RepetitionPenaltyFollowsLlamaCpp) {
  Sampler sampler(SamplingParams{.temperature = 0.0f, .repeat_penalty = 2.0f, .repeat_last_n = 2});
  const std::vector<float> logits = {1.9f, 3.0f, -1.0f, 1.8f};
  const std::vector<int32_t> history = {1, 0};  // 3.0 -> 1.5, 1.9 -> 0.95
  EXPECT_EQ(sampler.sample(logits, history), 3);
  const std::vector<int32_t> old_history = {1, 0, 2, 2};  // only the last 2 count: token 1 unpenalised
  EXPECT_EQ(sampler.sample(logits, old_history), 1);
}

// With top-k/top-p/min-p off, draws follow softmax(logits / T): a chi-square test on 20k draws.
TEST(Sampler, DrawsFollowTheTemperedDistribution) {
  const std::vector<float> logits = {1.0f, 0.0f, -0.5f, 2.0f, 0.3f};
  const float temperature = 0.7f;
  Sampler sampler(SamplingParams{.temperature = temperature, .top_k = 0, .top_p = 1.0f, .min_p = 0.0f, .seed = 9});
  std::vector<double> expected(5);
  double total = 0;
  for (size_t i = 0; i < 5; ++i) total += expected[i] = std::exp(logits[i] / temperature);
  constexpr int kDraws = 20000;
  std::map<int32_t, int> counts;
  for (int i = 0; i < kDraws; ++i) counts[sampler.sample(logits, {})]++;
  double chi2 = 0;
  for (size_t i = 0; i < 5; ++i) {
    const double e = expected[i] / total * kDraws;
    chi2 += (counts[static_cast<int32_t>(i)] - e) * (counts[static_cast<int32_t>(i)] - e) / e;
  }
  EXPECT_LT(chi2, 18.47);  // 99.9th percentile of chi-square with 4 degrees of freedom
}

TEST(Sampler, TruncationsKeepOnlyTheHead) {
  const std::vector<float> logits = {5.0f, 4.9f, 0.0f, -3.0f, 4.8f};
  for (int seed = 0; seed < 200; ++seed) {
    Sampler top_k(SamplingParams{
        .temperature = 1.0f, .top_k = 2, .top_p = 1.0f, .min_p = 0.0f, .seed = static_cast<uint64_t>(seed)});
    const int32_t a = top_k.sample(logits, {});
    EXPECT_TRUE(a == 0 || a == 1);
    Sampler min_p(SamplingParams{
        .temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .min_p = 0.5f, .seed = static_cast<uint64_t>(seed)});
    const int32_t b = min_p.sample(logits, {});
    EXPECT_TRUE(b == 0 || b == 1 || b == 4);
    Sampler top_p(SamplingParams{
        .temperature = 1.0f, .top_k = 0, .top_p = 0.3f, .min_p = 0.0f, .seed = static_cast<uint64_t>(seed)});
    EXPECT_EQ(top_p.sample(logits, {}), 0);
  }
}

TEST(Sampler, LogitBiasShiftsLogitsBeforeChoosing) {
  const std::vector<float> logits = {1.0f, 3.0f, 2.0f};
  SamplingParams p;
  p.temperature = 0.0f;
  p.top_k = 0;
  p.min_p = 0.0f;
  p.logit_bias = {{1, -100.0f}};
  EXPECT_EQ(Sampler(p).sample(logits, {}), 2);
  p.logit_bias = {{0, 2.5f}};
  EXPECT_EQ(Sampler(p).sample(logits, {}), 0);
  p.logit_bias = {{0, 1.5f}};  // 2.5 < 3: still token 1
  EXPECT_EQ(Sampler(p).sample(logits, {}), 1);
  p.logit_bias = {{3, 1.0f}};
  EXPECT_THROW(Sampler(p).sample(logits, {}), Error);
  p.temperature = 1.0f;
  p.logit_bias = {{1, -100.0f}, {2, -100.0f}};
  for (uint64_t seed = 0; seed < 50; ++seed) {
    p.seed = seed;
    EXPECT_EQ(Sampler(p).sample(logits, {}), 0);
  }
}

TEST(Utf8, DecodeWalksCodePointsAndReplacesInvalidBytes) {
  const std::string text = "a\u00e9\u65e5\U0001F9FA\xff\xe6\x97";  // 1-4 byte sequences, a bad byte, a cut one
  std::vector<char32_t> got;
  for (size_t i = 0; i < text.size();) got.push_back(utf8::decode(text, i));
  EXPECT_EQ(got, (std::vector<char32_t>{U'a', 0xE9, 0x65E5, 0x1F9FA, 0xFFFD, 0xFFFD, 0xFFFD}));
  EXPECT_EQ(utf8::trim_ascii(" \t\r\n\f\vx y\v "), "x y");
  EXPECT_EQ(utf8::trim_ascii("\u3000x"), "\u3000x");  // ideographic space is not ASCII whitespace
  EXPECT_EQ(utf8::trim_ascii("   "), "");
  // Python's str.strip(): Unicode whitespace too, and what it is not (U+200B, U+FEFF).
  EXPECT_EQ(utf8::trim_python_whitespace("\u3000\u00a0 x\u3000y\x1f\u2029\n"), "x\u3000y");
  EXPECT_EQ(utf8::trim_python_whitespace("\u200bx\ufeff"), "\u200bx\ufeff");
  EXPECT_EQ(utf8::trim_python_whitespace(" \u3000 "), "");
  EXPECT_EQ(utf8::trim_python_whitespace(""), "");
}

TEST(Utf8, TakeCompleteHoldsIncompleteCharacters) {
  std::string pending = "a\xE3\x81";
  EXPECT_EQ(utf8::take_complete(pending), "a");
  EXPECT_EQ(pending, "\xE3\x81");
  pending += "\x82";
  EXPECT_EQ(utf8::take_complete(pending), "\xE3\x81\x82");
  EXPECT_TRUE(pending.empty());
  pending =
      "\xFF"
      "b";
  EXPECT_EQ(utf8::take_complete(pending),
            "\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(utf8::find_invalid("\xED\xA0\x80"), 0u);        // surrogate
  EXPECT_EQ(utf8::find_invalid("\xC0\x80"), 0u);            // overlong
  EXPECT_EQ(utf8::find_invalid("ok\xF4\x90\x80\x80"), 2u);  // above U+10FFFF
  EXPECT_EQ(utf8::find_invalid("日本語"), std::string::npos);
}

}  // namespace
}  // namespace medllm
