// lm-evaluation-harness's mmlu_pro_health (v3.1, lm_eval/tasks/mmlu_pro at 4e7e0d47): the 0-shot
// context of a real item compared byte for byte with what the task's description and
// utils.doc_to_text gave for the same record of ../shared/data (run once; written down here),
// and its custom-extract filter and exact_match on tricky replies (checked against Python's re).

#include <gtest/gtest.h>

#include "eval/benchmarks.hpp"
#include "eval/lm_eval_mmlu_pro.hpp"
#include "support/test_support.hpp"

namespace medllm::eval {
namespace {

TEST(LmEvalMmluPro, ContextIsTheTasksByteForByte) {
  const Benchmark bench = load_benchmark("mmlu_pro_health", test::shared_data("").string());
  const Item& item = bench.items.at(0);
  ASSERT_EQ(item.id, "6001");
  EXPECT_EQ(lm_eval_mmlu_pro::context(item),
            "The following are multiple choice questions (with answers) about health. Think step by step and then "
            "finish your answer with \"the answer is (X)\" where X is the correct letter choice.\nQuestion:\nPolio can "
            "be eradicated by which of the following?\nOptions:\nA. Herbal remedies\nB. Use of antibiotics\nC. "
            "Regular intake of vitamins\nD. Administration of tetanus vaccine\nE. Attention to sewage control and "
            "hygiene\nF. Natural immunity acquired through exposure\nG. Use of antiviral drugs\nAnswer: Let's think "
            "step by step.");
}

TEST(LmEvalMmluPro, OptionsAreStrippedAsUtilsStripsThem) {
  Item item;
  item.question = "  Q? ";
  item.choices = {{"A", "  one\t"}, {"B", "two\n"}};
  EXPECT_NE(lm_eval_mmlu_pro::context(item).find("Question:\n  Q? \nOptions:\nA. one\nB. two\nAnswer:"),
            std::string::npos);
}

TEST(LmEvalMmluPro, TheFirstAnswerIsXIsTheAnswer) {
  EXPECT_EQ(lm_eval_mmlu_pro::extract("so the answer is (E)."), "E");
  EXPECT_EQ(lm_eval_mmlu_pro::extract("The answer is E"), "E");
  EXPECT_EQ(lm_eval_mmlu_pro::extract("answer is B, not answer is C"), "B");
  EXPECT_EQ(lm_eval_mmlu_pro::extract("the answer is (e)"), "[invalid]");
  EXPECT_EQ(lm_eval_mmlu_pro::extract("answer is (K)"), "[invalid]");
  EXPECT_EQ(lm_eval_mmlu_pro::extract("no answer"), "[invalid]");
  Item item;
  item.answers = {"E"};
  EXPECT_EQ(lm_eval_mmlu_pro::score_reply(item, "Thus the answer is (E)")["correct"], true);
  EXPECT_EQ(lm_eval_mmlu_pro::score_reply(item, "the answer is (D)")["correct"], false);
  EXPECT_EQ(lm_eval_mmlu_pro::score_reply(item, "E")["correct"], false);  // no "answer is": [invalid]
}

}  // namespace
}  // namespace medllm::eval
