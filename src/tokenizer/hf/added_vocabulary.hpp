#pragma once
// Added tokens (special and user-added) as the `tokenizers` library handles them: cut out of the
// text before normalization (normalized=false) or after it (normalized=true), leftmost-longest,
// with lstrip / rstrip / single_word.

#include <cstdint>
#include <string>
#include <vector>

#include "tokenizer/hf/components.hpp"

namespace medllm::hf {

struct AddedToken {
  int32_t id = 0;
  std::string content;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
  bool special = false;
};

// Finds added tokens in text with a byte trie (leftmost, then longest).
class AddedTokenMatcher {
 public:
  void add(const std::string& pattern, size_t token_index);
  // Splits every non-token piece at the matches; matched pieces get the token id.
  void split(std::vector<Piece>& pieces, const std::vector<AddedToken>& tokens) const;
  bool empty() const { return nodes_.size() <= 1; }

 private:
  struct Node {
    std::vector<std::pair<uint8_t, int32_t>> children;  // sorted by byte
    int32_t token_index = -1;
  };
  int32_t child(int32_t node, uint8_t byte) const;
  std::vector<Node> nodes_{1};
};

}  // namespace medllm::hf
