#include "tokenizer/sentencepiece/sentencepiece_tokenizer.hpp"

#include "core/error.hpp"
#include "core/mapped_file.hpp"
#include "core/utf8.hpp"
#include "tokenizer/sentencepiece/bpe.hpp"
#include "tokenizer/sentencepiece/unigram.hpp"

namespace medllm {

using sentencepiece::kSpaceSymbol;
using sentencepiece::ModelType;
using sentencepiece::PieceType;

namespace {

sentencepiece::NormalizerOptions normalizer_options(const sentencepiece::NormalizerSpec& spec,
                                                    bool treat_whitespace_as_suffix) {
  sentencepiece::NormalizerOptions options;
  options.add_dummy_prefix = spec.add_dummy_prefix;
  options.remove_extra_whitespaces = spec.remove_extra_whitespaces;
  options.escape_whitespaces = spec.escape_whitespaces;
  options.treat_whitespace_as_suffix = treat_whitespace_as_suffix;
  return options;
}

std::optional<sentencepiece::PrecompiledCharsMap> charsmap_of(const sentencepiece::NormalizerSpec& spec,
                                                              const char* what) {
  if (spec.precompiled_charsmap.empty()) return std::nullopt;
  return with_context(what, [&] { return sentencepiece::PrecompiledCharsMap(spec.precompiled_charsmap); });
}

}  // namespace

std::unique_ptr<SentencePieceTokenizer> SentencePieceTokenizer::from_file(const std::string& path, Options options) {
  const MappedFile file(path);
  const std::string_view bytes(reinterpret_cast<const char*>(file.data()), file.size());
  return from_bytes(bytes, options, path);
}

std::unique_ptr<SentencePieceTokenizer> SentencePieceTokenizer::from_bytes(std::string_view bytes, Options options,
                                                                           const std::string& source) {
  return with_context(source, [&] {
    return std::make_unique<SentencePieceTokenizer>(sentencepiece::parse_model_proto(bytes), options);
  });
}

SentencePieceTokenizer::SentencePieceTokenizer(sentencepiece::ModelProto proto, Options options)
    : proto_(std::move(proto)), options_(options) {
  sentencepiece::validate_model_proto(proto_);
  const auto& pieces = proto_.pieces;
  unk_id_ = -1;
  for (size_t i = 0; i < pieces.size(); ++i) {
    const auto id = static_cast<int32_t>(i);
    const auto& entry = pieces[i];
    (sentencepiece::is_text_piece(entry.type) ? text_pieces_ : reserved_pieces_).insert(entry.piece, id);
    if (entry.type == PieceType::UserDefined) user_defined_.insert(entry.piece, id);
    if (entry.type == PieceType::Unknown && unk_id_ < 0) unk_id_ = id;
  }
  if (unk_id_ < 0) fail("the model has no UNKNOWN piece");

  // sentencepiece's bos_id()/eos_id()/pad_id(): the id of the piece named by trainer_spec, if
  // that piece is a CONTROL piece.
  auto control_id = [&](const std::string& name) -> std::optional<int32_t> {
    const int32_t id = piece_to_id(name);
    if (pieces[static_cast<size_t>(id)].type == PieceType::Control) return id;
    return std::nullopt;
  };
  bos_id_ = control_id(proto_.trainer_spec.bos_piece);
  eos_id_ = control_id(proto_.trainer_spec.eos_piece);
  pad_id_ = control_id(proto_.trainer_spec.pad_piece);

  const auto& spec = proto_.normalizer_spec;
  normalizer_ = std::make_unique<sentencepiece::Normalizer>(
      charsmap_of(spec, "normalizer_spec.precompiled_charsmap"),
      normalizer_options(spec, proto_.trainer_spec.treat_whitespace_as_suffix),
      user_defined_.empty() ? nullptr : &user_defined_);
  if (proto_.denormalizer_spec && !proto_.denormalizer_spec->precompiled_charsmap.empty()) {
    denormalizer_ = std::make_unique<sentencepiece::Normalizer>(
        charsmap_of(*proto_.denormalizer_spec, "denormalizer_spec.precompiled_charsmap"),
        normalizer_options(*proto_.denormalizer_spec, false));
  }
  strip_bos_space_ = spec.add_dummy_prefix || spec.remove_extra_whitespaces;

  const bool byte_fallback = proto_.trainer_spec.byte_fallback;
  switch (proto_.trainer_spec.model_type) {
    case ModelType::Unigram:
      unigram_ = std::make_unique<sentencepiece::UnigramModel>(pieces, unk_id_, byte_fallback);
      break;
    case ModelType::Bpe:
      bpe_ = std::make_unique<sentencepiece::BpeModel>(pieces, unk_id_, byte_fallback);
      break;
    case ModelType::Word:
    case ModelType::Char:
      break;
  }
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

int32_t SentencePieceTokenizer::piece_to_id(std::string_view piece) const {
  const int32_t reserved = reserved_pieces_.find(piece);
  if (reserved >= 0) return reserved;
  const int32_t id = text_pieces_.find(piece);
  return id >= 0 ? id : unk_id_;
}

std::string SentencePieceTokenizer::normalize(std::string_view text) const {
  utf8::require_valid(text, "text to normalize");
  return normalizer_->normalize(text);
}

namespace {

// The SentencePieceProcessor's treatment of a model's (piece, id) results: UNK pieces become
// byte pieces with byte fallback, otherwise runs of UNK fuse into one.
class ResultSink {
 public:
  ResultSink(std::vector<int32_t>& out, const SentencePieceTokenizer& tokenizer)
      : out_(out),
        tokenizer_(tokenizer),
        unk_id_(tokenizer.unk_id()),
        byte_fallback_(tokenizer.proto().trainer_spec.byte_fallback) {}

  void add(std::string_view piece, int32_t id) {
    const bool is_unk = id == unk_id_;
    if (is_unk && byte_fallback_) {
      for (char c : piece) out_.push_back(tokenizer_.piece_to_id(sentencepiece::byte_piece(static_cast<uint8_t>(c))));
    } else if (!(is_unk && previous_unk_)) {
      out_.push_back(id);
    }
    previous_unk_ = is_unk;
  }

 private:
  std::vector<int32_t>& out_;
  const SentencePieceTokenizer& tokenizer_;
  int32_t unk_id_;
  bool byte_fallback_;
  bool previous_unk_ = false;
};

}  // namespace

void SentencePieceTokenizer::encode_words(std::string_view normalized, std::vector<int32_t>& out) const {
  // sentencepiece's SplitIntoWords(text): a new word starts at the beginning and at every "▁".
  ResultSink sink(out, *this);
  size_t word_begin = 0;
  for (size_t pos = 0; pos < normalized.size();) {
    const size_t length = std::min(sentencepiece::one_char_len(normalized[pos]), normalized.size() - pos);
    if (pos > 0 && normalized.substr(pos, length) == kSpaceSymbol) {
      const std::string_view word = normalized.substr(word_begin, pos - word_begin);
      sink.add(word, piece_to_id(word));
      word_begin = pos;
    }
    pos += length;
  }
  if (word_begin < normalized.size()) {
    const std::string_view word = normalized.substr(word_begin);
    sink.add(word, piece_to_id(word));
  }
}

void SentencePieceTokenizer::encode_chars(std::string_view normalized, std::vector<int32_t>& out) const {
  ResultSink sink(out, *this);
  while (!normalized.empty()) {
    size_t length = user_defined_.empty() ? 0 : user_defined_.longest_prefix(normalized);
    if (length == 0) length = std::min(sentencepiece::one_char_len(normalized[0]), normalized.size());
    const std::string_view piece = normalized.substr(0, length);
    sink.add(piece, piece_to_id(piece));
    normalized.remove_prefix(length);
  }
}

std::vector<int32_t> SentencePieceTokenizer::encode_normalized(std::string_view normalized) const {
  std::vector<int32_t> ids;
  if (unigram_) {
    unigram_->encode(normalized, ids);
  } else if (bpe_) {
    bpe_->encode(normalized, ids);
  } else if (proto_.trainer_spec.model_type == ModelType::Word) {
    encode_words(normalized, ids);
  } else {
    encode_chars(normalized, ids);
  }
  return ids;
}

std::vector<int32_t> SentencePieceTokenizer::encode(std::string_view text, bool add_special) const {
  utf8::require_valid(text, "text to tokenize");
  std::vector<int32_t> out;
  if (add_special && options_.add_bos && bos_id_) out.push_back(*bos_id_);
  const std::vector<int32_t> ids = encode_normalized(normalizer_->normalize(text));
  out.insert(out.end(), ids.begin(), ids.end());
  if (add_special && options_.add_eos && eos_id_) out.push_back(*eos_id_);
  return out;
}

std::string SentencePieceTokenizer::decode_piece(int32_t id, bool strip_leading_space) const {
  const auto& entry = proto_.pieces[static_cast<size_t>(id)];
  switch (entry.type) {
    case PieceType::Control:
      return "";
    case PieceType::Unknown:
      return proto_.trainer_spec.unk_surface;
    case PieceType::Byte:
      return std::string(1, static_cast<char>(sentencepiece::byte_piece_value(entry.piece)));
    default:
      break;
  }
  std::string_view piece = entry.piece;
  if (strip_leading_space && strip_bos_space_ && piece.substr(0, kSpaceSymbol.size()) == kSpaceSymbol) {
    piece.remove_prefix(kSpaceSymbol.size());
  }
  return sentencepiece::with_spaces(piece);
}

std::string SentencePieceTokenizer::token_bytes(int32_t id, bool at_start) const {
  if (id < 0 || static_cast<size_t>(id) >= proto_.pieces.size()) fail("token id {} is outside the vocabulary", id);
  return decode_piece(id, at_start);
}

std::string SentencePieceTokenizer::token_text(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= proto_.pieces.size()) fail("token id {} is outside the vocabulary", id);
  return proto_.pieces[static_cast<size_t>(id)].piece;
}

bool SentencePieceTokenizer::is_control(int32_t id) const {
  return id >= 0 && static_cast<size_t>(id) < proto_.pieces.size() &&
         proto_.pieces[static_cast<size_t>(id)].type == PieceType::Control;
}

std::optional<int32_t> SentencePieceTokenizer::token_to_id(std::string_view token) const {
  const int32_t reserved = reserved_pieces_.find(token);
  if (reserved >= 0) return reserved;
  const int32_t id = text_pieces_.find(token);
  if (id >= 0) return id;
  return std::nullopt;
}

std::string SentencePieceTokenizer::decode(std::span<const int32_t> ids, bool skip_control) const {
  // sentencepiece's Decode: byte pieces are collected and turned into text when a run ends; a
  // leading "▁" is dropped while we are still at the start of the text: nothing decoded yet and
  // no "▁" dropped yet (with remove_extra_whitespaces, every leading "▁" piece loses its "▁").
  std::string text;
  std::string bytes;
  bool empty = true;  // nothing but control pieces decoded so far
  auto flush_bytes = [&] {
    if (bytes.empty()) return;
    text += utf8::sanitize(bytes);  // one U+FFFD per invalid byte, as sentencepiece does
    bytes.clear();
    empty = false;
  };
  const bool remove_extra_whitespaces = proto_.normalizer_spec.remove_extra_whitespaces;
  bool at_start = true;
  bool dropped_space = false;
  for (int32_t given : ids) {
    if (given < 0 || static_cast<size_t>(given) >= proto_.pieces.size()) {
      fail("token id {} is outside the vocabulary", given);
    }
    // sentencepiece decodes ids via their pieces and looks the ids up again (PieceToId): a text
    // piece spelled like a reserved one decodes as the reserved one.
    const int32_t id = piece_to_id(proto_.pieces[static_cast<size_t>(given)].piece);
    const auto& entry = proto_.pieces[static_cast<size_t>(id)];
    if (entry.type == PieceType::Byte) {
      bytes += static_cast<char>(sentencepiece::byte_piece_value(entry.piece));
      continue;
    }
    flush_bytes();
    if (dropped_space || !empty) at_start = false;
    if (entry.type == PieceType::Control) {
      if (!skip_control) text += entry.piece;  // shown, but the text still counts as empty
      dropped_space = false;
      continue;
    }
    const bool drops = at_start && strip_bos_space_ && entry.type != PieceType::Unknown &&
                       std::string_view(entry.piece).substr(0, kSpaceSymbol.size()) == kSpaceSymbol;
    const std::string piece = decode_piece(id, at_start);
    text += piece;
    if (!piece.empty()) empty = false;
    dropped_space = drops && !remove_extra_whitespaces;
  }
  flush_bytes();
  if (denormalizer_) text = denormalizer_->normalize(text);
  return text;
}

}  // namespace medllm
