// JMED-LLM's protocol (sociocom/JMED-LLM @ 3774a34e, src/utils.py and src/evaluator.py): the chat
// messages of real items compared byte for byte with what the reference's get_evaluation_messages
// returned for the same CSV rows (run once on ../shared/data; the strings are written down here),
// its answer and entity extraction on tricky replies, its two F1 scores and Cohen's kappa on
// hand-computed cases, and the Python list literals that eval() does and does not accept.

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "eval/benchmarks.hpp"
#include "eval/jmed_llm.hpp"
#include "support/test_support.hpp"

namespace medllm::eval {
namespace {

using jmed_llm::Task;

const Item& item_with_id(const Benchmark& benchmark, const std::string& id) {
  for (const Item& item : benchmark.items) {
    if (item.id == id) return item;
  }
  throw std::runtime_error("no item " + id);
}

Benchmark load(const std::string& name) {
  return load_benchmark(name, test::shared_data("").string());
}

const char* const kChoiceSystem =
    "与えられた医学に関する質問と選択肢から、最も適切な回答を選択してください。なお、回答には選択肢のアルファベット（"
    "例：A）のみを含め、他には何も含めないことを厳守してください。";

TEST(JmedLlm, ChoiceMessagesAreTheReferencesByteForByte) {
  const Task task = *jmed_llm::task_of("jmed_llm_jmmlu_med");
  const Benchmark benchmark = load("jmed_llm_jmmlu_med");
  const Item& item = item_with_id(benchmark, "jmed_llm_jmmlu_med-84");
  const nlohmann::ordered_json messages = jmed_llm::messages(task, item, true);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0]["role"], "system");
  EXPECT_EQ(messages[0]["content"], kChoiceSystem);
  EXPECT_EQ(messages[1]["role"], "user");
  EXPECT_EQ(messages[1]["content"],
            "質問: 筋線維が弛緩するのはいつか?\n選択肢:\nA. 神経刺激が取り除かれるとき。\nB. "
            "神経刺激が強すぎるとき。\nC. アクチン結合部位が露出するとき。\nD. アクチン結合部位が飽和するとき。\n");
}

TEST(JmedLlm, WithoutTheSystemRoleTheInstructionLeadsTheUserMessage) {
  const Task task = *jmed_llm::task_of("jmed_llm_smdis");
  const Benchmark benchmark = load("jmed_llm_smdis");
  const Item& item = item_with_id(benchmark, "jmed_llm_smdis-44");
  const nlohmann::ordered_json messages = jmed_llm::messages(task, item, false);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0]["role"], "user");
  EXPECT_EQ(
      messages[0]["content"],
      std::string(kChoiceSystem) +
          "\n\n質問: SNSで以下の投稿をした本人または周囲の人間は、1日以内に下痢でしたか？\n「熱はないから問題ないよ。"
          "」\n選択肢:\nA. 下痢である\nB. 下痢でない\n");
}

TEST(JmedLlm, EntityMessagesAreTheReferencesByteForByte) {
  const Task task = *jmed_llm::task_of("jmed_llm_mrner_medicine");
  ASSERT_TRUE(task.entities);
  const Benchmark benchmark = load("jmed_llm_mrner_medicine");
  EXPECT_EQ(benchmark.items.size(), 100u);
  const Item& item = item_with_id(benchmark, "jmed_llm_mrner_medicine-667");
  EXPECT_EQ(item.answers, std::vector<std::string>{"吉草酸ベタメサゾン軟膏"});
  EXPECT_TRUE(item.choices.empty());
  const nlohmann::ordered_json messages = jmed_llm::messages(task, item, true);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(
      messages[0]["content"],
      "与えられた医学に関する質問から、最も適切な回答をしてください。なお、回答にはPythonのリスト形式（例：['回答1"
      "', '回答2']）のみを含め、他には何も含めないことを厳守してください。");
  EXPECT_EQ(
      messages[1]["content"],
      "以下の症例報告において、薬品名は？\n「６５歳男性。\n昭和６０年８月．肺扁平上皮癌にて右肺摘除術施行。\n同年１"
      "１月より瘙痒を伴った紅斑，水疱，びらんが前胸部に出現，吉草酸ベタメサゾン軟膏の外用により軽快していた。\n昭和"
      "６２年８月，右上背部に直径１．５㎝のびらん面，顔の一部と口腔粘膜にびらんを認めた。\n組織学的に表皮基底細胞層"
      "直上に棘融解があり，蛍光抗体直接法にて１ｇＧの表皮細胞間への沈着が認められた。\n以上より尋常性天疱瘡と診断し"
      "た。\n外用療法のみで皮疹は軽快している。」");
}

TEST(JmedLlm, TasksAndTheirKappaWeights) {
  EXPECT_EQ(jmed_llm::task_of("jmed_llm_crade")->kappa_weights, KappaWeights::Linear);
  for (const char* name : {"jmed_llm_jmmlu_med", "jmed_llm_rrtnm", "jmed_llm_smdis"}) {
    ASSERT_TRUE(jmed_llm::task_of(name)) << name;
    EXPECT_EQ(jmed_llm::task_of(name)->kappa_weights, KappaWeights::None) << name;
    EXPECT_FALSE(jmed_llm::task_of(name)->entities) << name;
  }
  EXPECT_TRUE(jmed_llm::task_of("jmed_llm_mrner_disease")->entities);
  EXPECT_FALSE(jmed_llm::task_of("jmmlu_medical"));
  EXPECT_FALSE(jmed_llm::task_of("jmed_llm_nrner"));  // NC-licensed: its data is not staged
  EXPECT_EQ(load("jmed_llm_mrner_disease").items.size(), 100u);
}

TEST(JmedLlm, TheAnswerIsTheFirstUppercaseAToFAnywhere) {
  EXPECT_EQ(jmed_llm::first_uppercase_choice("答えはBです"), "B");
  EXPECT_EQ(jmed_llm::first_uppercase_choice("(C)"), "C");
  EXPECT_EQ(jmed_llm::first_uppercase_choice("選択肢Dが正しい。Aではない"), "D");
  EXPECT_EQ(jmed_llm::first_uppercase_choice("B, C"), "B");
  // As the reference scans: the "A" of "Answer" wins, lowercase and full-width letters never count.
  EXPECT_EQ(jmed_llm::first_uppercase_choice("Answer: B"), "A");
  EXPECT_EQ(jmed_llm::first_uppercase_choice("b"), "None");
  EXPECT_EQ(jmed_llm::first_uppercase_choice("ＢかＣ"), "None");
  EXPECT_EQ(jmed_llm::first_uppercase_choice("G H"), "None");
  EXPECT_EQ(jmed_llm::first_uppercase_choice(""), "None");
  EXPECT_EQ(jmed_llm::first_uppercase_choice("The answer is F."), "F");
}

std::vector<PythonValue> strings(std::initializer_list<const char*> texts) {
  std::vector<PythonValue> out;
  for (const char* text : texts) out.push_back({PythonValue::Kind::String, text, 0});
  return out;
}

TEST(JmedLlm, EntitiesAreTheReplyReadAsAPythonList) {
  EXPECT_EQ(jmed_llm::entity_list("['肺炎', \"発熱\"]"), strings({"肺炎", "発熱"}));
  EXPECT_EQ(jmed_llm::entity_list(" \t['肺炎']\n\n"), strings({"肺炎"}));
  EXPECT_EQ(jmed_llm::entity_list("\r\n['a',]  # done"), strings({"a"}));
  EXPECT_EQ(jmed_llm::entity_list("[\n  'a',\n  'b'  # second\n]"), strings({"a", "b"}));
  EXPECT_EQ(jmed_llm::entity_list("['a' \"b\"]"), strings({"ab"}));
  EXPECT_EQ(jmed_llm::entity_list(R"(['\u3042\x41\101\n', r'\d', u'\'', '''x'y'''])"),
            strings({"あAA\n", "\\d", "'", "x'y"}));
  EXPECT_EQ(jmed_llm::entity_list("[]"), strings({}));
  EXPECT_EQ(jmed_llm::entity_list("['a']\n  \n# done\n  # really"), strings({"a"}));
  EXPECT_EQ(jmed_llm::entity_list("[\"\"\"a\r\nb\"\"\"]"), strings({"a\nb"}));
  // eval() fails on these or returns something other than a list; the reference takes an empty list.
  for (const char* reply :
       {"答え: ['肺炎']", "```python\n['肺炎']\n```", "\n  ['a']", "[肺炎]", "['a'] ['b']", "['a',,]", "[,]", "['a' 1]",
        "('a', 'b')", "['a", "['a\nb']", "[01]", "[Nonesuch]", "['a']\n  ", "['a'] \\\n"}) {
    EXPECT_TRUE(jmed_llm::entity_list(reply).empty()) << reply;
  }
  EXPECT_TRUE(jmed_llm::entity_list(std::string("['a']\0", 6)).empty());
  // Rarer literals eval() would accept are not understood here and read as no list either (the
  // reference would crash on the nested list, whose elements a set cannot hold).
  for (const char* reply : {"['\\N{DIGIT ONE}']", "[0x10]", "[1_000]", "[b'a']", "['a', ['b']]"}) {
    EXPECT_TRUE(jmed_llm::entity_list(reply).empty()) << reply;
  }
  // Numbers, True and None are values too; 1, 1.0 and True are one value in a Python set.
  const std::vector<PythonValue> mixed = jmed_llm::entity_list("[1, 1.0, True, None, -2.5e1, 'x']");
  ASSERT_EQ(mixed.size(), 6u);
  EXPECT_EQ(mixed[0], mixed[1]);
  EXPECT_EQ(mixed[1], mixed[2]);
  EXPECT_EQ(mixed[3].kind, PythonValue::Kind::None);
  EXPECT_EQ(mixed[4].number, -25.0);
}

TEST(JmedLlm, ExactAndPartialF1AsTheReferenceComputesThem) {
  const auto gold = strings({"a", "b", "c"});
  // Shared {a}: recall 1/3, precision 1/2, F1 0.4. The reference's "partial" rule counts every
  // answer once anything is shared: recall 1, precision 3/2, F1 1.2.
  EXPECT_DOUBLE_EQ(jmed_llm::exact_f1(gold, strings({"a", "d"})), 0.4);
  EXPECT_DOUBLE_EQ(jmed_llm::partial_f1(gold, strings({"a", "d"})), 1.2);
  EXPECT_DOUBLE_EQ(jmed_llm::exact_f1(gold, strings({"c", "b", "a", "a"})), 1.0);  // a set: duplicates once
  EXPECT_DOUBLE_EQ(jmed_llm::partial_f1(gold, strings({"c", "b", "a"})), 1.0);
  EXPECT_EQ(jmed_llm::exact_f1(gold, strings({"ab"})), 0.0);  // no substring matching
  EXPECT_EQ(jmed_llm::partial_f1(gold, strings({"ab"})), 0.0);
  EXPECT_EQ(jmed_llm::exact_f1(gold, {}), 0.0);
  EXPECT_EQ(jmed_llm::partial_f1(gold, {}), 0.0);
}

TEST(JmedLlm, EntityTaskMetricsAverageTheItemsF1) {
  const Task task = *jmed_llm::task_of("jmed_llm_mrner_disease");
  Item item;
  item.answers = {"a", "b", "c"};
  const std::vector<nlohmann::json> samples = {jmed_llm::score_reply(task, item, "['a', 'd']"),
                                               jmed_llm::score_reply(task, item, "not a list")};
  EXPECT_EQ(samples[0]["entities"], nlohmann::json::array({"a", "d"}));
  EXPECT_EQ(samples[1]["entities"], nlohmann::json::array());
  const auto metrics = jmed_llm::metrics(task, samples);
  ASSERT_EQ(metrics.size(), 2u);
  EXPECT_EQ(metrics[0].first, "partial_f1");
  EXPECT_DOUBLE_EQ(*metrics[0].second.value, (1.2 + 0.0) / 2);
  EXPECT_EQ(metrics[1].first, "exact_f1");
  EXPECT_DOUBLE_EQ(*metrics[1].second.value, (0.4 + 0.0) / 2);
}

TEST(CohenKappa, HandComputedConfusionMatrices) {
  // gold A A B B C C, predicted A B B B C A. Observed agreement 4/6; marginals gold (2, 2, 2),
  // predicted (2, 3, 1): chance agreement (2·2 + 2·3 + 2·1) / 36 = 1/3, kappa (2/3 - 1/3) / (2/3) = 0.5.
  const std::vector<std::string> gold = {"A", "A", "B", "B", "C", "C"};
  const std::vector<std::string> predicted = {"A", "B", "B", "B", "C", "A"};
  EXPECT_NEAR(*cohen_kappa(gold, predicted, KappaWeights::None), 0.5, 1e-15);
  // Linear weights |i - j|: observed disagreement 1·1 (A→B) + 2·1 (C→A) = 3; expected
  // Σ |i - j| r_i c_j / 6 = (6 + 4 + 4 + 2 + 8 + 6) / 6 = 5: kappa 1 - 3/5 = 0.4.
  EXPECT_NEAR(*cohen_kappa(gold, predicted, KappaWeights::Linear), 0.4, 1e-15);
  // Quadratic: observed 1 + 4 = 5; expected (6 + 8 + 4 + 2 + 16 + 6) / 6 = 7: 1 - 5/7.
  EXPECT_NEAR(*cohen_kappa(gold, predicted, KappaWeights::Quadratic), 1.0 - 5.0 / 7.0, 1e-15);
}

TEST(CohenKappa, LabelsAreTheSortedUnionSoNoneIsACategory) {
  // Labels A < B < None. gold A B A B, predicted A None A B: observed disagreement 1 (B→None, one
  // step); marginals gold (2, 2, 0), predicted (2, 1, 1).
  const std::vector<std::string> gold = {"A", "B", "A", "B"};
  const std::vector<std::string> predicted = {"A", "None", "A", "B"};
  // Unweighted: po 3/4, pe (2·2 + 2·1) / 16 = 6/16: (0.75 - 0.375) / 0.625 = 0.6.
  EXPECT_NEAR(*cohen_kappa(gold, predicted, KappaWeights::None), 0.6, 1e-15);
  // Linear: expected Σ |i-j| g_i p_j / 4 = ((A,B) 2·1 + (A,None) 2·2·1 + (B,A) 2·2 + (B,None) 2·1) / 4
  // = 3: 1 - 1/3.
  EXPECT_NEAR(*cohen_kappa(gold, predicted, KappaWeights::Linear), 2.0 / 3.0, 1e-15);
  // One label throughout: 0/0, scikit-learn's nan.
  const std::vector<std::string> same = {"A", "A"};
  EXPECT_FALSE(cohen_kappa(same, same, KappaWeights::None).has_value());
  EXPECT_NEAR(*cohen_kappa(gold, gold, KappaWeights::Linear), 1.0, 1e-15);
}

// scikit-learn's cohen_kappa_score on random label lists (make_kappa_references.py): the same
// definition, so the values agree to rounding (its sums run in another order).
TEST(KappaReference, AgreesWithScikitLearn) {
  const std::string path = std::string(MEDLLM_KAPPA_REFERENCE_DIR) + "/kappa.json";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path << " is missing: run the eval.kappa_references test first";
  const nlohmann::json reference = nlohmann::json::parse(in);
  ASSERT_GE(reference["cases"].size(), 100u);
  int undefined = 0;
  for (const auto& c : reference["cases"]) {
    const auto a = c["a"].get<std::vector<std::string>>(), b = c["b"].get<std::vector<std::string>>();
    for (const auto& [key, weights] : {std::pair{"none", KappaWeights::None}, std::pair{"linear", KappaWeights::Linear},
                                       std::pair{"quadratic", KappaWeights::Quadratic}}) {
      const std::optional<double> ours = cohen_kappa(a, b, weights);
      if (c[key].is_null()) {
        EXPECT_FALSE(ours.has_value()) << key << " " << c.dump();
        ++undefined;
        continue;
      }
      ASSERT_TRUE(ours.has_value()) << key << " " << c.dump();
      EXPECT_NEAR(*ours, c[key].get<double>(), 1e-12) << key << " " << c.dump();
    }
  }
  EXPECT_GT(undefined, 0);  // the cases include one label throughout
}

TEST(JmedLlm, ChoiceTaskMetricsAreKappaThenAccuracy) {
  const Task crade = *jmed_llm::task_of("jmed_llm_crade");
  std::vector<nlohmann::json> samples;
  const std::vector<std::string> gold = {"A", "A", "B", "B", "C", "C"};
  const std::vector<std::string> replies = {"A", "答えはB", "B", "(B)", "C", "Answer: C"};
  for (size_t i = 0; i < gold.size(); ++i) {
    Item item;
    item.answers = {gold[i]};
    samples.push_back(jmed_llm::score_reply(crade, item, replies[i]));
  }
  EXPECT_EQ(samples[5]["prediction"], "A");
  EXPECT_EQ(samples[5]["correct"], false);
  const auto metrics = jmed_llm::metrics(crade, samples);
  ASSERT_EQ(metrics.size(), 2u);
  EXPECT_EQ(metrics[0].first, "kappa");
  EXPECT_NEAR(*metrics[0].second.value, 0.4, 1e-15);  // the linear case above
  EXPECT_EQ(metrics[1].first, "acc");
  EXPECT_EQ(metrics[1].second.correct, 4);
  EXPECT_EQ(metrics[1].second.n, 6);
}

}  // namespace
}  // namespace medllm::eval
