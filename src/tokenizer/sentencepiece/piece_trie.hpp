#pragma once
// A byte trie from strings to int32 values with one hash probe per byte, for the vocabulary
// lookups of the Unigram and BPE models (all prefixes of the text at a position, exact matches)
// and the user-defined-symbol matcher.

#include <cstdint>
#include <string_view>
#include <vector>

namespace medllm::sentencepiece {

class PieceTrie {
 public:
  PieceTrie();

  // Stores key -> value (value >= 0). An existing key keeps its value; returns false then.
  bool insert(std::string_view key, int32_t value);
  // The value of exactly `key`, or -1.
  int32_t find(std::string_view key) const;
  // Calls f(length, value) for every stored key that is a prefix of text, shortest first.
  template <typename F>
  void for_each_prefix(std::string_view text, F&& f) const {
    int32_t node = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      node = child(node, static_cast<uint8_t>(text[i]));
      if (node < 0) return;
      if (values_[node] >= 0) f(i + 1, values_[node]);
    }
  }
  // Length of the longest stored key that is a prefix of text (0 if none).
  size_t longest_prefix(std::string_view text) const;
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }

 private:
  int32_t child(int32_t node, uint8_t byte) const {
    const uint64_t key = (static_cast<uint64_t>(node) + 1) << 8 | byte;
    for (size_t slot = hash(key) & mask_;; slot = (slot + 1) & mask_) {
      if (keys_[slot] == key) return targets_[slot];
      if (keys_[slot] == 0) return -1;
    }
  }
  static size_t hash(uint64_t key) { return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> 29); }
  int32_t add_child(int32_t node, uint8_t byte);
  void grow();

  std::vector<int32_t> values_;  // per node; -1 if no key ends there
  std::vector<uint64_t> keys_;   // open addressing: (parent + 1) << 8 | byte, 0 = empty slot
  std::vector<int32_t> targets_;
  size_t mask_ = 0;
  size_t edges_ = 0;
  size_t size_ = 0;
};

}  // namespace medllm::sentencepiece
