#include "tokenizer/sentencepiece/piece_trie.hpp"

namespace medllm::sentencepiece {

PieceTrie::PieceTrie() : values_(1, -1), keys_(64, 0), targets_(64, -1), mask_(63) {}

void PieceTrie::grow() {
  std::vector<uint64_t> keys(keys_.size() * 2, 0);
  std::vector<int32_t> targets(keys.size(), -1);
  const size_t mask = keys.size() - 1;
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == 0) continue;
    size_t slot = hash(keys_[i]) & mask;
    while (keys[slot] != 0) slot = (slot + 1) & mask;
    keys[slot] = keys_[i];
    targets[slot] = targets_[i];
  }
  keys_ = std::move(keys);
  targets_ = std::move(targets);
  mask_ = mask;
}

int32_t PieceTrie::add_child(int32_t node, uint8_t byte) {
  const int32_t existing = child(node, byte);
  if (existing >= 0) return existing;
  if ((edges_ + 1) * 2 > keys_.size()) grow();
  const uint64_t key = (static_cast<uint64_t>(node) + 1) << 8 | byte;
  size_t slot = hash(key) & mask_;
  while (keys_[slot] != 0) slot = (slot + 1) & mask_;
  const auto created = static_cast<int32_t>(values_.size());
  keys_[slot] = key;
  targets_[slot] = created;
  values_.push_back(-1);
  ++edges_;
  return created;
}

bool PieceTrie::insert(std::string_view key, int32_t value) {
  int32_t node = 0;
  for (char c : key) node = add_child(node, static_cast<uint8_t>(c));
  if (values_[node] >= 0) return false;
  values_[node] = value;
  ++size_;
  return true;
}

int32_t PieceTrie::find(std::string_view key) const {
  int32_t node = 0;
  for (char c : key) {
    node = child(node, static_cast<uint8_t>(c));
    if (node < 0) return -1;
  }
  return values_[node];
}

size_t PieceTrie::longest_prefix(std::string_view text) const {
  size_t longest = 0;
  for_each_prefix(text, [&](size_t length, int32_t) { longest = length; });
  return longest;
}

}  // namespace medllm::sentencepiece
