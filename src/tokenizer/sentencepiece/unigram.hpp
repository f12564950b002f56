#pragma once
// SentencePiece's Unigram model: the best segmentation of normalized text under the pieces'
// scores (log probabilities), found by Viterbi exactly as sentencepiece's optimized encoder does
// it (unigram_model.cc EncodeOptimized), including its tie-breaking and float/double arithmetic.
// Characters no piece covers become UNK (score = lowest NORMAL score - 10); consecutive UNKs fuse
// into one, or with byte_fallback every UNK character becomes its <0xXX> byte pieces.
// USER_DEFINED pieces get sentencepiece's bonus score, UNUSED pieces are never produced, and
// UNKNOWN/CONTROL/BYTE pieces are never matched against text.

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/sentencepiece/piece_trie.hpp"
#include "tokenizer/sentencepiece/vocab.hpp"

namespace medllm::sentencepiece {

class UnigramModel {
 public:
  // `vocab` in id order (a tokenizer.json Unigram vocabulary is all PieceType::Normal);
  // `unk_id` must be a valid id. Byte fallback uses the pieces named <0x00>..<0xFF> (BYTE pieces
  // first, as sentencepiece's PieceToId looks them up); a missing one falls back to unk_id.
  UnigramModel(const std::vector<VocabEntry>& vocab, int32_t unk_id, bool byte_fallback);

  // Appends the ids of `normalized` (the normalizer's output) to `out`.
  void encode(std::string_view normalized, std::vector<int32_t>& out) const;

  float min_score() const { return min_score_; }
  float max_score() const { return max_score_; }

 private:
  PieceTrie trie_;  // text pieces (NORMAL, USER_DEFINED) -> id
  std::vector<float> scores_;
  std::vector<bool> user_defined_;
  std::array<int32_t, 256> byte_ids_{};
  int32_t unk_id_;
  bool byte_fallback_;
  float min_score_;
  float max_score_;
};

}  // namespace medllm::sentencepiece
