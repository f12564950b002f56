#pragma once
// The merge loop of SentencePiece-style BPE (sentencepiece's bpe_model.cc, llama.cpp's SPM
// tokenizer): adjacent symbols whose concatenation is a vocabulary piece merge, highest score
// first, leftmost first on ties, until no pair is in the vocabulary. Used by the .model BPE model
// and by GgufSentencePieceTokenizer (GGUF "llama" vocabularies).

#include <cstdint>
#include <queue>
#include <string_view>
#include <vector>

namespace medllm::sentencepiece {

// A symbol is text[begin, begin + length); symbols form a linked list (prev/next, -1 at the
// ends) in text order; a merged-away symbol has length 0. Frozen symbols never merge.
struct BpeSymbol {
  uint32_t begin = 0;
  uint32_t length = 0;
  int32_t prev = -1;
  int32_t next = -1;
  bool frozen = false;
};

// Runs the merges over `symbols` (initially every symbol in order, symbols[0] first).
// `lookup(piece)` returns the id of a mergeable piece or -1; `score(id)` its score;
// `on_candidate(left, right, id)` is called whenever a pair becomes a merge candidate
// (sentencepiece records resegmentation rules for UNUSED pieces there).
template <typename Lookup, typename Score, typename OnCandidate>
void bpe_merge(std::string_view text, std::vector<BpeSymbol>& symbols, Lookup&& lookup, Score&& score,
               OnCandidate&& on_candidate) {
  struct Candidate {
    float score;
    int32_t left;
    int32_t right;
    uint32_t length;  // merged length when queued: a changed length marks a stale candidate
    bool operator<(const Candidate& other) const {
      return score != other.score ? score < other.score : left > other.left;
    }
  };
  std::priority_queue<Candidate> queue;
  auto consider = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0 || symbols[left].frozen || symbols[right].frozen) return;
    const uint32_t length = symbols[left].length + symbols[right].length;
    const int32_t id = lookup(text.substr(symbols[left].begin, length));
    if (id < 0) return;
    queue.push({score(id), left, right, length});
    on_candidate(left, right, id);
  };
  for (size_t i = 1; i < symbols.size(); ++i) consider(static_cast<int32_t>(i - 1), static_cast<int32_t>(i));

  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    BpeSymbol& left = symbols[top.left];
    BpeSymbol& right = symbols[top.right];
    if (left.length == 0 || right.length == 0 || left.length + right.length != top.length) continue;
    left.length += right.length;
    right.length = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = top.left;
    consider(left.prev, top.left);
    consider(top.left, left.next);
  }
}

}  // namespace medllm::sentencepiece
