#pragma once
// A Tokenizer over a SentencePiece `.model` file, behaving as the sentencepiece library does:
// its normalizer (precompiled charsmap, whitespace rules, user-defined symbols), its model
// (Unigram, BPE, WORD or CHAR), byte fallback, UNK fusing, and its decoder (byte pieces
// reassembled, the dummy-prefix space dropped, UNK shown as the model's unk_surface).

#include <medllm/tokenizer.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/sentencepiece/model_proto.hpp"
#include "tokenizer/sentencepiece/normalizer.hpp"
#include "tokenizer/sentencepiece/piece_trie.hpp"

namespace medllm::sentencepiece {
class UnigramModel;
class BpeModel;
}  // namespace medllm::sentencepiece

namespace medllm {

class SentencePieceTokenizer final : public Tokenizer {
 public:
  struct Options {
    bool add_bos = true;   // encode(text, add_special=true) starts with <s> (Llama does)
    bool add_eos = false;  // ... and ends with </s>
  };

  // Reads a .model file; errors name the path.
  static std::unique_ptr<SentencePieceTokenizer> from_file(const std::string& path, Options options);
  static std::unique_ptr<SentencePieceTokenizer> from_file(const std::string& path) { return from_file(path, {}); }
  // Parses the bytes of a .model file; errors are prefixed with `source`.
  static std::unique_ptr<SentencePieceTokenizer> from_bytes(std::string_view bytes, Options options,
                                                            const std::string& source = "tokenizer.model");

  SentencePieceTokenizer(sentencepiece::ModelProto proto, Options options);
  ~SentencePieceTokenizer() override;

  std::vector<int32_t> encode(std::string_view text, bool add_special = true) const override;
  std::string token_bytes(int32_t id, bool at_start) const override;
  std::string token_text(int32_t id) const override;
  bool is_control(int32_t id) const override;
  int64_t vocab_size() const override { return static_cast<int64_t>(proto_.pieces.size()); }
  std::optional<int32_t> token_to_id(std::string_view token) const override;

  // Exactly sentencepiece's DecodeIds (with skip_control): runs of byte pieces reassembled (one
  // U+FFFD per invalid byte), the leading "▁" dropped from every piece while the decoded text is
  // still empty (token_bytes' at_start can only drop it from the first piece: they differ when
  // the first piece is a lone "▁"), UNK as unk_surface, and the model's denormalizer, if any.
  // Without skip_control, control pieces appear as their text. Ids outside the vocabulary are
  // an Error.
  std::string decode(std::span<const int32_t> ids, bool skip_control = true) const override;

  // The normalizer's output for text (with "▁" for spaces and the dummy prefix).
  std::string normalize(std::string_view text) const;
  // sentencepiece's PieceToId (UNKNOWN/CONTROL/BYTE pieces first, then text pieces; else unk).
  int32_t piece_to_id(std::string_view piece) const;
  int32_t unk_id() const { return unk_id_; }
  std::optional<int32_t> pad_id() const { return pad_id_; }
  const sentencepiece::ModelProto& proto() const { return proto_; }
  const Options& options() const { return options_; }

 private:
  std::vector<int32_t> encode_normalized(std::string_view normalized) const;
  void encode_words(std::string_view normalized, std::vector<int32_t>& out) const;
  void encode_chars(std::string_view normalized, std::vector<int32_t>& out) const;
  std::string decode_piece(int32_t id, bool strip_leading_space) const;

  sentencepiece::ModelProto proto_;
  Options options_;
  sentencepiece::PieceTrie text_pieces_;      // NORMAL, USER_DEFINED, UNUSED
  sentencepiece::PieceTrie reserved_pieces_;  // UNKNOWN, CONTROL, BYTE
  sentencepiece::PieceTrie user_defined_;
  std::unique_ptr<sentencepiece::Normalizer> normalizer_;
  std::unique_ptr<sentencepiece::Normalizer> denormalizer_;
  std::unique_ptr<sentencepiece::UnigramModel> unigram_;
  std::unique_ptr<sentencepiece::BpeModel> bpe_;
  int32_t unk_id_ = 0;
  std::optional<int32_t> pad_id_;
  bool strip_bos_space_ = true;
};

}  // namespace medllm
