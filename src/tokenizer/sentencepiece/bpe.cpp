#include "tokenizer/sentencepiece/bpe.hpp"

#include <algorithm>
#include <string>
#include <unordered_map>

#include "core/error.hpp"
#include "tokenizer/sentencepiece/bpe_merge.hpp"

namespace medllm::sentencepiece {

BpeModel::BpeModel(const std::vector<VocabEntry>& vocab, int32_t unk_id, bool byte_fallback)
    : scores_(vocab.size()), unused_(vocab.size(), false), unk_id_(unk_id), byte_fallback_(byte_fallback) {
  if (vocab.empty()) fail("BPE model: the vocabulary is empty");
  if (unk_id < 0 || static_cast<size_t>(unk_id) >= vocab.size()) {
    fail("BPE model: unk id {} is outside the {}-piece vocabulary", unk_id, vocab.size());
  }
  for (size_t i = 0; i < vocab.size(); ++i) {
    const VocabEntry& entry = vocab[i];
    const auto id = static_cast<int32_t>(i);
    scores_[i] = entry.score;
    unused_[i] = entry.type == PieceType::Unused;
    (is_text_piece(entry.type) ? pieces_ : reserved_).insert(entry.piece, id);
    if (entry.type == PieceType::UserDefined) user_defined_.insert(entry.piece, id);
  }
  for (size_t b = 0; b < 256; ++b) byte_ids_[b] = piece_to_id(byte_piece(static_cast<uint8_t>(b)));
}

int32_t BpeModel::piece_to_id(std::string_view piece) const {
  const int32_t reserved = reserved_.find(piece);
  if (reserved >= 0) return reserved;
  const int32_t id = pieces_.find(piece);
  return id >= 0 ? id : unk_id_;
}

void BpeModel::encode(std::string_view normalized, std::vector<int32_t>& out) const {
  if (normalized.empty()) return;
  if (normalized.size() > UINT32_MAX) fail("BPE model: the text is too long ({} bytes)", normalized.size());
  std::vector<BpeSymbol> symbols;
  symbols.reserve(normalized.size());
  for (size_t pos = 0; pos < normalized.size();) {
    BpeSymbol symbol;
    const std::string_view rest = normalized.substr(pos);
    const size_t matched = user_defined_.empty() ? 0 : user_defined_.longest_prefix(rest);
    symbol.frozen = matched > 0;
    const size_t length = matched > 0 ? matched : std::min(one_char_len(rest[0]), rest.size());
    symbol.begin = static_cast<uint32_t>(pos);
    symbol.length = static_cast<uint32_t>(length);
    symbol.prev = static_cast<int32_t>(symbols.size()) - 1;
    pos += length;
    symbol.next = pos < normalized.size() ? static_cast<int32_t>(symbols.size()) + 1 : -1;
    symbols.push_back(symbol);
  }

  // Resegmentation rules for UNUSED pieces: merged text -> (left text, right text), the last
  // candidate pair recorded wins, as in sentencepiece's rev_merge map.
  std::unordered_map<std::string_view, std::pair<std::string_view, std::string_view>> rev_merge;
  bpe_merge(
      normalized, symbols, [&](std::string_view piece) { return pieces_.find(piece); },
      [&](int32_t id) { return scores_[static_cast<size_t>(id)]; },
      [&](int32_t left, int32_t right, int32_t id) {
        if (!unused_[static_cast<size_t>(id)]) return;
        const BpeSymbol& a = symbols[left];
        const BpeSymbol& b = symbols[right];
        rev_merge[normalized.substr(a.begin, a.length + b.length)] = {normalized.substr(a.begin, a.length),
                                                                      normalized.substr(b.begin, b.length)};
      });

  bool previous_unk = false;
  auto emit = [&](std::string_view piece, int32_t id) {
    const bool is_unk = id == unk_id_;
    if (is_unk && byte_fallback_) {
      for (char c : piece) out.push_back(byte_ids_[static_cast<uint8_t>(c)]);
    } else if (!(is_unk && previous_unk)) {  // runs of UNK fuse into one
      out.push_back(id);
    }
    previous_unk = is_unk;
  };
  // Resegmentation, with an explicit stack (a crafted model could nest UNUSED pieces deeply).
  std::vector<std::string_view> pending;
  for (int32_t i = 0; i >= 0; i = symbols[i].next) {
    pending.push_back(normalized.substr(symbols[i].begin, symbols[i].length));
    while (!pending.empty()) {
      const std::string_view piece = pending.back();
      pending.pop_back();
      const int32_t id = piece_to_id(piece);
      if (unused_[static_cast<size_t>(id)]) {
        const auto rule = rev_merge.find(piece);
        if (rule != rev_merge.end()) {
          pending.push_back(rule->second.second);
          pending.push_back(rule->second.first);
          continue;
        }
      }
      emit(piece, id);
    }
  }
}

}  // namespace medllm::sentencepiece
