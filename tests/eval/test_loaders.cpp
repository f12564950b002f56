// Benchmark loaders on the real files in ../shared/data (counts and answer distributions from
// SOURCES.md, items cross-checked against the raw records) and on malformed copies.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <set>
#include <sstream>

#include "eval/benchmarks.hpp"
#include "eval/csv.hpp"
#include "eval/metrics.hpp"
#include "eval/prompts.hpp"
#include "support/test_support.hpp"

namespace medllm::eval {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::shared_data;

std::string data_root() {
  return shared_data("").string();
}

// Each real benchmark is loaded once per test binary.
const Benchmark& real(const std::string& name) {
  static std::map<std::string, Benchmark> cache;
  auto it = cache.find(name);
  if (it == cache.end()) it = cache.emplace(name, load_benchmark(name, data_root())).first;
  return it->second;
}

std::map<std::string, int> answer_counts(const Benchmark& benchmark) {
  std::map<std::string, int> counts;
  for (const auto& item : benchmark.items) {
    for (const auto& answer : item.answers) ++counts[answer];
  }
  return counts;
}

std::map<std::string, int> subject_counts(const Benchmark& benchmark) {
  std::map<std::string, int> counts;
  for (const auto& item : benchmark.items) ++counts[item.subject];
  return counts;
}

std::vector<std::string> lines_of(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

using test::error_of;

void expect_contains(const std::string& message, std::initializer_list<std::string> parts) {
  for (const auto& part : parts)
    EXPECT_NE(message.find(part), std::string::npos) << "\"" << part << "\" not in: " << message;
}

// Checks what every loaded benchmark must satisfy.
void expect_well_formed(const Benchmark& benchmark, const std::string& language) {
  std::set<std::string> ids;
  for (const auto& item : benchmark.items) {
    EXPECT_TRUE(ids.insert(item.id).second) << "duplicate id " << item.id;
    EXPECT_EQ(item.language, language) << item.id;
    EXPECT_FALSE(item.question.empty()) << item.id;
    ASSERT_EQ(item.answers.size(), 1u) << item.id;
    EXPECT_TRUE(std::any_of(item.choices.begin(), item.choices.end(), [&](const Choice& c) {
      return c.label == item.answers[0];
    })) << item.id;
  }
}

// ---- Registry

TEST(BenchmarkRegistry, NamesAndUnknownName) {
  const auto names = benchmark_names();
  for (const char* name : {"medqa",
                           "medqa_5options",
                           "medmcqa",
                           "pubmedqa",
                           "pubmedqa_labeled",
                           "mmlu_medical",
                           "mmlu_pro_health",
                           "jmmlu_medical",
                           "jmed_llm_jmmlu_med",
                           "jmed_llm_crade",
                           "jmed_llm_rrtnm",
                           "jmed_llm_smdis",
                           "jmed_llm_mrner_disease",
                           "jmed_llm_mrner_medicine",
                           "medqa_hard",
                           "medqa_5options_hard",
                           "medmcqa_hard",
                           "mmlu_hard",
                           "mmlu_pro_hard",
                           "pubmedqa_hard",
                           "igakuqa",
                           "igakuqa119"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
  for (const auto& entry : benchmark_registry()) EXPECT_FALSE(entry.description.empty()) << entry.name;

  expect_contains(error_of([] { load_benchmark("medqa_6options", data_root()); }),
                  {"unknown benchmark \"medqa_6options\"", "medqa, medqa_5options", "jmmlu_medical"});
  expect_contains(error_of([] { load_benchmark("medqa", "/nonexistent/medllm-data"); }),
                  {"/nonexistent/medllm-data", "--data"});
  expect_contains(error_of([] { load_benchmark("medqa", test::fresh_temp_dir("empty").string()); }),
                  {"medqa/test.jsonl", "cannot open"});
}

TEST(BenchmarkRegistry, NameDescriptionAndSourceAreSet) {
  const auto& medqa = real("medqa");
  EXPECT_EQ(medqa.name, "medqa");
  EXPECT_NE(medqa.description.find("1,273"), std::string::npos);
  EXPECT_NE(medqa.source.find("medqa/test.jsonl"), std::string::npos);
}

// The chance levels the issue's reading of the data gives: IgakuQA's multi-answer questions and
// RRTNM's 2-5 options put them far from 1 / the first item's choices.
TEST(BenchmarkRegistry, ChanceLevelsOfRealSets) {
  const auto chance_of = [](const std::string& name) {
    std::vector<const Item*> items;
    for (const Item& item : real(name).items) items.push_back(&item);
    return chance_level(items).value();
  };
  // 0.1849 over the plain questions; 116A71 (counted for everyone: 1) and 112B30 (a or d: 2/5)
  // raise it by (0.8 + 0.3) / 1,988.
  EXPECT_NEAR(chance_of("igakuqa"), 0.185404, 1e-6);
  EXPECT_NEAR(chance_of("jmed_llm_rrtnm"), 0.355, 5e-4);
  EXPECT_DOUBLE_EQ(chance_of("medqa"), 0.25);
}

TEST(BenchmarkRegistry, IgakuQAEntries) {
  // The IgakuQA loaders are tested with test_igakuqa.cpp; here only their registration.
  const auto igakuqa = load_benchmark("igakuqa", data_root());
  EXPECT_EQ(igakuqa.name, "igakuqa");
  EXPECT_EQ(igakuqa.items.size(), 2000u);
  EXPECT_FALSE(igakuqa.description.empty());
  const auto igakuqa119 = load_benchmark("igakuqa119", data_root());
  EXPECT_EQ(igakuqa119.name, "igakuqa119");
  EXPECT_EQ(igakuqa119.items.size(), 400u);
}

// ---- English sets: counts from SOURCES.md

TEST(EnglishLoaders, MedQA) {
  const auto& b = real("medqa");
  ASSERT_EQ(b.items.size(), 1273u);
  EXPECT_EQ(answer_counts(b), (std::map<std::string, int>{{"A", 353}, {"B", 309}, {"C", 346}, {"D", 265}}));
  expect_well_formed(b, "en");
  std::map<std::string, int> steps;
  for (const auto& item : b.items) {
    EXPECT_EQ(item.choices.size(), 4u);
    ++steps[item.meta.at("meta_info").get<std::string>()];
  }
  EXPECT_EQ(steps, (std::map<std::string, int>{{"step1", 679}, {"step2&3", 594}}));

  const auto& first = b.items[0];
  EXPECT_EQ(first.id, "0");
  EXPECT_EQ(first.meta.at("realidx"), 0);
  EXPECT_EQ(first.question.rfind("A junior orthopaedic surgery resident is completing a carpal tunnel repair", 0), 0u);
  EXPECT_EQ(first.choices[0].label, "A");
  EXPECT_EQ(first.choices[0].text, "Disclose the error to the patient and put it in the operative report");
  EXPECT_EQ(first.choices[1].text, "Tell the attending that he cannot fail to disclose this mistake");
  EXPECT_EQ(first.answers, std::vector<std::string>{"B"});
  EXPECT_EQ(first.meta.at("meta_info"), "step1");
  EXPECT_TRUE(first.subject.empty());
}

TEST(EnglishLoaders, MedQA5Options) {
  const auto& b = real("medqa_5options");
  ASSERT_EQ(b.items.size(), 1273u);
  EXPECT_EQ(answer_counts(b),
            (std::map<std::string, int>{{"A", 273}, {"B", 277}, {"C", 252}, {"D", 269}, {"E", 202}}));  // from the file
  expect_well_formed(b, "en");
  for (const auto& item : b.items) EXPECT_EQ(item.choices.size(), 5u);
  EXPECT_EQ(b.items[0].id, "medqa_5options-1");
  EXPECT_EQ(b.items[1272].id, "medqa_5options-1273");
  EXPECT_EQ(b.items[0].answers, std::vector<std::string>{"C"});
  EXPECT_EQ(b.items[0].choices[0].text, "Disclose the error to the patient but leave it out of the operative report");
}

TEST(EnglishLoaders, MedMCQA) {
  const auto& b = real("medmcqa");
  ASSERT_EQ(b.items.size(), 4183u);
  EXPECT_EQ(answer_counts(b), (std::map<std::string, int>{{"A", 1348}, {"B", 1085}, {"C", 925}, {"D", 825}}));
  expect_well_formed(b, "en");
  const auto& first = b.items[0];
  EXPECT_EQ(first.id, "medmcqa-1");
  EXPECT_EQ(first.question, "Which of the following is not true for myelinated nerve fibers:");
  ASSERT_EQ(first.choices.size(), 4u);
  EXPECT_EQ(first.choices[0].text, "Impulse through myelinated fibers is slower than non-myelinated fibers");
  EXPECT_EQ(first.choices[3].label, "D");
  EXPECT_EQ(first.choices[3].text, "Local anesthesia is effective only when the nerve is not covered by myelin sheath");
  EXPECT_EQ(first.answers, std::vector<std::string>{"A"});

  // Every item against its raw record: the "X. " prefix is the only change.
  const auto lines = lines_of(shared_data("medmcqa/validation.jsonl"));
  ASSERT_EQ(lines.size(), b.items.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    const json raw = json::parse(lines[i]);
    const auto& item = b.items[i];
    ASSERT_EQ(item.question, raw["question"].get<std::string>());
    for (size_t c = 0; c < 4; ++c) ASSERT_EQ(item.choices[c].text, raw["choices"][c].get<std::string>().substr(3));
    ASSERT_EQ(item.answers[0], std::string(1, static_cast<char>('A' + raw["answer"].get<int>())));
  }
}

// Every record of a MedQA/MedAgentsBench-format file against the loaded item.
void expect_matches_options_file(const Benchmark& b, const std::string& relative, const std::string& bench) {
  const auto lines = lines_of(shared_data(relative));
  ASSERT_EQ(lines.size(), b.items.size()) << relative;
  for (size_t i = 0; i < lines.size(); ++i) {
    const json raw = json::parse(lines[i]);
    const auto& item = b.items[i];
    const std::string expected_id =
        raw.contains("realidx")
            ? (raw["realidx"].is_string() ? raw["realidx"].get<std::string>() : raw["realidx"].dump())
            : bench + "-" + std::to_string(i + 1);
    ASSERT_EQ(item.id, expected_id);
    ASSERT_EQ(item.question, raw["question"].get<std::string>()) << item.id;
    ASSERT_EQ(item.choices.size(), raw["options"].size()) << item.id;
    for (const auto& choice : item.choices) ASSERT_EQ(choice.text, raw["options"][choice.label].get<std::string>());
    ASSERT_EQ(item.answers[0], raw["answer_idx"].get<std::string>()) << item.id;
    ASSERT_EQ(item.subject, raw.value("subject", item.subject)) << item.id;
    for (const char* field : {"meta_info", "src", "category", "realidx", "answer_rationale"}) {
      ASSERT_EQ(item.meta.value(field, json()), raw.value(field, json())) << item.id << " " << field;
    }
    // Model outputs some hard subsets carry must not leak into the items.
    ASSERT_FALSE(item.meta.contains("cleanse_cot") || item.meta.contains("predicted_answer_base_direct"));
  }
}

TEST(EnglishLoaders, RawRecordsMatch) {
  expect_matches_options_file(real("medqa"), "medqa/test.jsonl", "medqa");
  expect_matches_options_file(real("medqa_5options"), "medagentsbench/medqa_5options/test.jsonl", "medqa_5options");
  expect_matches_options_file(real("mmlu_medical"), "medagentsbench/mmlu/test.jsonl", "mmlu_medical");
  expect_matches_options_file(real("mmlu_pro_health"), "medagentsbench/mmlu-pro/test.jsonl", "mmlu_pro_health");
}

TEST(EnglishLoaders, MmluMedical) {
  const auto& b = real("mmlu_medical");
  ASSERT_EQ(b.items.size(), 1089u);
  expect_well_formed(b, "en");
  EXPECT_EQ(subject_counts(b), (std::map<std::string, int>{{"anatomy", 135},
                                                           {"clinical_knowledge", 265},
                                                           {"college_biology", 144},
                                                           {"college_medicine", 173},
                                                           {"medical_genetics", 100},
                                                           {"professional_medicine", 272}}));
  EXPECT_EQ(answer_counts(b), (std::map<std::string, int>{{"A", 235}, {"B", 254}, {"C", 248}, {"D", 352}}));  // file
}

// Few-shot examples as lm-eval's mmlu draws them: the dev split's first k of the question's
// subject (lm-eval tasks/mmlu/default/_default_template_yaml: fewshot_split: dev,
// fewshot_config.sampler: first_n; v0.4.9), in the template's own words.
TEST(EnglishLoaders, MmluShotsComeFromTheDevSplit) {
  const auto& b = real("mmlu_medical");
  EXPECT_EQ(b.shots.size(), 30u);
  const Item& anatomy =
      *std::find_if(b.items.begin(), b.items.end(), [](const Item& i) { return i.subject == "anatomy"; });
  const std::vector<Item> shots = pick_shots(b, anatomy, 2);
  ASSERT_EQ(shots.size(), 2u);
  EXPECT_EQ(shots[0].question, "What is the embryological origin of the hyoid bone?");
  EXPECT_EQ(shots[1].question, "Which of these branches of the trigeminal nerve contain somatic motor processes?");
  const LoglikTask task = build_loglik_task("mmlu_medical", anatomy, shots);
  EXPECT_EQ(task.context.substr(0, task.context.find("\n\nWhich")),
            "The following are multiple choice questions (with answers) about anatomy.\n\n"
            "What is the embryological origin of the hyoid bone?\nA. The first pharyngeal arch\n"
            "B. The first and second pharyngeal arches\nC. The second pharyngeal arch\n"
            "D. The second and third pharyngeal arches\nAnswer: D");
  for (const Item& item : b.items) EXPECT_EQ(pick_shots(b, item, 5).back().subject, item.subject);
  expect_contains(error_of([&] { pick_shots(b, anatomy, 6); }), {"--shots 6", "only 5 examples", "anatomy"});
  // The sets whose reference draws shots from a split the data does not hold refuse them.
  expect_contains(error_of([] { pick_shots(real("medqa"), real("medqa").items[0], 1); }),
                  {"medqa: --shots 1", "--shots 0"});
  EXPECT_TRUE(pick_shots(real("medqa"), real("medqa").items[0], 0).empty());
}

TEST(EnglishLoaders, MmluProHealth) {
  const auto& b = real("mmlu_pro_health");
  ASSERT_EQ(b.items.size(), 818u);
  expect_well_formed(b, "en");
  std::map<size_t, int> option_counts;
  for (const auto& item : b.items) {
    ++option_counts[item.choices.size()];
    EXPECT_EQ(item.meta.at("category"), "health");
  }
  EXPECT_EQ(option_counts,
            (std::map<size_t, int>{{3, 3}, {4, 72}, {5, 8}, {6, 8}, {7, 21}, {8, 42}, {9, 67}, {10, 597}}));
  const auto& first = b.items[0];
  EXPECT_EQ(first.id, "6001");
  EXPECT_EQ(first.question, "Polio can be eradicated by which of the following?");
  EXPECT_EQ(first.subject, "virology");
  EXPECT_EQ(first.meta.at("src"), "ori_mmlu-virology");
  EXPECT_EQ(first.answers, std::vector<std::string>{"E"});
  EXPECT_EQ(first.choices[4].text, "Attention to sewage control and hygiene");
  EXPECT_EQ(subject_counts(b).at("professional_medicine"), 254);
}

TEST(EnglishLoaders, PubMedQATestSplit) {
  const auto& b = real("pubmedqa");
  ASSERT_EQ(b.items.size(), 500u);
  EXPECT_EQ(answer_counts(b), (std::map<std::string, int>{{"yes", 276}, {"no", 169}, {"maybe", 55}}));
  expect_well_formed(b, "en");
  // File order of test_ground_truth.json.
  EXPECT_EQ(b.items.front().id, "12377809");
  EXPECT_EQ(b.items.back().id, "26134053");
  EXPECT_EQ(b.items.back().answers, std::vector<std::string>{"maybe"});

  const json pqal = json::parse(test::read_file(shared_data("pubmedqa/ori_pqal.json")));
  const json truth = json::parse(test::read_file(shared_data("pubmedqa/test_ground_truth.json")));
  for (const auto& item : b.items) {
    ASSERT_TRUE(truth.contains(item.id));
    const auto& raw = pqal.at(item.id);
    ASSERT_EQ(item.question, raw["QUESTION"].get<std::string>());
    std::string context;  // lm-evaluation-harness: "\n".join(CONTEXTS)
    for (const auto& part : raw["CONTEXTS"]) context += (context.empty() ? "" : "\n") + part.get<std::string>();
    ASSERT_EQ(item.meta.at("context").get<std::string>(), context) << item.id;
    ASSERT_EQ(item.meta.at("long_answer"), raw["LONG_ANSWER"]);
    ASSERT_EQ(item.meta.at("year"), raw["YEAR"]);
    ASSERT_EQ(item.answers[0], truth[item.id].get<std::string>());
    ASSERT_EQ(item.choices.size(), 3u);
    ASSERT_EQ(item.choices[0].label, "yes");
    ASSERT_EQ(item.choices[2].text, "maybe");
  }
  const auto& first = b.items.front();
  EXPECT_EQ(first.question, "Is anorectal endosonography valuable in dyschesia?");
  EXPECT_EQ(first.meta.at("year"), "2002");
  const auto& first_context = first.meta.at("context").get_ref<const std::string&>();
  EXPECT_EQ(std::count(first_context.begin(), first_context.end(), '\n'), 2);  // three CONTEXTS
}

TEST(EnglishLoaders, PubMedQALabeled) {
  const auto& b = real("pubmedqa_labeled");
  ASSERT_EQ(b.items.size(), 1000u);
  EXPECT_EQ(answer_counts(b), (std::map<std::string, int>{{"yes", 552}, {"no", 338}, {"maybe", 110}}));
  expect_well_formed(b, "en");
  EXPECT_EQ(b.items.front().id, "21645374");  // file order of ori_pqal.json
  EXPECT_EQ(b.items.front().question,
            "Do mitochondria play a role in remodelling lace plant leaves during programmed cell death?");
  EXPECT_EQ(b.items.back().id, "17559449");
  int null_years = 0;
  for (const auto& item : b.items) null_years += item.meta.at("year").is_null();
  EXPECT_EQ(null_years, 58);
  // The test split is a subset with the same texts.
  std::map<std::string, const Item*> by_id;
  for (const auto& item : b.items) by_id[item.id] = &item;
  for (const auto& item : real("pubmedqa").items) {
    ASSERT_TRUE(by_id.count(item.id));
    EXPECT_EQ(by_id[item.id]->meta, item.meta);
  }
}

TEST(EnglishLoaders, MedAgentsHardSubsets) {
  const std::map<std::string, size_t> counts = {{"medqa_hard", 100},    {"medqa_5options_hard", 357},
                                                {"medmcqa_hard", 100},  {"mmlu_hard", 73},
                                                {"mmlu_pro_hard", 100}, {"pubmedqa_hard", 100}};
  size_t total = 0;
  for (const auto& [name, count] : counts) {
    const auto& b = real(name);
    EXPECT_EQ(b.items.size(), count) << name;
    expect_well_formed(b, "en");
    total += b.items.size();
  }
  EXPECT_EQ(total, 830u);  // SOURCES.md
  expect_matches_options_file(real("medqa_hard"), "medagentsbench/medqa/test_hard.jsonl", "medqa_hard");
  expect_matches_options_file(real("medqa_5options_hard"), "medagentsbench/medqa_5options/test_hard.jsonl",
                              "medqa_5options_hard");
  expect_matches_options_file(real("medmcqa_hard"), "medagentsbench/medmcqa/test_hard.jsonl", "medmcqa_hard");
  expect_matches_options_file(real("mmlu_hard"), "medagentsbench/mmlu/test_hard.jsonl", "mmlu_hard");
  expect_matches_options_file(real("mmlu_pro_hard"), "medagentsbench/mmlu-pro/test_hard.jsonl", "mmlu_pro_hard");
  expect_matches_options_file(real("pubmedqa_hard"), "medagentsbench/pubmedqa/test_hard.jsonl", "pubmedqa_hard");

  // Hard ids are the ids of the full sets.
  std::set<std::string> medqa_ids;
  for (const auto& item : real("medqa").items) medqa_ids.insert(item.id);
  for (const auto& item : real("medqa_hard").items) EXPECT_TRUE(medqa_ids.count(item.id)) << item.id;
  std::set<std::string> pubmed_ids;
  for (const auto& item : real("pubmedqa").items) pubmed_ids.insert(item.id);
  for (const auto& item : real("pubmedqa_hard").items) EXPECT_TRUE(pubmed_ids.count(item.id)) << item.id;
  EXPECT_EQ(real("pubmedqa_hard").items[0].choices[2].text, "maybe");
  EXPECT_EQ(real("medmcqa_hard").items[0].id, "ac6be140-880b-40c6-9855-01f30c8dd7b2");
}

// ---- Japanese sets

TEST(JapaneseLoaders, JmmluMedical) {
  const auto& b = real("jmmlu_medical");
  ASSERT_EQ(b.items.size(), 1123u);
  expect_well_formed(b, "ja");
  EXPECT_EQ(subject_counts(b), (std::map<std::string, int>{{"anatomy", 132},
                                                           {"clinical_knowledge", 150},
                                                           {"college_biology", 143},
                                                           {"college_medicine", 150},
                                                           {"medical_genetics", 99},
                                                           {"nutrition", 149},
                                                           {"professional_medicine", 150},
                                                           {"virology", 150}}));
  // Answer distribution per subject (A, B, C, D), counted from the files.
  const std::map<std::string, std::vector<int>> expected = {{"anatomy", {24, 33, 44, 31}},
                                                            {"clinical_knowledge", {24, 43, 32, 51}},
                                                            {"college_biology", {37, 32, 36, 38}},
                                                            {"college_medicine", {32, 30, 38, 50}},
                                                            {"medical_genetics", {30, 25, 20, 24}},
                                                            {"nutrition", {36, 38, 37, 38}},
                                                            {"professional_medicine", {27, 34, 28, 61}},
                                                            {"virology", {42, 49, 32, 27}}};
  std::map<std::string, std::vector<int>> actual;
  for (const auto& item : b.items) {
    auto& counts = actual[item.subject];
    counts.resize(4);
    ++counts[static_cast<size_t>(item.answers[0][0] - 'A')];
    EXPECT_EQ(item.choices.size(), 4u);
  }
  EXPECT_EQ(actual, expected);
}

const Item& find_item(const Benchmark& b, const std::string& id) {
  for (const auto& item : b.items) {
    if (item.id == id) return item;
  }
  throw std::runtime_error("no item " + id);
}

TEST(JapaneseLoaders, JmmluSpotChecks) {
  const auto& b = real("jmmlu_medical");
  // Line 1 follows the BOM; the BOM is not part of the question.
  const auto& first = find_item(b, "jmmlu_medical-anatomy-1");
  EXPECT_EQ(first.question, "「皿状顔貌(dished face)」の輪郭は、何に関係していることが多いか？");
  EXPECT_EQ(first.subject, "anatomy");
  EXPECT_EQ(first.answers, std::vector<std::string>{"B"});
  EXPECT_EQ(first.choices[2].text, " 水頭症による前頭骨の肥大");  // leading space kept, as in the file

  const auto& spaces = find_item(b, "jmmlu_medical-anatomy-2");
  EXPECT_EQ(spaces.question, "次のうち、体内で尿を集める構造を最もよく表しているものはどれか？");
  EXPECT_EQ(spaces.choices[0].text, "膀胱 ");
  EXPECT_EQ(spaces.choices[1].text, "腎臓 ");
  EXPECT_EQ(spaces.choices[2].text, " 尿管 ");
  EXPECT_EQ(spaces.choices[3].text, " 尿道");
  EXPECT_EQ(spaces.answers, std::vector<std::string>{"A"});

  // RFC 4180: doubled quotes inside a quoted field.
  const auto& quotes = find_item(b, "jmmlu_medical-anatomy-116");
  EXPECT_EQ(quotes.question, "次の文の続きを完成させるものはどれか？\"右房室弁は...\"");
  EXPECT_EQ(quotes.choices[0].text, "半月弁。 ");
  EXPECT_EQ(quotes.answers, std::vector<std::string>{"B"});

  // A quoted field spanning lines; the next record starts after it.
  const auto& multiline = find_item(b, "jmmlu_medical-college_medicine-2");
  EXPECT_EQ(multiline.question,
            "次の記述のうち、化学的な感覚系を示すものはどれか? \nI. 味覚系 \nII. 聴覚系 \nIII. 嗅覚系");
  EXPECT_EQ(multiline.choices[3].text, "IとIIIのみ");
  EXPECT_EQ(multiline.answers, std::vector<std::string>{"D"});
  const auto& last = find_item(b, "jmmlu_medical-college_medicine-192");  // 150 records on 192 lines
  EXPECT_EQ(last.answers, std::vector<std::string>{"C"});
}

TEST(JapaneseLoaders, JmedLlmTasks) {
  struct Expected {
    std::string name;
    std::map<std::string, int> answers;
    std::map<size_t, int> option_counts;
  };
  const std::vector<Expected> expected = {
      {"jmed_llm_jmmlu_med", {{"A", 25}, {"B", 25}, {"C", 25}, {"D", 25}}, {{4, 100}}},
      {"jmed_llm_crade", {{"A", 25}, {"B", 25}, {"C", 25}, {"D", 25}}, {{4, 100}}},
      {"jmed_llm_rrtnm", {{"A", 35}, {"B", 36}, {"C", 13}, {"D", 13}, {"E", 3}}, {{2, 45}, {4, 40}, {5, 15}}},
      {"jmed_llm_smdis", {{"A", 50}, {"B", 50}}, {{2, 100}}},
  };
  for (const auto& e : expected) {
    const auto& b = real(e.name);
    ASSERT_EQ(b.items.size(), 100u) << e.name;
    expect_well_formed(b, "ja");
    EXPECT_EQ(answer_counts(b), e.answers) << e.name;
    std::map<size_t, int> option_counts;
    for (const auto& item : b.items) ++option_counts[item.choices.size()];
    EXPECT_EQ(option_counts, e.option_counts) << e.name;
  }
  EXPECT_EQ(subject_counts(real("jmed_llm_rrtnm")), (std::map<std::string, int>{{"M", 45}, {"N", 40}, {"T", 15}}));
  EXPECT_EQ(subject_counts(real("jmed_llm_jmmlu_med")).size(), 5u);

  const auto& smdis = real("jmed_llm_smdis");
  const auto& first = smdis.items[0];
  EXPECT_EQ(first.id, "jmed_llm_smdis-2");  // line 1 is the header
  EXPECT_EQ(first.subject, "influenza");
  EXPECT_EQ(first.meta.at("tag"), "influenza");
  EXPECT_EQ(first.question,
            "SNSで以下の投稿をした本人または周囲の人間は、1日以内にインフルエンザでしたか？\n"
            "「インフルから回復したら部活復帰しますね。」");
  ASSERT_EQ(first.choices.size(), 2u);
  EXPECT_EQ(first.choices[0].text, "インフルエンザである");
  EXPECT_EQ(first.choices[1].text, "インフルエンザでない");
  EXPECT_EQ(first.answers, std::vector<std::string>{"A"});
  EXPECT_EQ(smdis.items[1].id, "jmed_llm_smdis-4");  // the first question spans two lines

  const auto& m = find_item(real("jmed_llm_rrtnm"), "jmed_llm_rrtnm-485");
  EXPECT_EQ(m.subject, "M");
  ASSERT_EQ(m.choices.size(), 2u);
  EXPECT_EQ(m.choices[0].text, "遠隔転移なし");
  EXPECT_EQ(m.choices[1].text, "遠隔転移がある");
  EXPECT_EQ(m.answers, std::vector<std::string>{"A"});

  expect_contains(error_of([] { load_jmed_llm(data_root(), "nrner"); }),
                  {"unknown JMED-LLM task \"nrner\"", "mrner_disease"});

  // The entity tasks: gold entities from the answer column's Python list.
  const auto disease = real("jmed_llm_mrner_disease");
  ASSERT_EQ(disease.items.size(), 100u);
  EXPECT_TRUE(disease.items[0].choices.empty());
  EXPECT_EQ(disease.items[0].id, "jmed_llm_mrner_disease-2");
  EXPECT_GE(disease.items[0].answers.size(), 1u);
}

// ---- CSV reader

TEST(CsvReader, Rfc4180) {
  const auto records = parse_csv(
      "\xEF\xBB\xBFplain,\"with, comma\",\"say \"\"hi\"\"\"\r\n"
      "\"two\nlines\",,last\n"
      "\n"
      " spaced , x ,\n"
      "\"crlf\r\ninside\",end",
      "mem.csv");
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].line, 1);
  EXPECT_EQ(records[0].fields, (std::vector<std::string>{"plain", "with, comma", "say \"hi\""}));
  EXPECT_EQ(records[1].line, 2);
  EXPECT_EQ(records[1].fields, (std::vector<std::string>{"two\nlines", "", "last"}));
  EXPECT_EQ(records[2].line, 5);  // the blank line 4 is skipped
  EXPECT_EQ(records[2].fields, (std::vector<std::string>{" spaced ", " x ", ""}));
  EXPECT_EQ(records[3].line, 6);
  EXPECT_EQ(records[3].fields, (std::vector<std::string>{"crlf\r\ninside", "end"}));
  EXPECT_TRUE(parse_csv("", "empty.csv").empty());
  EXPECT_EQ(parse_csv("\"\"\n", "q.csv")[0].fields, std::vector<std::string>{""});
}

TEST(CsvReader, MalformedInput) {
  expect_contains(error_of([] { parse_csv("a,b\n\"open,c\nd\n", "m.csv"); }), {"m.csv:2", "never closed"});
  expect_contains(error_of([] { parse_csv("a,b\nx\"y,c\n", "m.csv"); }), {"m.csv:2", "unquoted field"});
  expect_contains(error_of([] { parse_csv("a,\"b\"c\n", "m.csv"); }), {"m.csv:1", "after the closing quote"});
  expect_contains(error_of([] { parse_csv("a\n\"x\ny\"\"\nz\",w\nbad\xC3\x28\n", "m.csv"); }),
                  {"m.csv:5", "invalid UTF-8", "0xC3"});
  expect_contains(error_of([] { parse_csv(std::string("\xFF\xFEq\0,\0", 6), "u16.csv"); }), {"u16.csv:1", "UTF-16"});
  expect_contains(error_of([] { parse_csv("\xEF\xBBq,a\n", "bom.csv"); }), {"bom.csv:1", "invalid UTF-8"});
  expect_contains(error_of([] { read_csv_file("/nonexistent/x.csv"); }), {"/nonexistent/x.csv", "cannot open"});
}

// ---- Malformed copies of the real files

class MalformedData : public ::testing::Test {
 protected:
  void SetUp() override { root_ = test::fresh_temp_dir("data"); }

  void write(const std::string& relative, const std::string& bytes) {
    fs::create_directories((root_ / relative).parent_path());
    test::write_file(root_ / relative, bytes);
  }
  // The first n lines of a real file, then `extra`.
  std::string head(const std::string& relative, size_t n, const std::string& extra = "") {
    auto lines = lines_of(shared_data(relative));
    std::string out;
    for (size_t i = 0; i < n && i < lines.size(); ++i) out += lines[i] + "\n";
    return out + extra;
  }
  std::string error_loading(const std::string& name) {
    return error_of([&] { load_benchmark(name, root_.string()); });
  }

  fs::path root_;
};

TEST_F(MalformedData, TruncatedJsonLine) {
  std::string line3 = lines_of(shared_data("medqa/test.jsonl"))[2];
  write("medqa/test.jsonl", head("medqa/test.jsonl", 2, line3.substr(0, line3.size() / 2) + "\n"));
  expect_contains(error_loading("medqa"), {"medqa/test.jsonl:3", "invalid JSON"});
  // The intact prefix loads.
  write("medqa/test.jsonl", head("medqa/test.jsonl", 2));
  EXPECT_EQ(load_benchmark("medqa", root_.string()).items.size(), 2u);
}

TEST_F(MalformedData, JsonFieldErrors) {
  const json good = json::parse(lines_of(shared_data("medqa/test.jsonl"))[1]);  // realidx 1
  auto with = [&](const std::function<void(json&)>& edit) {
    json record = good;
    edit(record);
    write("medqa/test.jsonl", head("medqa/test.jsonl", 1, record.dump() + "\n"));
    return error_loading("medqa");
  };
  expect_contains(with([](json& r) { r.erase("question"); }), {"medqa/test.jsonl:2", "field 'question' is missing"});
  expect_contains(with([](json& r) { r["question"] = 7; }), {":2", "field 'question' must be a string, got 7"});
  expect_contains(with([](json& r) { r["question"] = " \n"; }), {":2", "field 'question' is empty"});
  expect_contains(with([](json& r) { r["answer_idx"] = "E"; }), {":2", "field 'answer_idx'", "\"E\" is not among"});
  expect_contains(with([](json& r) { r["answer"] = "something else"; }),
                  {":2", "field 'answer'", "is not the text of option"});
  expect_contains(with([](json& r) { r["options"].erase("D"); }), {":2", "field 'options'", "expected 4 options"});
  expect_contains(with([](json& r) { r["options"]["A"] = ""; }), {":2", "field 'options.A' is empty"});
  expect_contains(with([](json& r) { r["options"] = json::array({"x"}); }),
                  {":2", "field 'options' must be an object"});
  expect_contains(with([](json& r) { r["realidx"] = true; }),
                  {":2", "field 'realidx' must be a string or an integer, got true"});
  expect_contains(with([](json& r) { r["realidx"] = 0; }), {":2", "duplicate id \"0\"", "medqa/test.jsonl:1"});
  expect_contains(with([](json& r) { r.erase("meta_info"); }), {":2", "field 'meta_info' is missing"});
  write("medqa/test.jsonl", head("medqa/test.jsonl", 1, "[1, 2]\n"));
  expect_contains(error_loading("medqa"), {"medqa/test.jsonl:2", "expected a JSON object"});
}

TEST_F(MalformedData, MedMcqaAnswerAndPrefix) {
  const json good = json::parse(lines_of(shared_data("medmcqa/validation.jsonl"))[0]);
  json record = good;
  record["answer"] = 4;
  write("medmcqa/validation.jsonl", good.dump() + "\n" + record.dump() + "\n");
  expect_contains(error_loading("medmcqa"), {"medmcqa/validation.jsonl:2", "field 'answer'", "4 is out of range"});
  record["answer"] = "1";
  write("medmcqa/validation.jsonl", record.dump() + "\n");
  expect_contains(error_loading("medmcqa"), {"validation.jsonl:1", "field 'answer' must be an integer"});
  record = good;
  record["choices"][1] = "C. shuffled";
  write("medmcqa/validation.jsonl", record.dump() + "\n");
  expect_contains(error_loading("medmcqa"), {"validation.jsonl:1", "field 'choices[1]'", "\"B. \""});
  record["choices"].erase(3);
  write("medmcqa/validation.jsonl", record.dump() + "\n");
  expect_contains(error_loading("medmcqa"), {"validation.jsonl:1", "field 'choices'", "array of 3"});
}

TEST_F(MalformedData, InvalidUtf8InJsonl) {
  write("medmcqa/validation.jsonl", head("medmcqa/validation.jsonl", 3, "{\"question\": \"bad \xE9t\xE9\"}\n"));
  expect_contains(error_loading("medmcqa"), {"medmcqa/validation.jsonl:4", "invalid UTF-8", "0xE9"});
}

TEST_F(MalformedData, CsvColumnCountAndAnswer) {
  const std::string anatomy = test::read_file(shared_data("jmmlu/anatomy.csv"));
  const size_t line3 = anatomy.find('\n', anatomy.find('\n') + 1) + 1;
  const size_t comma = anatomy.find(',', line3);
  // Merge two columns of line 3 into one quoted field -> 5 columns.
  std::string broken = anatomy.substr(0, line3) + "\"" + anatomy.substr(line3, comma - line3) + "," +
                       anatomy.substr(comma + 1, anatomy.find(',', comma + 1) - comma - 1) + "\"" +
                       anatomy.substr(anatomy.find(',', comma + 1));
  write("jmmlu/anatomy.csv", broken);
  expect_contains(error_loading("jmmlu_medical"), {"jmmlu/anatomy.csv:3", "expected 6 columns", "found 5"});

  write("jmmlu/anatomy.csv", "\xEF\xBB\xBFq,a,b,c,d,A\nq2,a,b,c,d,E\n");
  expect_contains(error_loading("jmmlu_medical"), {"jmmlu/anatomy.csv:2", "answer (column 6)", "\"E\""});
  write("jmmlu/anatomy.csv", "q,a, ,c,d,A\n");
  expect_contains(error_loading("jmmlu_medical"), {"jmmlu/anatomy.csv:1", "B (column 3)", "empty option"});
  write("jmmlu/anatomy.csv", "q,a,b,c,d,A\n,a,b,c,d,A\n");
  expect_contains(error_loading("jmmlu_medical"), {"jmmlu/anatomy.csv:2", "question (column 1)", "empty question"});
  // The next subject file is required too.
  write("jmmlu/anatomy.csv", "q,a,b,c,d,A\n");
  expect_contains(error_loading("jmmlu_medical"), {"jmmlu/clinical_knowledge.csv", "cannot open"});
}

TEST_F(MalformedData, CsvEncoding) {
  write("jmmlu/anatomy.csv", "\xEF\xBB\xBFq,a,b,c,d,A\nq\x82\xA0,a,b,c,d,A\n");  // Shift_JIS bytes
  expect_contains(error_loading("jmmlu_medical"), {"jmmlu/anatomy.csv:2", "invalid UTF-8", "0x82"});
  write("jmmlu/anatomy.csv", std::string("\xFF\xFE", 2) + "q,a,b,c,d,A\n");
  expect_contains(error_loading("jmmlu_medical"), {"jmmlu/anatomy.csv:1", "UTF-16"});
  write("jmmlu/anatomy.csv", "\xEF\xBBq,a,b,c,d,A\n");  // a truncated BOM
  expect_contains(error_loading("jmmlu_medical"), {"jmmlu/anatomy.csv:1", "invalid UTF-8"});
}

TEST_F(MalformedData, JmedLlm) {
  const std::string header = "tag,question,optionA,optionB,optionC,answer\n";
  write("jmed-llm/datasets/smdis.csv", header + "t,q,a,b,c,A\nt,q,a,b,c\n");
  expect_contains(error_loading("jmed_llm_smdis"), {"smdis.csv:3", "expected 6 columns", "found 5"});
  write("jmed-llm/datasets/smdis.csv", header + "t,q,a,b,,C\n");
  expect_contains(error_loading("jmed_llm_smdis"), {"smdis.csv:2", "\"C\" is not among the options (A-B)"});
  write("jmed-llm/datasets/smdis.csv", header + "t,q,a,,c,A\n");
  expect_contains(error_loading("jmed_llm_smdis"), {"smdis.csv:2", "optionC (column 5)", "follows an empty optionB"});
  write("jmed-llm/datasets/smdis.csv", "tag,question,answer\nt,q,\"['x']\"\n");
  expect_contains(error_loading("jmed_llm_smdis"), {"smdis.csv:1", "not tag,question,optionA"});
  const std::string entities = "jmed-llm/datasets/mrner_medicine.csv";
  write(entities, "tag,question,answer\nm,q,['x'\n");
  expect_contains(error_loading("jmed_llm_mrner_medicine"),
                  {"mrner_medicine.csv:2", "answer (column 3)", "not a Python list"});
  write(entities, "tag,question,answer\nm,q,[]\n");
  expect_contains(error_loading("jmed_llm_mrner_medicine"), {"mrner_medicine.csv:2", "lists no entity"});
  write(entities, "tag,question,answer\nm,q,\"['x', 2]\"\n");
  expect_contains(error_loading("jmed_llm_mrner_medicine"), {"mrner_medicine.csv:2", "not a string"});
  write(entities, "tag,question,optionA,answer\nm,q,a,A\n");
  expect_contains(error_loading("jmed_llm_mrner_medicine"), {"mrner_medicine.csv:1", "not tag,question,answer"});
  write("jmed-llm/datasets/smdis.csv", header + "t,q,a,b,c,B\n");
  const auto b = load_benchmark("jmed_llm_smdis", root_.string());
  ASSERT_EQ(b.items.size(), 1u);
  EXPECT_EQ(b.items[0].choices.size(), 3u);
}

TEST_F(MalformedData, PubMedQA) {
  const std::string pqal =
      R"({"1": {"QUESTION": "Q1?", "CONTEXTS": ["a", "b"], "LABELS": [], "MESHES": [], "YEAR": "2001",
              "final_decision": "yes", "LONG_ANSWER": "L1"},
  "2": {"QUESTION": "Q2?", "CONTEXTS": "not a list", "final_decision": "no", "LONG_ANSWER": "L2"}})";
  write("pubmedqa/ori_pqal.json", pqal);
  write("pubmedqa/test_ground_truth.json", R"({"1": "yes"})");
  const auto b = load_benchmark("pubmedqa", root_.string());
  ASSERT_EQ(b.items.size(), 1u);
  EXPECT_EQ(b.items[0].meta.at("context"), "a\nb");
  expect_contains(error_loading("pubmedqa_labeled"),
                  {"pubmedqa/ori_pqal.json:3", "PMID 2", "field 'CONTEXTS' must be an array"});

  write("pubmedqa/test_ground_truth.json", "{\"1\": \"no\"}");
  expect_contains(error_loading("pubmedqa"), {"test_ground_truth.json:1", "PMID 1", "disagrees"});
  write("pubmedqa/test_ground_truth.json", "{\n\"1\": \"yes\",\n\"3\": \"yes\"}");
  expect_contains(error_loading("pubmedqa"), {"test_ground_truth.json:3", "PMID 3", "not in"});
  write("pubmedqa/test_ground_truth.json", "{\n\"1\": \"perhaps\"}");
  expect_contains(error_loading("pubmedqa"), {"test_ground_truth.json:2", "\"perhaps\""});
  write("pubmedqa/test_ground_truth.json", "{\n\"1\": \"yes\",\n");
  expect_contains(error_loading("pubmedqa"), {"test_ground_truth.json", "invalid JSON"});
}

}  // namespace
}  // namespace medllm::eval
