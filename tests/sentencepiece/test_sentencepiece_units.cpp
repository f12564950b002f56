// Unit tests of the SentencePiece parts: the .model reader on malformed input (every error is a
// medllm::Error, never a crash), the precompiled charsmap (Darts double array), the normalizer's
// whitespace rules, the Unigram and BPE models on hand-made vocabularies, and the byte trie.

#include <gtest/gtest.h>

#include <functional>
#include <medllm/error.hpp>
#include <random>

#include "proto_writer.hpp"
#include "support/test_support.hpp"
#include "tokenizer/sentencepiece/model_proto.hpp"
#include "tokenizer/sentencepiece/normalizer.hpp"
#include "tokenizer/sentencepiece/piece_trie.hpp"
#include "tokenizer/sentencepiece/precompiled_charsmap.hpp"
#include "tokenizer/sentencepiece/sentencepiece_tokenizer.hpp"
#include "tokenizer/sentencepiece/unigram.hpp"

namespace medllm {
namespace {

using namespace test;  // pb_* writers
using sentencepiece::PieceType;
using sentencepiece::VocabEntry;

const std::string kSpace = "\xE2\x96\x81";

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string parse_error(const std::string& bytes) {
  return error_of([&] { sentencepiece::parse_model_proto(bytes); });
}

// --- The .model reader ------------------------------------------------------------------------

TEST(ModelProto, ReadsATinyModel) {
  const std::string bytes = tiny_model({kSpace + "a", "b"}, pb_int(3, 2) + pb_int(4, 5) + pb_bytes(44, "??"),
                                       pb_bytes(1, "identity") + pb_int(3, 0) + pb_int(4, 0));
  const auto proto = sentencepiece::parse_model_proto(bytes);
  ASSERT_EQ(proto.pieces.size(), 5u);
  EXPECT_EQ(proto.pieces[0].type, PieceType::Unknown);
  EXPECT_EQ(proto.pieces[3].piece, kSpace + "a");
  EXPECT_FLOAT_EQ(proto.pieces[3].score, -1.5f);
  EXPECT_EQ(proto.trainer_spec.model_type, sentencepiece::ModelType::Bpe);
  EXPECT_EQ(proto.trainer_spec.vocab_size, 5);
  EXPECT_EQ(proto.trainer_spec.unk_surface, "??");
  EXPECT_EQ(proto.normalizer_spec.name, "identity");
  EXPECT_FALSE(proto.normalizer_spec.add_dummy_prefix);
  EXPECT_FALSE(proto.normalizer_spec.remove_extra_whitespaces);
  EXPECT_TRUE(proto.normalizer_spec.escape_whitespaces);
  EXPECT_FALSE(proto.denormalizer_spec.has_value());
}

TEST(ModelProto, SkipsUnknownFieldsOfEveryWireType) {
  std::string unknown = pb_int(99, 7) + pb_bytes(98, "xyz") + pb_float(97, 1.0f);
  unknown += pb_tag(96, 1) + std::string(8, '\x01');
  const std::string bytes = unknown + tiny_model({"a"}, pb_int(200, 1), pb_bytes(250, "ext")) + pb_bytes(4, "self");
  EXPECT_EQ(sentencepiece::parse_model_proto(bytes).pieces.size(), 4u);
}

TEST(ModelProto, NegativeInt32Fields) {
  const auto proto = sentencepiece::parse_model_proto(tiny_model({"a"}, pb_int(43, -1) + pb_int(41, -1)));
  EXPECT_EQ(proto.trainer_spec.pad_id, -1);
  EXPECT_EQ(proto.trainer_spec.bos_id, -1);
}

TEST(ModelProto, TruncatedAtEveryByteIsAnErrorOrAValidPrefix) {
  const std::string bytes = tiny_model({kSpace + "a", "b", "cd"}, pb_int(3, 2), pb_bytes(1, "identity"), true);
  int errors = 0;
  for (size_t n = 0; n < bytes.size(); ++n) {
    try {
      sentencepiece::parse_model_proto(bytes.substr(0, n));
    } catch (const Error&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, static_cast<int>(bytes.size()) * 9 / 10);
  EXPECT_NO_THROW(sentencepiece::parse_model_proto(bytes));
}

TEST(ModelProto, MalformedWireFormat) {
  const std::string good = tiny_model({"a"});
  EXPECT_NE(parse_error("\x0A").find("truncated length"), std::string::npos) << parse_error("\x0A");
  EXPECT_NE(parse_error("\x0A\x05\x0A\x01").find("only 2 bytes remain"), std::string::npos);
  EXPECT_NE(parse_error("\x08\x80").find("truncated varint"), std::string::npos) << parse_error("\x08\x80");
  EXPECT_NE(parse_error(std::string("\x08") + std::string(10, '\xFF') + "\x01").find("varint"), std::string::npos);
  EXPECT_NE(parse_error(good + pb_tag(5, 3)).find("wire type 3"), std::string::npos);
  EXPECT_NE(parse_error(good + pb_tag(5, 7)).find("wire type 7"), std::string::npos);
  EXPECT_NE(parse_error(std::string("\x00", 1)).find("field number 0"), std::string::npos);
  EXPECT_NE(parse_error(good + pb_tag(6, 5) + "ab").find("truncated 32-bit"), std::string::npos);
  EXPECT_NE(parse_error(good + pb_tag(6, 1) + "abc").find("truncated 64-bit"), std::string::npos);
}

TEST(ModelProto, WrongWireTypes) {
  EXPECT_NE(parse_error(pb_int(1, 5)).find("pieces"), std::string::npos) << parse_error(pb_int(1, 5));
  const std::string bad_score = pb_bytes(1, pb_bytes(1, "a") + pb_int(2, 3));
  EXPECT_NE(parse_error(bad_score).find("pieces[0].score"), std::string::npos) << parse_error(bad_score);
  EXPECT_NE(parse_error(tiny_model({"a"}, pb_bytes(3, "x"))).find("trainer_spec.model_type"), std::string::npos);
  EXPECT_NE(parse_error(tiny_model({"a"}, "", pb_int(2, 1))).find("normalizer_spec.precompiled_charsmap"),
            std::string::npos);
  EXPECT_NE(parse_error(tiny_model({"a"}, pb_float(35, 1))).find("byte_fallback"), std::string::npos);
  EXPECT_NE(parse_error(tiny_model({"a"}) + pb_int(2, 1)).find("trainer_spec"), std::string::npos);
}

TEST(ModelProto, BadEnums) {
  EXPECT_NE(parse_error(pb_bytes(1, pb_bytes(1, "a") + pb_int(3, 7))).find("not a piece type"), std::string::npos);
  EXPECT_NE(parse_error(pb_bytes(1, pb_bytes(1, "a") + pb_int(3, 0))).find("not a piece type"), std::string::npos);
  EXPECT_NE(parse_error(pb_bytes(1, pb_bytes(1, "a") + pb_int(3, -1))).find("not a piece type"), std::string::npos);
  EXPECT_NE(parse_error(tiny_model({"a"}, pb_int(3, 5))).find("not a model type"), std::string::npos);
}

TEST(ModelProto, BadVocabularies) {
  EXPECT_NE(parse_error("").find("no pieces"), std::string::npos);
  EXPECT_NE(parse_error(pb_bytes(2, "")).find("no pieces"), std::string::npos);
  EXPECT_NE(parse_error(tiny_model({"a", "b", "a"})).find("\"a\" is already defined"), std::string::npos);
  EXPECT_NE(parse_error(tiny_model({""})).find("is empty"), std::string::npos);
  EXPECT_NE(parse_error(tiny_model({std::string("a\0b", 3)})).find("NUL"), std::string::npos);
  EXPECT_NE(parse_error(pb_piece("a", 0)).find("no UNKNOWN piece"), std::string::npos);
  EXPECT_NE(parse_error(pb_piece("<unk>", 0, 2) + pb_piece("<unk2>", 0, 2)).find("second UNKNOWN"), std::string::npos);
  EXPECT_NE(parse_error(pb_piece("<unk>", 0, 2) + pb_piece("<0x41>", 0, 6)).find("byte_fallback is false"),
            std::string::npos);
  EXPECT_NE(parse_error(pb_piece("<unk>", 0, 2) + pb_piece("<0x4G>", 0, 6) + pb_bytes(2, pb_int(35, 1)))
                .find("not of the form"),
            std::string::npos);
  EXPECT_NE(parse_error(pb_piece("<unk>", 0, 2) + pb_piece("<0x41>", 0, 6) + pb_bytes(2, pb_int(35, 1)))
                .find("BYTE piece <0x00> is missing"),
            std::string::npos);
  // A control piece may share its text with a normal piece (sentencepiece keeps them apart).
  EXPECT_NO_THROW(sentencepiece::parse_model_proto(tiny_model({"<s>"})));
}

TEST(ModelProto, FilesAndContext) {
  const auto dir = fresh_temp_dir("files");
  const std::string message = error_of([&] { SentencePieceTokenizer::from_file((dir / "missing.model").string()); });
  EXPECT_NE(message.find("missing.model"), std::string::npos) << message;
  write_file(dir / "broken.model", tiny_model({"a"}).substr(0, 20));
  const std::string broken = error_of([&] { SentencePieceTokenizer::from_file((dir / "broken.model").string()); });
  EXPECT_NE(broken.find("broken.model: "), std::string::npos) << broken;
  write_file(dir / "empty.model", "");
  EXPECT_THROW(SentencePieceTokenizer::from_file((dir / "empty.model").string()), Error);
}

TEST(ModelProto, CorruptTrainedModelsNeverCrash) {
  // Random byte flips and truncations of a real model (the Llama-2 tokenizer): each either loads
  // (and then encodes/decodes without crashing) or is an Error.
  const std::string original =
      read_file(shared_data("tokenizer-vectors/llama2-tokenizer/tokenizer.model")).substr(0, 60000);
  std::mt19937 rng(1234);
  int loaded = 0;
  for (int round = 0; round < 300; ++round) {
    std::string bytes = original;
    const int flips = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < flips; ++i) bytes[rng() % bytes.size()] = static_cast<char>(rng() & 0xFF);
    if (round % 3 == 0) bytes.resize(rng() % bytes.size());
    try {
      const auto tokenizer = SentencePieceTokenizer::from_bytes(bytes, {});
      ++loaded;
      const auto ids = tokenizer->encode("Hello 医師 world");
      (void)tokenizer->decode(ids);
    } catch (const Error&) {
    }
  }
  SUCCEED() << loaded << " corrupt variants still loaded";
}

// --- Precompiled charsmap ---------------------------------------------------------------------

// Builds a darts-clone double array by hand for a few keys (the layout sentencepiece writes),
// so the lookup is tested independently of the trained models.
struct TinyDarts {
  std::vector<uint32_t> units;
  // unit helpers: label in bits 0-7, has_leaf bit 8, offset in bits 10-31.
  static uint32_t node(uint8_t label, uint32_t offset, bool has_leaf) {
    return label | (has_leaf ? 1u << 8 : 0u) | (offset << 10);
  }
  static uint32_t leaf(uint32_t value) { return value | (1u << 31); }
};

std::string charsmap_blob(const std::vector<uint32_t>& units, const std::string& strings) {
  std::string blob;
  const uint32_t size = static_cast<uint32_t>(units.size() * 4);
  for (int i = 0; i < 4; ++i) blob += static_cast<char>((size >> (8 * i)) & 0xFF);
  for (uint32_t unit : units) {
    for (int i = 0; i < 4; ++i) blob += static_cast<char>((unit >> (8 * i)) & 0xFF);
  }
  return blob + strings;
}

// Keys "a" -> "X" (offset 0) and "ab" -> "" (offset 2); strings "X\0\0".
std::string hand_made_blob() {
  // root at 0 with offset 1: child 'a' at 1 ^ 'a' = 0x60.
  std::vector<uint32_t> units(512, 0);
  units[0] = TinyDarts::node(0, 1, false);
  // node 'a' at 0x60: offset o1 so that its leaf is at 0x60 ^ o1 and child 'b' at (0x60 ^ o1) ^ 'b'.
  const uint32_t a_pos = 1 ^ 'a';
  const uint32_t a_offset = 0x100;
  units[a_pos] = TinyDarts::node('a', a_offset, true);
  const uint32_t a_base = a_pos ^ a_offset;
  units[a_base] = TinyDarts::leaf(0);  // value of "a"
  const uint32_t b_pos = a_base ^ 'b';
  const uint32_t b_offset = 0x80;
  units[b_pos] = TinyDarts::node('b', b_offset, true);
  units[b_pos ^ b_offset] = TinyDarts::leaf(2);  // value of "ab"
  return charsmap_blob(units, std::string("X\0\0", 3));
}

TEST(PrecompiledCharsMap, HandMadeDoubleArray) {
  const sentencepiece::PrecompiledCharsMap map(hand_made_blob());
  EXPECT_EQ(map.trie_units(), 512u);
  const auto a = map.longest_match("ac");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->length, 1u);
  EXPECT_EQ(a->replacement, "X");
  const auto ab = map.longest_match("abc");
  ASSERT_TRUE(ab);
  EXPECT_EQ(ab->length, 2u);
  EXPECT_EQ(ab->replacement, "");
  const auto shortest = map.shortest_match("abc");
  ASSERT_TRUE(shortest);
  EXPECT_EQ(shortest->length, 1u);
  EXPECT_FALSE(map.longest_match("b"));
  EXPECT_FALSE(map.longest_match(""));
  EXPECT_EQ(map.apply("cabaab"), "cX");  // c, then ab -> "", a -> "X", ab -> ""
}

TEST(PrecompiledCharsMap, BrokenBlobs) {
  EXPECT_THROW(sentencepiece::PrecompiledCharsMap(""), Error);
  EXPECT_THROW(sentencepiece::PrecompiledCharsMap(std::string("\x04\0\0\0", 4)), Error);
  EXPECT_THROW(sentencepiece::PrecompiledCharsMap(std::string("\xFF\0\0\0abc", 7)), Error);
  // A replacement offset beyond the string table is an Error when used, not a wild read.
  std::vector<uint32_t> units(512, 0);
  units[0] = TinyDarts::node(0, 1, false);
  units[1 ^ 'a'] = TinyDarts::node('a', 0x100, true);
  units[(1 ^ 'a') ^ 0x100] = TinyDarts::leaf(1000);
  const sentencepiece::PrecompiledCharsMap map(charsmap_blob(units, "x"));
  EXPECT_THROW(map.longest_match("a"), Error);
  // Offsets pointing anywhere in the array never read outside it.
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::vector<uint32_t> noise(64);
    for (auto& u : noise) u = rng();
    const sentencepiece::PrecompiledCharsMap random_map(charsmap_blob(noise, std::string("ab\0cd\0", 6)));
    std::string text;
    for (int i = 0; i < 16; ++i) text += static_cast<char>(rng() & 0xFF);
    try {
      (void)random_map.apply(text);
    } catch (const Error&) {
    }
  }
}

TEST(PrecompiledCharsMap, Llama2HasNone) {
  const auto tokenizer =
      SentencePieceTokenizer::from_file(shared_data("tokenizer-vectors/llama2-tokenizer/tokenizer.model").string());
  EXPECT_TRUE(tokenizer->proto().normalizer_spec.precompiled_charsmap.empty());
}

// --- Normalizer ---------------------------------------------------------------------------------

std::string normalize(const sentencepiece::NormalizerOptions& options, const std::string& text,
                      const sentencepiece::PieceTrie* user = nullptr) {
  const sentencepiece::Normalizer normalizer(std::nullopt, options, user);
  return normalizer.normalize(text);
}

TEST(Normalizer, WhitespaceRules) {
  sentencepiece::NormalizerOptions defaults;
  EXPECT_EQ(normalize(defaults, "  a  b  "), kSpace + "a" + kSpace + "b");
  EXPECT_EQ(normalize(defaults, "   "), "");
  EXPECT_EQ(normalize(defaults, ""), "");
  EXPECT_EQ(normalize(defaults, "a" + kSpace), kSpace + "a");  // a literal ▁ at the end goes too
  sentencepiece::NormalizerOptions keep;
  keep.remove_extra_whitespaces = false;
  EXPECT_EQ(normalize(keep, " a  b "), kSpace + kSpace + "a" + kSpace + kSpace + "b" + kSpace);
  sentencepiece::NormalizerOptions no_prefix;
  no_prefix.add_dummy_prefix = false;
  EXPECT_EQ(normalize(no_prefix, " a b "), "a" + kSpace + "b");
  sentencepiece::NormalizerOptions suffix;
  suffix.treat_whitespace_as_suffix = true;
  EXPECT_EQ(normalize(suffix, " a b "), "a" + kSpace + "b" + kSpace);
  sentencepiece::NormalizerOptions raw;
  raw.escape_whitespaces = false;
  EXPECT_EQ(normalize(raw, " a  b "), " a b");
}

TEST(Normalizer, UserDefinedSymbolsAreNotNormalized) {
  sentencepiece::PieceTrie user;
  user.insert("a b", 10);
  sentencepiece::NormalizerOptions keep;
  keep.remove_extra_whitespaces = false;
  keep.add_dummy_prefix = false;
  EXPECT_EQ(normalize(keep, "xa bx", &user), "xa" + kSpace + "bx");
  // With the hand-made charsmap "a" -> "X": the user symbol wins where it starts.
  const sentencepiece::Normalizer normalizer(sentencepiece::PrecompiledCharsMap(hand_made_blob()), keep, &user);
  EXPECT_EQ(normalizer.normalize("a ba"), "a" + kSpace + "bX");
}

// --- Models on hand-made vocabularies -----------------------------------------------------------

std::unique_ptr<SentencePieceTokenizer> tiny(const std::vector<std::string>& pieces, std::string trainer = "",
                                             std::string normalizer = "", bool bytes = false) {
  return SentencePieceTokenizer::from_bytes(tiny_model(pieces, std::move(trainer), std::move(normalizer), bytes), {});
}

TEST(Unigram, ViterbiPicksTheBestScoreAndFusesUnknowns) {
  // scores: ▁ab -1.5, ▁ -2, a -2.5, b -3, ab -3.5
  const auto t = tiny({kSpace + "ab", kSpace, "a", "b", "ab"});
  EXPECT_EQ(t->encode("ab", false), (std::vector<int32_t>{3}));
  EXPECT_EQ(t->encode("abab", false), (std::vector<int32_t>{3, 7}));
  // x, y are unknown: one fused UNK for "xy"
  EXPECT_EQ(t->encode("xyab", false), (std::vector<int32_t>{4, 0, 7}));
  EXPECT_EQ(t->decode(std::vector<int32_t>{4, 0, 7}), " \xE2\x81\x87 ab");
}

TEST(Unigram, ByteFallback) {
  const auto t = tiny({kSpace, "a"}, "", "", true);
  // ▁ a then "é" = C3 A9 as byte pieces (ids 3 + byte)
  EXPECT_EQ(t->encode("a\xC3\xA9", false), (std::vector<int32_t>{259, 260, 3 + 0xC3, 3 + 0xA9}));
  EXPECT_EQ(t->decode(t->encode("a\xC3\xA9")), "a\xC3\xA9");
}

TEST(Unigram, ModelClassFromPlainVocabulary) {
  // The interface a tokenizer.json Unigram loader uses: (piece, score) + unk id + byte fallback.
  std::vector<VocabEntry> vocab = {{"<unk>", 0, PieceType::Normal}, {"a", -1}, {"b", -1}, {"ab", -1.5}};
  const sentencepiece::UnigramModel model(vocab, 0, false);
  std::vector<int32_t> ids;
  model.encode("abba", ids);
  EXPECT_EQ(ids, (std::vector<int32_t>{3, 2, 1}));
  EXPECT_FLOAT_EQ(model.min_score(), -1.5f);
  EXPECT_THROW(sentencepiece::UnigramModel(vocab, 4, false), Error);
  EXPECT_THROW(sentencepiece::UnigramModel({}, 0, false), Error);
}

TEST(Bpe, MergesByScoreLeftmostFirst) {
  // BPE (model_type 2): merges "▁a" (-1.5) before "ab" (-2) before "▁ab" ...
  const auto t = tiny({kSpace + "a", "ab", kSpace + "ab", kSpace, "a", "b"}, pb_int(3, 2));
  EXPECT_EQ(t->encode("ab", false), (std::vector<int32_t>{5}));  // ▁a + b -> ▁ab
  EXPECT_EQ(t->encode("b", false), (std::vector<int32_t>{6, 8}));
  EXPECT_EQ(t->encode("xb", false), (std::vector<int32_t>{6, 0, 8}));
  EXPECT_EQ(t->encode("xyb", false), (std::vector<int32_t>{6, 0, 8}));  // fused UNK
}

TEST(Bpe, UnusedPiecesAreSplitBack) {
  // "▁ab" is UNUSED: the merge still happens, then it is split into its recorded halves.
  std::string model = pb_piece("<unk>", 0, 2) + pb_piece(kSpace + "a", -1) + pb_piece(kSpace + "ab", -2, 5) +
                      pb_piece(kSpace, -3) + pb_piece("a", -4) + pb_piece("b", -5);
  model += pb_bytes(2, pb_int(3, 2));
  const auto t = SentencePieceTokenizer::from_bytes(model, {});
  EXPECT_EQ(t->encode("ab", false), (std::vector<int32_t>{1, 5}));
}

TEST(Tokenizer, WordAndCharModels) {
  const auto word = tiny({kSpace + "hello", kSpace + "world"}, pb_int(3, 3));
  EXPECT_EQ(word->encode("hello world there you", false), (std::vector<int32_t>{3, 4, 0}));
  const auto chars = tiny({kSpace, "a", "b"}, pb_int(3, 4));
  EXPECT_EQ(chars->encode("ab c", false), (std::vector<int32_t>{3, 4, 5, 3, 0}));
}

TEST(Tokenizer, TextPieceSpelledLikeAControlPiece) {
  // Checked with sentencepiece 0.1.97: "<s>" matches the text piece when encoding, but decoding
  // looks ids up again by their piece, so id 5 decodes as the control <s>.
  const auto t = tiny({kSpace, "a", "<s>"});
  EXPECT_EQ(t->encode("a<s>", false), (std::vector<int32_t>{3, 4, 5}));
  EXPECT_EQ(t->decode(std::vector<int32_t>{4, 5, 4}), "aa");
  EXPECT_EQ(t->token_to_id("<s>"), 1);
}

TEST(Tokenizer, EmptyAndWhitespaceOnly) {
  const auto t = tiny({kSpace, "a"});
  EXPECT_TRUE(t->encode("", false).empty());
  EXPECT_TRUE(t->encode("   ", false).empty());
  EXPECT_EQ(t->encode("   ", true), (std::vector<int32_t>{1}));
  EXPECT_EQ(t->decode(std::vector<int32_t>{}), "");
}

// --- Byte trie ------------------------------------------------------------------------------------

TEST(PieceTrie, PrefixesExactAndGrowth) {
  sentencepiece::PieceTrie trie;
  EXPECT_TRUE(trie.empty());
  std::vector<std::string> keys;
  for (int i = 0; i < 5000; ++i) keys.push_back(std::string(1, 'k').append(std::to_string(i * 7919 % 100000)));
  for (size_t i = 0; i < keys.size(); ++i) EXPECT_TRUE(trie.insert(keys[i], static_cast<int32_t>(i)));
  EXPECT_FALSE(trie.insert(keys[3], 99));
  for (size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(trie.find(keys[i]), static_cast<int32_t>(i));
  EXPECT_EQ(trie.find("k"), -1);
  EXPECT_EQ(trie.find("nope"), -1);
  sentencepiece::PieceTrie small;
  small.insert("a", 1);
  small.insert("abc", 2);
  small.insert("abcd", 3);
  std::vector<std::pair<size_t, int32_t>> found;
  small.for_each_prefix("abcde", [&](size_t length, int32_t value) { found.emplace_back(length, value); });
  EXPECT_EQ(found, (std::vector<std::pair<size_t, int32_t>>{{1, 1}, {3, 2}, {4, 3}}));
  EXPECT_EQ(small.longest_prefix("abcx"), 3u);
  EXPECT_EQ(small.longest_prefix("x"), 0u);
}

}  // namespace
}  // namespace medllm
