#pragma once
// SentencePiece's BPE model (bpe_model.cc): the normalized text is split into characters, except
// that user-defined symbols stay whole and never merge; adjacent symbols merge by piece score
// (bpe_merge.hpp); a result that is an UNUSED piece is split back into the two symbols it was
// last recorded to come from; symbols outside the vocabulary are UNK, fused into one per run, or
// with byte_fallback spelled as <0xXX> byte pieces.

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/sentencepiece/piece_trie.hpp"
#include "tokenizer/sentencepiece/vocab.hpp"

namespace medllm::sentencepiece {

class BpeModel {
 public:
  // `vocab` in id order; `unk_id` must be a valid id.
  BpeModel(const std::vector<VocabEntry>& vocab, int32_t unk_id, bool byte_fallback);

  // Appends the ids of `normalized` (the normalizer's output) to `out`.
  void encode(std::string_view normalized, std::vector<int32_t>& out) const;

  // The user-defined symbols (for the normalizer, which copies them untouched).
  const PieceTrie& user_defined() const { return user_defined_; }

 private:
  // sentencepiece's PieceToId: reserved pieces (UNKNOWN, CONTROL, BYTE) first, then text pieces,
  // else unk.
  int32_t piece_to_id(std::string_view piece) const;

  PieceTrie pieces_;    // NORMAL, USER_DEFINED, UNUSED -> id (merge candidates)
  PieceTrie reserved_;  // UNKNOWN, CONTROL, BYTE -> id
  PieceTrie user_defined_;
  std::vector<float> scores_;
  std::vector<bool> unused_;
  std::array<int32_t, 256> byte_ids_{};
  int32_t unk_id_;
  bool byte_fallback_;
};

}  // namespace medllm::sentencepiece
