#include "tokenizer/gguf_sentencepiece.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/json_fields.hpp"
#include "core/json_file.hpp"
#include "core/utf8.hpp"
#include "tokenizer/byte_level.hpp"
#include "tokenizer/sentencepiece/bpe_merge.hpp"
#include "tokenizer/sentencepiece/vocab.hpp"

namespace medllm {

GgufSentencePieceTokenizer::GgufSentencePieceTokenizer(std::vector<std::string> pieces, std::vector<float> scores,
                                                       std::vector<TokenType> types, std::optional<int32_t> bos,
                                                       std::optional<int32_t> eos, std::optional<int32_t> unk,
                                                       Options options)
    : pieces_(std::move(pieces)),
      scores_(std::move(scores)),
      types_(std::move(types)),
      unk_id_(unk),
      options_(options) {
  bos_id_ = bos;
  eos_id_ = eos;
  std::fill(std::begin(byte_ids_), std::end(byte_ids_), -1);
  for (size_t i = 0; i < pieces_.size(); ++i) {
    const auto id = static_cast<int32_t>(i);
    if (types_[i] == TokenType::Byte) {
      const int byte = byte_level::parse_byte_token(pieces_[i]);
      if (byte >= 0) byte_ids_[byte] = id;
      continue;
    }
    ids_.emplace(pieces_[i], id);  // the first of duplicate pieces wins
  }
}

std::unique_ptr<GgufSentencePieceTokenizer> GgufSentencePieceTokenizer::from_gguf(const nlohmann::json& metadata,
                                                                                  const std::string& source) {
  const std::string where = source + " metadata";
  const auto& model = required_field(metadata, "tokenizer.ggml.model", where);
  if (model != "llama") {
    fail("{}: embedded tokenizer model {} is not supported yet (llama/SentencePiece is)", source,
         json_for_message(model));
  }
  const auto& tokens = required_field(metadata, "tokenizer.ggml.tokens", where);
  if (!tokens.is_array() || tokens.empty()) fail("{}: tokenizer.ggml.tokens must be a non-empty array", source);
  const size_t n = tokens.size();
  std::vector<std::string> pieces;
  pieces.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (tokens[i].is_string()) {
      pieces.push_back(tokens[i].get<std::string>());
    } else if (tokens[i].is_binary()) {
      const auto& bytes = tokens[i].get_binary();
      pieces.emplace_back(bytes.begin(), bytes.end());
    } else {
      fail("{}: tokenizer.ggml.tokens[{}] is not a string", source, i);
    }
  }
  std::vector<float> scores(n, 0.0f);
  if (metadata.contains("tokenizer.ggml.scores")) {
    const auto& values = metadata["tokenizer.ggml.scores"];
    if (!values.is_array() || values.size() != n) fail("{}: tokenizer.ggml.scores must have {} entries", source, n);
    for (size_t i = 0; i < n; ++i) {
      if (!values[i].is_number()) fail("{}: tokenizer.ggml.scores[{}] is not a number", source, i);
      scores[i] = values[i].get<float>();
    }
  }
  std::vector<TokenType> types(n, TokenType::Normal);
  if (metadata.contains("tokenizer.ggml.token_type")) {
    const auto& values = metadata["tokenizer.ggml.token_type"];
    if (!values.is_array() || values.size() != n) fail("{}: tokenizer.ggml.token_type must have {} entries", source, n);
    for (size_t i = 0; i < n; ++i) {
      if (!values[i].is_number_integer() || values[i].get<int64_t>() < 1 || values[i].get<int64_t>() > 6) {
        fail("{}: tokenizer.ggml.token_type[{}] = {} is not a token type (1..6)", source, i,
             json_for_message(values[i]));
      }
      types[i] = static_cast<TokenType>(values[i].get<int32_t>());
    }
  }
  auto token_id = [&](const char* key) -> std::optional<int32_t> {
    if (optional_field(metadata, key, where) == nullptr) return std::nullopt;
    return static_cast<int32_t>(required_integer(metadata, key, where, 0, static_cast<int64_t>(n) - 1));
  };
  Options options;
  options.add_space_prefix = optional_bool(metadata, "tokenizer.ggml.add_space_prefix", where, true);
  options.add_bos = optional_bool(metadata, "tokenizer.ggml.add_bos_token", where, true);
  options.add_eos = optional_bool(metadata, "tokenizer.ggml.add_eos_token", where, false);
  return std::make_unique<GgufSentencePieceTokenizer>(
      std::move(pieces), std::move(scores), std::move(types), token_id("tokenizer.ggml.bos_token_id"),
      token_id("tokenizer.ggml.eos_token_id"), token_id("tokenizer.ggml.unknown_token_id"), options);
}

std::optional<int32_t> GgufSentencePieceTokenizer::token_to_id(std::string_view token) const {
  for (size_t i = 0; i < pieces_.size(); ++i) {
    if (pieces_[i] == token) return static_cast<int32_t>(i);
  }
  return std::nullopt;
}

int32_t GgufSentencePieceTokenizer::find(std::string_view piece) const {
  auto it = ids_.find(std::string(piece));
  return it == ids_.end() ? -1 : it->second;
}

void GgufSentencePieceTokenizer::encode_bpe(std::string_view text, std::vector<int32_t>& out) const {
  // One symbol per UTF-8 character (per byte where invalid), merged by the SentencePiece BPE
  // loop shared with the .model reader: best score first, leftmost on ties.
  if (text.size() > UINT32_MAX) fail("text to tokenize is too long ({} bytes)", text.size());
  std::vector<sentencepiece::BpeSymbol> symbols;
  for (size_t i = 0; i < text.size();) {
    const size_t length = std::max<size_t>(1, utf8::sequence_length(text, i));
    sentencepiece::BpeSymbol symbol;
    symbol.begin = static_cast<uint32_t>(i);
    symbol.length = static_cast<uint32_t>(std::min(length, text.size() - i));
    symbol.prev = static_cast<int32_t>(symbols.size()) - 1;
    symbol.next = static_cast<int32_t>(symbols.size()) + 1;
    symbols.push_back(symbol);
    i += symbol.length;
  }
  if (symbols.empty()) return;
  symbols.back().next = -1;
  sentencepiece::bpe_merge(
      text, symbols, [&](std::string_view piece) { return find(piece); }, [&](int32_t id) { return scores_[id]; },
      [](int32_t, int32_t, int32_t) {});

  for (int i = 0; i >= 0; i = symbols[i].next) {
    const std::string_view piece = text.substr(symbols[i].begin, symbols[i].length);
    const int32_t id = find(piece);
    if (id >= 0) {
      out.push_back(id);
      continue;
    }
    for (unsigned char byte : piece) {
      if (byte_ids_[byte] >= 0) {
        out.push_back(byte_ids_[byte]);
      } else if (unk_id_) {
        out.push_back(*unk_id_);
      } else {
        fail("cannot encode byte 0x{:02X}: the vocabulary has no byte token and no unknown token", byte);
      }
    }
  }
}

std::vector<int32_t> GgufSentencePieceTokenizer::encode(std::string_view text, bool add_special) const {
  utf8::require_valid(text, "text to tokenize");
  std::vector<int32_t> out;
  if (add_special && options_.add_bos && bos_id_) out.push_back(*bos_id_);
  if (!text.empty()) {
    std::string normalized;
    if (options_.add_space_prefix) normalized += sentencepiece::kSpaceSymbol;
    for (char c : text) {
      if (c == ' ')
        normalized += sentencepiece::kSpaceSymbol;
      else
        normalized += c;
    }
    encode_bpe(normalized, out);
  }
  if (add_special && options_.add_eos && eos_id_) out.push_back(*eos_id_);
  return out;
}

std::string GgufSentencePieceTokenizer::token_bytes(int32_t id, bool at_start) const {
  if (id < 0 || id >= static_cast<int32_t>(pieces_.size())) fail("token id {} is outside the vocabulary", id);
  const TokenType type = types_[id];
  if (type == TokenType::Control || type == TokenType::Unused) return "";
  if (type == TokenType::Byte) {
    const int byte = byte_level::parse_byte_token(pieces_[id]);
    if (byte >= 0) return std::string(1, static_cast<char>(byte));
  }
  std::string out = sentencepiece::with_spaces(pieces_[id]);
  if (at_start && options_.add_space_prefix && !out.empty() && out[0] == ' ') out.erase(0, 1);
  return out;
}

std::string GgufSentencePieceTokenizer::token_text(int32_t id) const {
  if (id < 0 || id >= static_cast<int32_t>(pieces_.size())) fail("token id {} is outside the vocabulary", id);
  return pieces_[id];
}

bool GgufSentencePieceTokenizer::is_control(int32_t id) const {
  return id >= 0 && id < static_cast<int32_t>(types_.size()) && types_[id] == TokenType::Control;
}

}  // namespace medllm
