// The IgakuQA paper's generation protocol (jungokasai/IgakuQA @ 2bc4c3d1,
// scripts/generation/chatgpt.py create_input / dict2problem): the messages of real questions
// compared byte for byte with what the paper's create_input returned for the same records of
// ../shared/data (run once; written down here), and replies scored by its evaluate_main.py rule.
// IgakuQA has no license: the data is read from ../shared/data, never copied.

#include <gtest/gtest.h>

#include "eval/igakuqa_loader.hpp"
#include "eval/igakuqa_paper.hpp"
#include "support/test_support.hpp"

namespace medllm::eval {
namespace {

const Item& find(const Benchmark& bench, const std::string& id) {
  for (const Item& item : bench.items) {
    if (item.id == id) return item;
  }
  throw std::runtime_error("no item " + id);
}

class IgakuqaPaper : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { bench_ = new Benchmark(igakuqa_paper::load(test::shared_data("").string(), {2018})); }
  static void TearDownTestSuite() { delete bench_; }
  static Benchmark* bench_;
};
Benchmark* IgakuqaPaper::bench_ = nullptr;

TEST_F(IgakuqaPaper, TheShotsAreThePapersThreeExamples) {
  ASSERT_EQ(bench_->shots.size(), 3u);
  EXPECT_EQ(bench_->shots[0].id, "100E5");
  EXPECT_EQ(bench_->shots[1].id, "100A60");
  EXPECT_EQ(bench_->shots[2].id, "100A1");
  EXPECT_EQ(bench_->name, "igakuqa_paper");
  EXPECT_EQ(bench_->items.size(), 400u);
}

TEST_F(IgakuqaPaper, MessagesAreThePapersByteForByte) {
  const auto messages = igakuqa_paper::messages(find(*bench_, "112A1"), bench_->shots);
  ASSERT_EQ(messages.size(), 8u);  // system, 3 × (user, assistant), the question
  EXPECT_EQ(messages[0]["role"], "system");
  EXPECT_EQ(messages[0]["content"], "医師国家試験を解きます。");
  EXPECT_EQ(messages[1]["content"],
            "問題: ヒトゲノム・遺伝子解析研究の被験者に対する説明で必須でないのはどれか。\na: 研究の目的\nb: "
            "同意の自由\nc: 匿名化の方法\nd: 参加による不利益\ne: "
            "研究成果還元の保証\n必ずa,b,c,d,eの中からちょうど1個選んでください。\n答え:");
  EXPECT_EQ(messages[2]["role"], "assistant");
  EXPECT_EQ(messages[2]["content"], "e");
  EXPECT_EQ(messages[4]["content"], "a,b");  // 100A60 asks for two
  EXPECT_NE(messages[3]["content"].get<std::string>().find("ちょうど2個選んでください。"), std::string::npos);
  EXPECT_EQ(messages[7]["role"], "user");
  EXPECT_EQ(messages[7]["content"],
            "問題: 高アンモニア血症をきたす疾患はどれか。\na: Gaucher病\nb: von Gierke病\nc: Hurler症候群\nd: "
            "メープルシロップ尿症\ne: オルニチントランスカルバミラーゼ欠損症\n必ずa,b,c,d,eの中からちょうど1個選んでく"
            "ださい。\n答え:");
}

TEST_F(IgakuqaPaper, AnAOrDQuestionAsksForOneAndANumericOneForNothing) {
  // 112B30's key is the one string "a or d": len(answer) is 1.
  const std::string b30 = igakuqa_paper::user_turn(find(*bench_, "112B30"));
  EXPECT_EQ(b30.substr(b30.size() - std::string("d: β$_2$刺激薬の点滴静注を開始する。\ne: "
                                                "オキシトシンの点滴静注を開始する。\n必ずa,b,c,d,"
                                                "eの中からちょうど1個選んでください。\n答え:")
                                        .size()),
            "d: β$_2$刺激薬の点滴静注を開始する。\ne: オキシトシンの点滴静注を開始する。\n必ずa,b,c,d,"
            "eの中からちょうど1個選んでください。\n答え:");
  EXPECT_EQ(igakuqa_paper::user_turn(find(*bench_, "112C66")),
            "問題: ある患者の動脈血ガス分析（room air）のデータを示す。pH 7.40、PaCO2 36Torr、PaO2 "
            "79Torr。肺胞気-動脈血酸素分圧較差〈A-aDO2〉を求めよ。ただし、小数点以下の数値が得られた場合には、小数第1"
            "位を四捨五入すること。解答：①②Torr");
}

TEST_F(IgakuqaPaper, RepliesAreScoredByThePapersRule) {
  const Item& a1 = find(*bench_, "112A1");  // key e
  EXPECT_EQ(igakuqa_paper::prediction_of("Ｅ"), "e");
  EXPECT_EQ(igakuqa_paper::prediction_of("B,E"), "b,e");
  EXPECT_TRUE(igakuqa_paper::score_reply(a1, "E")["correct"]);
  EXPECT_TRUE(igakuqa_paper::score_reply(a1, "ｅ")["correct"]);
  EXPECT_FALSE(igakuqa_paper::score_reply(a1, "答え: e")["correct"]);  // no extraction, as in the paper
  EXPECT_FALSE(igakuqa_paper::score_reply(a1, "e ")["correct"]);       // nor trimming
  const Item& b30 = find(*bench_, "112B30");                           // a or d
  EXPECT_TRUE(igakuqa_paper::score_reply(b30, "d")["correct"]);
  EXPECT_TRUE(igakuqa_paper::score_reply(b30, "a")["correct"]);
  EXPECT_FALSE(igakuqa_paper::score_reply(b30, "a,d")["correct"]);
}

}  // namespace
}  // namespace medllm::eval
