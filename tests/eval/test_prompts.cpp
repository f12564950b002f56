// Hand-built cases for prompt construction, the three log-likelihood metrics (on Japanese text,
// where characters and bytes differ) and answer extraction.

#include <gtest/gtest.h>

#include "eval/prompts.hpp"

namespace medllm::eval {
namespace {

Item japanese_item() {
  Item item;
  item.id = "t1";
  item.question = "高血圧の第一選択薬はどれか。";
  item.language = "ja";
  // Choice texts of 1, 3 and 6 characters (3, 9 and 18 bytes in UTF-8) and one ASCII one.
  item.choices = {{"a", "薬"}, {"b", "降圧薬"}, {"c", "カルシウム拮"}, {"d", "ACE inhibitor"}};
  item.answers = {"b"};
  return item;
}

TEST(LoglikMetrics, CharacterAndByteNormalisationFollowLmEval) {
  const Item item = japanese_item();
  const LoglikTask task = build_loglik_task("jmmlu_medical", item, {});
  ASSERT_EQ(task.choices, (std::vector<std::string>{"薬", "降圧薬", "カルシウム拮", "ACE inhibitor"}));
  ASSERT_EQ(task.continuations[1], " 降圧薬");
  // Per character: a -3/1 = -3, b -6/3 = -2, c -9/6 = -1.5, d -26/13 = -2  -> c
  // Per byte:      a -3/3 = -1, b -6/9 = -0.667, c -9/18 = -0.5, d -26/13 = -2 -> c
  // Total:         a -3 is best -> a
  EXPECT_EQ(predict_choices(item, task, {-3.0, -6.0, -9.0, -26.0}).by_loglik, "a");
  EXPECT_EQ(predict_choices(item, task, {-3.0, -6.0, -9.0, -26.0}).by_characters, "c");
  // Characters and bytes disagree: b -2.4/3 = -0.8 per character but -0.267 per byte;
  // d -9.1/13 = -0.7 in both (ASCII).
  const ChoicePredictions p = predict_choices(item, task, {-5.0, -2.4, -30.0, -9.1});
  EXPECT_EQ(p.by_loglik, "b");
  EXPECT_EQ(p.by_characters, "d");
  EXPECT_EQ(p.by_bytes, "b");
}

TEST(LoglikMetrics, MultiAnswerQuestionsTakeTheKBestAndTiesGoFirst) {
  Item item = japanese_item();
  item.answers = {"d", "b"};
  const LoglikTask task = build_loglik_task("igakuqa", item, {});
  EXPECT_EQ(task.pick, 2u);
  EXPECT_EQ(task.gold, (std::vector<size_t>{3, 1}));
  EXPECT_EQ(predict_choices(item, task, {-1.0, -1.0, -1.0, -0.5}).by_loglik, "a,d");
  EXPECT_EQ(gold_answer(item), "b,d");
}

TEST(Prompts, LmEvalFormats) {
  Item item;
  item.id = "q";
  item.question = "What is the drug of choice?";
  item.language = "en";
  item.subject = "college_medicine";
  item.choices = {{"A", "x"}, {"B", "y"}, {"C", "z"}, {"D", "w"}};
  item.answers = {"C"};
  EXPECT_EQ(build_loglik_task("medqa", item, {}).context,
            "Question: What is the drug of choice?\nA. x\nB. y\nC. z\nD. w\nAnswer:");
  EXPECT_EQ(build_loglik_task("medmcqa", item, {}).context,
            "Question: What is the drug of choice?\nChoices:\nA. x\nB. y\nC. z\nD. w\nAnswer:");
  EXPECT_EQ(build_loglik_task("mmlu_medical", item, {}).context,
            "The following are multiple choice questions (with answers) about college medicine.\n\n"
            "What is the drug of choice?\nA. x\nB. y\nC. z\nD. w\nAnswer:");
  Item padded = item;  // lm-eval's mmlu template strips the question ({{question.strip()}})
  padded.question = " What is the drug of choice?\n ";
  EXPECT_EQ(build_loglik_task("mmlu_medical", padded, {}).context, build_loglik_task("mmlu_medical", item, {}).context);
  EXPECT_EQ(loglik_format("medqa", item).name, "lm-eval medqa_4options");
  EXPECT_EQ(loglik_format("medqa_5options", item).name, "lm-eval medqa_4options template with 5 options");
  const LoglikTask with_shot = build_loglik_task("medqa", item, std::vector<Item>{item});
  EXPECT_EQ(with_shot.context.substr(0, with_shot.context.find("\n\n") + 2),
            "Question: What is the drug of choice?\nA. x\nB. y\nC. z\nD. w\nAnswer: C\n\n");
  EXPECT_EQ(build_loglik_task("medqa", item, {}).continuations, (std::vector<std::string>{" A", " B", " C", " D"}));

  Item pubmed = item;
  pubmed.question = "Does it work?";
  pubmed.meta["context"] = "We studied it.";
  pubmed.choices = {{"yes", "yes"}, {"no", "no"}, {"maybe", "maybe"}};
  pubmed.answers = {"no"};
  const LoglikTask p = build_loglik_task("pubmedqa", pubmed, {});
  EXPECT_EQ(p.context, "Abstract: We studied it.\nQuestion: Does it work?\nAnswer:");
  EXPECT_EQ(p.continuations, (std::vector<std::string>{" yes", " no", " maybe"}));

  // MedAgentsBench's PubMedQA: the abstract is inside the question and the answers are options,
  // so they are listed (MedQA style) and the letters scored; no empty "Abstract:" line.
  Item hard = item;
  hard.question = "We studied it.\nDoes it work?";
  hard.choices = {{"A", "yes"}, {"B", "no"}, {"C", "maybe"}};
  hard.answers = {"B"};
  const LoglikTask h = build_loglik_task("pubmedqa_hard", hard, {});
  EXPECT_EQ(h.context, "Question: We studied it.\nDoes it work?\nA. yes\nB. no\nC. maybe\nAnswer:");
  EXPECT_EQ(h.continuations, (std::vector<std::string>{" A", " B", " C"}));
  EXPECT_EQ(h.gold, (std::vector<size_t>{1}));
  EXPECT_EQ(loglik_format("pubmedqa_hard", hard).scoring, "log-likelihood of ' A' / ' B' / ' C' after 'Answer:'");
}

TEST(Extraction, LettersSetsAndNumbers) {
  Item item = japanese_item();
  EXPECT_EQ(extract_answer(item, "考えると…\n答え: b").answer, "b");
  EXPECT_EQ(extract_answer(item, "答えはBです").answer, "b");  // labels are matched case-insensitively
  item.answers = {"b", "d"};
  EXPECT_EQ(extract_answer(item, "答え: d, b").answer, "b,d");
  EXPECT_EQ(extract_answer(item, "Answer: (a) and (c)").answer, "a,c");
  Item numeric;
  numeric.id = "n";
  numeric.answers = {"26"};
  EXPECT_EQ(extract_answer(numeric, "計算すると 26 mL/kg です").answer, "26");
  EXPECT_EQ(extract_answer(numeric, "答え: 3.5 (first guess 2)").answer, "3.5");
  EXPECT_EQ(extract_answer(numeric, "わかりません").answer, "");
  Item english;
  english.choices = {{"A", "x"}, {"B", "y"}};
  english.answers = {"A"};
  EXPECT_EQ(extract_answer(english, "The answer is B.").answer, "B");
  EXPECT_NE(extract_answer(english, "Answer: B").rule.find("after last 'Answer:'"), std::string::npos);
}

}  // namespace
}  // namespace medllm::eval
