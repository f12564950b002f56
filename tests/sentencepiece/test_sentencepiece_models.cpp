// SentencePiece .model files against the sentencepiece library itself:
// - the Llama-2 tokenizer.model on the llama.cpp-format vectors in ../shared (including the
//   Japanese medical ones),
// - small Unigram / BPE / WORD / CHAR models trained at test time by make_spm_references.py with
//   Debian's python3-sentencepiece, on every IgakuQA 2018 text, 200 MedQA questions, edge cases
//   and random Unicode strings: ids exactly equal, and decode(ids) equal to sentencepiece's decode.
// IgakuQA has no license: its texts are read from ../shared at test time (the fixture writes the
// derived reference files into the build directory only).

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <medllm/error.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/utf8.hpp"
#include "support/test_support.hpp"
#include "tokenizer/gguf_sentencepiece.hpp"
#include "tokenizer/sentencepiece/sentencepiece_tokenizer.hpp"

namespace medllm {
namespace {

namespace fs = std::filesystem;

fs::path llama2_model_path() {
  return test::shared_data("tokenizer-vectors/llama2-tokenizer/tokenizer.model");
}
fs::path reference_dir() {
  return fs::path(MEDLLM_SPM_REFERENCE_DIR);
}

std::string join_ids(const std::vector<int32_t>& ids) {
  std::string out;
  for (int32_t id : ids) {
    out += ' ';
    out += std::to_string(id);
  }
  return out;
}

struct VectorCase {
  std::string input;
  std::string expected;  // the .out line: space-prefixed ids
};

// llama.cpp's tokenizer test format: inputs each followed by "\n__ggml_vocab_test__\n", one
// output line per input.
std::vector<VectorCase> read_vectors(const fs::path& inp, const fs::path& out) {
  const std::string inputs = test::read_file(inp);
  const std::string outputs = test::read_file(out);
  const std::string separator = "\n__ggml_vocab_test__\n";
  std::vector<VectorCase> cases;
  for (size_t pos = 0; pos < inputs.size();) {
    const size_t end = inputs.find(separator, pos);
    if (end == std::string::npos) break;
    cases.push_back({inputs.substr(pos, end - pos), ""});
    pos = end + separator.size();
  }
  std::istringstream lines(outputs);
  std::string line;
  for (auto& c : cases) {
    if (!std::getline(lines, line)) break;
    c.expected = line;
  }
  return cases;
}

class Llama2 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tokenizer_ = SentencePieceTokenizer::from_file(llama2_model_path().string()).release();
  }
  static void TearDownTestSuite() {
    delete tokenizer_;
    tokenizer_ = nullptr;
  }
  static SentencePieceTokenizer* tokenizer_;

  void check_vectors(const std::string& inp, const std::string& out, size_t expected_cases) {
    const auto cases = read_vectors(test::shared_data(inp), test::shared_data(out));
    ASSERT_EQ(cases.size(), expected_cases);
    for (const auto& c : cases) {
      const auto ids = tokenizer_->encode(c.input, false);
      EXPECT_EQ(join_ids(ids), c.expected) << "input: \"" << c.input << "\"";
      // Llama's normalizer keeps whitespace and has no charsmap, so decoding gives the input back.
      EXPECT_EQ(tokenizer_->decode(ids), c.input);
    }
  }
};
SentencePieceTokenizer* Llama2::tokenizer_ = nullptr;

TEST_F(Llama2, ModelProperties) {
  EXPECT_EQ(tokenizer_->vocab_size(), 32000);
  EXPECT_EQ(tokenizer_->bos_id(), 1);
  EXPECT_EQ(tokenizer_->eos_id(), 2);
  EXPECT_EQ(tokenizer_->unk_id(), 0);
  EXPECT_FALSE(tokenizer_->pad_id().has_value());
  const auto& proto = tokenizer_->proto();
  EXPECT_EQ(proto.trainer_spec.model_type, sentencepiece::ModelType::Bpe);
  EXPECT_TRUE(proto.trainer_spec.byte_fallback);
  EXPECT_EQ(proto.normalizer_spec.name, "identity");
  EXPECT_TRUE(proto.normalizer_spec.add_dummy_prefix);
  EXPECT_FALSE(proto.normalizer_spec.remove_extra_whitespaces);
  EXPECT_EQ(tokenizer_->token_text(29871), "\xE2\x96\x81");
  EXPECT_EQ(tokenizer_->token_to_id("<0x0A>"), 13);
  EXPECT_EQ(tokenizer_->token_to_id("no such piece"), std::nullopt);
}

TEST_F(Llama2, MedicalJapaneseEnglishVectors) {
  check_vectors("tokenizer-vectors/llama2-tokenizer/medical-ja-en.inp",
                "tokenizer-vectors/llama2-tokenizer/medical-ja-en.out", 40);
}

TEST_F(Llama2, LlamaCppSpmVectors) {
  check_vectors("tokenizer-vectors/llama.cpp-models/ggml-vocab-llama-spm.gguf.inp",
                "tokenizer-vectors/llama.cpp-models/ggml-vocab-llama-spm.gguf.out", 46);
}

// The GGUF vocabulary tokenizer (GgufSentencePieceTokenizer, llama.cpp's algorithm) shares the BPE merge loop;
// built from the same Llama-2 pieces it must give the same ids on both vector sets.
TEST_F(Llama2, GgufSentencePieceTokenizerAgrees) {
  const auto& proto = tokenizer_->proto();
  std::vector<std::string> pieces;
  std::vector<float> scores;
  std::vector<GgufSentencePieceTokenizer::TokenType> types;
  for (const auto& entry : proto.pieces) {
    pieces.push_back(entry.piece);
    scores.push_back(entry.score);
    types.push_back(static_cast<GgufSentencePieceTokenizer::TokenType>(entry.type));
  }
  const GgufSentencePieceTokenizer gguf(pieces, scores, types, 1, 2, 0, GgufSentencePieceTokenizer::Options{});
  std::vector<std::vector<int32_t>> sequences;
  for (const auto& [inp, out] : {std::pair{"tokenizer-vectors/llama2-tokenizer/medical-ja-en.inp",
                                           "tokenizer-vectors/llama2-tokenizer/medical-ja-en.out"},
                                 std::pair{"tokenizer-vectors/llama.cpp-models/ggml-vocab-llama-spm.gguf.inp",
                                           "tokenizer-vectors/llama.cpp-models/ggml-vocab-llama-spm.gguf.out"}}) {
    for (const auto& c : read_vectors(test::shared_data(inp), test::shared_data(out))) {
      EXPECT_EQ(join_ids(gguf.encode(c.input, false)), c.expected) << "input: \"" << c.input << "\"";
      sequences.push_back(gguf.encode(c.input, false));
    }
  }
  // Streamed continuations read as decode() does, for the GGUF vocabulary and the .model file.
  for (int round = 0; round < 4; ++round) {
    EXPECT_GT(test::check_continuation_streaming(gguf, sequences, round), sequences.size() * 8 / 10);
    EXPECT_GT(test::check_continuation_streaming(*tokenizer_, sequences, round), sequences.size() * 8 / 10);
  }
}

TEST_F(Llama2, SpecialTokensAndOptions) {
  EXPECT_EQ(tokenizer_->encode("Hello"), (std::vector<int32_t>{1, 15043}));
  EXPECT_EQ(tokenizer_->encode("Hello", false), (std::vector<int32_t>{15043}));
  EXPECT_EQ(tokenizer_->encode(""), (std::vector<int32_t>{1}));
  SentencePieceTokenizer::Options options;
  options.add_bos = false;
  options.add_eos = true;
  const auto eos_only = SentencePieceTokenizer::from_file(llama2_model_path().string(), options);
  EXPECT_EQ(eos_only->encode("Hello"), (std::vector<int32_t>{15043, 2}));
  // "<s>" in the text is plain text, never the control token.
  EXPECT_EQ(tokenizer_->encode("<s>", false), (std::vector<int32_t>{529, 29879, 29958}));
}

TEST_F(Llama2, DecodeLikeSentencepiece) {
  // Values from sentencepiece 0.1.97 (python3-sentencepiece) with this tokenizer.model.
  const auto decode = [&](std::vector<int32_t> ids) { return tokenizer_->decode(ids); };
  EXPECT_EQ(decode({29871, 29871, 15043}), "  Hello");  // only the first piece loses its "▁"
  EXPECT_EQ(decode({1, 29871, 15043}), " Hello");       // control pieces do not count
  EXPECT_EQ(decode({1, 1, 15043}), "Hello");
  EXPECT_EQ(decode({68, 15043}), "A Hello");                 // a byte piece starts the text
  EXPECT_EQ(decode({0, 15043}), " \xE2\x81\x87  Hello");     // UNK shows as " ⁇ "
  EXPECT_EQ(decode({1, 230, 15043}), "\xEF\xBF\xBD Hello");  // a lone byte is U+FFFD
  EXPECT_EQ(tokenizer_->decode(std::vector<int32_t>{1, 15043, 2}, false), "<s>Hello</s>");
  EXPECT_THROW(decode({32000}), Error);
  EXPECT_THROW(decode({-1}), Error);
}

TEST_F(Llama2, StreamingMatchesDecode) {
  const std::string text = "高アンモニア血症をきたす疾患はどれか。 Mallory-Weiss症候群 😀 done";
  const auto ids = tokenizer_->encode(text);
  StreamDecoder stream(*tokenizer_);
  std::string streamed;
  for (int32_t id : ids) {
    const std::string piece = stream.push(id);
    EXPECT_EQ(utf8::find_invalid(piece), std::string_view::npos);
    streamed += piece;
  }
  streamed += stream.flush();
  EXPECT_EQ(streamed, text);
  EXPECT_EQ(tokenizer_->decode(ids), text);
}

TEST_F(Llama2, InvalidUtf8IsAnError) {
  EXPECT_THROW(tokenizer_->encode("abc\xC3("), Error);
  EXPECT_THROW(tokenizer_->encode("\xED\xA0\x80"), Error);      // a surrogate
  EXPECT_THROW(tokenizer_->encode("\xF4\x90\x80\x80"), Error);  // beyond U+10FFFF
  EXPECT_THROW(tokenizer_->encode("\xE6\x97"), Error);          // truncated
  try {
    tokenizer_->encode("ok\xFFok");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("byte 2"), std::string::npos) << e.what();
  }
}

// --- Models trained by the fixture ------------------------------------------------------------

struct Text {
  std::string source;
  std::string text;
};

struct Reference {
  std::vector<int32_t> ids;
  std::string decoded;
};

const std::vector<Text>& texts() {
  static const std::vector<Text> loaded = [] {
    std::vector<Text> out;
    std::ifstream in(reference_dir() / "texts.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      const auto j = nlohmann::json::parse(line);
      out.push_back({j["source"].get<std::string>(), j["text"].get<std::string>()});
    }
    return out;
  }();
  return loaded;
}

std::vector<Reference> read_references(const std::string& model) {
  std::vector<Reference> out;
  std::ifstream in(reference_dir() / (model + ".jsonl"));
  std::string line;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    out.push_back({j["ids"].get<std::vector<int32_t>>(), j["decoded"].get<std::string>()});
  }
  return out;
}

class TrainedModel : public ::testing::TestWithParam<std::string> {};

TEST_P(TrainedModel, IdsAndDecodingEqualSentencepiece) {
  const std::string name = GetParam();
  const fs::path model = name == "llama2" ? llama2_model_path() : reference_dir() / (name + ".model");
  const auto tokenizer = SentencePieceTokenizer::from_file(model.string());
  const auto& inputs = texts();
  const auto references = read_references(name);
  ASSERT_GT(inputs.size(), 2500u);
  ASSERT_EQ(references.size(), inputs.size());
  std::map<std::string, int> checked;
  int id_mismatches = 0;
  int decode_mismatches = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto ids = tokenizer->encode(inputs[i].text, false);
    if (ids != references[i].ids && ++id_mismatches <= 5) {
      ADD_FAILURE() << name << " " << inputs[i].source << " text #" << i << " \"" << inputs[i].text
                    << "\"\n  normalized: \"" << tokenizer->normalize(inputs[i].text)
                    << "\"\n  expected:" << join_ids(references[i].ids) << "\n  actual:  " << join_ids(ids);
    }
    const std::string decoded = tokenizer->decode(references[i].ids);
    if (decoded != references[i].decoded && ++decode_mismatches <= 5) {
      ADD_FAILURE() << name << " decode of text #" << i << " ids" << join_ids(references[i].ids) << "\n  expected: \""
                    << references[i].decoded << "\"\n  actual:   \"" << decoded << "\"";
    }
    ++checked[inputs[i].source];
  }
  EXPECT_EQ(id_mismatches, 0);
  EXPECT_EQ(decode_mismatches, 0);
  EXPECT_EQ(checked["medqa"], 200);
  EXPECT_EQ(checked["random"], 300);
  EXPECT_GT(checked["igakuqa2018"], 2000);
}

std::vector<std::string> trained_model_names() {
  return {"unigram_bytes", "unigram_unk", "unigram_plain", "unigram_identity", "unigram_suffix", "unigram_unused",
          "bpe_bytes",     "bpe_unk",     "bpe_nodummy",   "bpe_unused",       "char",           "word",
          "unigram_rules", "llama2"};
}

INSTANTIATE_TEST_SUITE_P(Spm, TrainedModel, ::testing::ValuesIn(trained_model_names()),
                         [](const auto& param_info) { return param_info.param; });

TEST(TrainedModelSet, FixtureWroteEveryModel) {
  std::ifstream in(reference_dir() / "models.txt");
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);) names.push_back(line);
  auto expected = trained_model_names();
  std::sort(names.begin(), names.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(names, expected);
}

TEST(TrainedModelSet, ModelFeatures) {
  auto load = [](const std::string& name) {
    return SentencePieceTokenizer::from_file((reference_dir() / (name + ".model")).string());
  };
  const auto unk = load("unigram_unk");
  EXPECT_EQ(unk->proto().trainer_spec.unk_surface, "<?>");
  EXPECT_EQ(unk->pad_id(), 3);
  EXPECT_TRUE(unk->token_to_id("<ctl>").has_value());
  EXPECT_TRUE(unk->is_control(*unk->token_to_id("<ctl>")));
  EXPECT_FALSE(unk->proto().trainer_spec.byte_fallback);
  const auto identity = load("unigram_identity");
  EXPECT_EQ(identity->normalize("  a  b "),
            "\xE2\x96\x81\xE2\x96\x81"
            "a"
            "\xE2\x96\x81\xE2\x96\x81"
            "b"
            "\xE2\x96\x81");
  const auto suffix = load("unigram_suffix");
  EXPECT_TRUE(suffix->proto().trainer_spec.treat_whitespace_as_suffix);
  EXPECT_EQ(suffix->normalize(" Ab  c "),
            "ab\xE2\x96\x81"
            "c\xE2\x96\x81");
  const auto nfkc = load("unigram_bytes");
  EXPECT_EQ(nfkc->proto().normalizer_spec.name, "nmt_nfkc");
  EXPECT_EQ(nfkc->normalize("ｶﾞｲﾄﾞ　ＣＴ①"),
            "\xE2\x96\x81"
            "ガイド\xE2\x96\x81"
            "CT1");
  EXPECT_FALSE(nfkc->proto().normalizer_spec.precompiled_charsmap.empty());
}

// Encode speed on the IgakuQA 2018 texts (reported, not asserted).
TEST(TrainedModelSet, EncodeSpeed) {
  std::string corpus;
  for (const auto& t : texts()) {
    if (t.source == "igakuqa2018") corpus += t.text + "\n";
  }
  for (const std::string name : {"unigram_bytes", "bpe_bytes"}) {
    const auto tokenizer = SentencePieceTokenizer::from_file((reference_dir() / (name + ".model")).string());
    size_t tokens = 0;
    const auto start = std::chrono::steady_clock::now();
    int rounds = 0;
    double seconds = 0;
    do {
      for (const auto& t : texts()) {
        if (t.source == "igakuqa2018") tokens += tokenizer->encode(t.text, false).size();
      }
      ++rounds;
      seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    } while (seconds < 0.5);
    const double mb = static_cast<double>(corpus.size()) * rounds / 1e6;
    std::printf("[ speed    ] %s: %.2f MB/s on IgakuQA 2018 (%zu bytes, %zu tokens per pass, per text)\n", name.c_str(),
                mb / seconds, corpus.size(), tokens / rounds);
  }
  const auto llama = SentencePieceTokenizer::from_file(llama2_model_path().string());
  const auto start = std::chrono::steady_clock::now();
  int rounds = 0;
  double seconds = 0;
  do {
    for (const auto& t : texts()) {
      if (t.source == "igakuqa2018") llama->encode(t.text, false);
    }
    ++rounds;
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (seconds < 0.5);
  std::printf("[ speed    ] llama2 tokenizer.model: %.2f MB/s on IgakuQA 2018\n",
              static_cast<double>(corpus.size()) * rounds / 1e6 / seconds);
}

}  // namespace
}  // namespace medllm
