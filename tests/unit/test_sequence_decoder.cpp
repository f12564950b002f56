// The decoding rules every loop shares (runtime/sequence_decoder): driven here with chosen
// logits, so each rule is checked alone, without a model in the loop.

#include <gtest/gtest.h>

#include <medllm/medllm.hpp>

#include "runtime/sequence_decoder.hpp"
#include "support/test_support.hpp"

namespace medllm {
namespace {

class SequenceRules : public test::StoriesSuite {
 protected:
  // Greedy options with a long context and no limit unless a test sets one.
  static SequenceOptions options() {
    SequenceOptions o;
    o.sampling.temperature = 0.0f;
    o.end_ids = end_of_sequence_ids(model_->config(), *tokenizer_);
    o.context_length = 1000;
    return o;
  }
  // Logits under which greedy sampling picks `id`.
  static std::vector<float> pick(int32_t id) {
    std::vector<float> logits(static_cast<size_t>(model_->config().vocab_size), 0.0f);
    logits[static_cast<size_t>(id)] = 10.0f;
    return logits;
  }
  // Feeds the tokens in order until the sequence ends; returns the text shown.
  static std::string run(SequenceDecoder& sequence, const std::vector<int32_t>& ids) {
    std::string text;
    for (int32_t id : ids) {
      if (sequence.done()) break;
      const auto step = sequence.next(pick(id));
      text += step.text;
      if (!sequence.done()) {
        EXPECT_EQ(step.token, id);
      }
    }
    return text;
  }
  static std::vector<int32_t> ids(const std::string& text) { return tokenizer_->encode(text, false); }
};

const std::vector<int32_t> kBos = {1};

TEST_F(SequenceRules, EndTokenEndsWithoutBeingShown) {
  const auto eos = *tokenizer_->eos_id();
  SequenceDecoder sequence(*tokenizer_, kBos, options());
  std::vector<int32_t> feed = ids("Once upon");
  feed.push_back(eos);
  feed.push_back(ids(" time")[0]);
  EXPECT_EQ(run(sequence, feed), "Once upon");
  EXPECT_TRUE(sequence.done());
  EXPECT_EQ(sequence.stop_reason(), StopReason::Eos);
  EXPECT_EQ(sequence.generated().size(), feed.size() - 2);
}

TEST_F(SequenceRules, IgnoreEosSamplesTheEndTokenLikeAnyOther) {
  auto o = options();
  o.ignore_eos = true;
  o.max_tokens = 3;
  SequenceDecoder sequence(*tokenizer_, kBos, o);
  const auto eos = *tokenizer_->eos_id();
  run(sequence, {eos, eos, eos, eos});
  EXPECT_EQ(sequence.stop_reason(), StopReason::Length);
  EXPECT_EQ(sequence.produced(), 3);
}

TEST_F(SequenceRules, ZeroMaxTokensEndsBeforeSampling) {
  auto o = options();
  o.max_tokens = 0;
  SequenceDecoder sequence(*tokenizer_, kBos, o);
  const auto step = sequence.next(pick(100));
  EXPECT_EQ(step.token, -1);
  EXPECT_TRUE(sequence.done());
  EXPECT_EQ(sequence.stop_reason(), StopReason::Length);
}

TEST_F(SequenceRules, StopStringSpanningTokensIsNeverShown) {
  auto o = options();
  o.stop = {"upon a"};
  SequenceDecoder sequence(*tokenizer_, kBos, o);
  const std::string shown = run(sequence, ids("Once upon a time"));
  EXPECT_EQ(shown, "Once ");
  EXPECT_EQ(sequence.stop_reason(), StopReason::StopString);
}

TEST_F(SequenceRules, ContextHoldsPromptAndOutput) {
  auto o = options();
  o.context_length = 4;  // BOS + 3 tokens
  SequenceDecoder sequence(*tokenizer_, kBos, o);
  run(sequence, ids("Once upon a time there"));
  EXPECT_EQ(sequence.stop_reason(), StopReason::Context);
  EXPECT_EQ(sequence.produced(), 3);
}

// Byte-fallback tokens of one character: the text waits for the whole character, and bytes
// still held when the limit ends the sequence are shown (as U+FFFD), not lost.
TEST_F(SequenceRules, HeldBackBytesAreShownWhenTheSequenceEnds) {
  std::vector<int32_t> stethoscope = ids("🩺");  // SentencePiece's "▁", then four byte tokens
  ASSERT_GE(stethoscope.size(), 4u);
  stethoscope.erase(stethoscope.begin(), stethoscope.end() - 4);
  ASSERT_EQ(tokenizer_->decode(stethoscope), "🩺");
  auto o = options();
  o.max_tokens = 2;
  SequenceDecoder sequence(*tokenizer_, kBos, o);
  const auto first = sequence.next(pick(stethoscope[0]));
  EXPECT_EQ(first.text, "");
  const auto last = sequence.next(pick(stethoscope[1]));
  EXPECT_EQ(sequence.stop_reason(), StopReason::Length);
  EXPECT_NE(last.text.find("\xEF\xBF\xBD"), std::string::npos) << last.text;
}

TEST_F(SequenceRules, CancelEndsOnceAndKeepsAnEarlierReason) {
  SequenceDecoder running(*tokenizer_, kBos, options());
  running.next(pick(ids("Once")[0]));
  running.cancel();
  EXPECT_TRUE(running.done());
  EXPECT_EQ(running.stop_reason(), StopReason::Cancelled);
  EXPECT_EQ(running.next(pick(100)).token, -1);

  auto o = options();
  o.max_tokens = 1;
  SequenceDecoder ended(*tokenizer_, kBos, o);
  ended.next(pick(100));
  ended.cancel();
  EXPECT_EQ(ended.stop_reason(), StopReason::Length);
}

}  // namespace
}  // namespace medllm
