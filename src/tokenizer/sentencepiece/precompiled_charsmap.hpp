#pragma once
// SentencePiece's precompiled normalization rules ("precompiled_charsmap" of a .model file's
// NormalizerSpec; tokenizer.json's "Precompiled" normalizer holds the same blob in base64).
//
// Blob layout (little-endian): <u32 trie_size><trie_size bytes: Darts-clone double array>
// <NUL-separated replacement strings>. The double array maps UTF-8 byte sequences to the offset
// of their replacement. Lookups follow darts-clone's commonPrefixSearch, with every array access
// bounds-checked, so a corrupt blob can only give no match or an Error, never a crash.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace medllm::sentencepiece {

class PrecompiledCharsMap {
 public:
  // Decodes the blob (copied). Errors as sentencepiece's DecodePrecompiledCharsMap: a blob of at
  // most 4 bytes, or a trie size beyond the blob.
  explicit PrecompiledCharsMap(std::string_view blob);

  struct Match {
    size_t length = 0;             // bytes of the input the rule consumes
    std::string_view replacement;  // what they become (may be empty)
  };

  // Calls f(length, value) for every rule whose key is a prefix of `input`, shortest first
  // (darts-clone's commonPrefixSearch order); replacement(value) is the rule's output.
  template <typename F>
  void for_each_prefix_match(std::string_view input, F&& f) const;
  // The string at `value` in the string table; an offset outside the table is an Error.
  std::string_view replacement(uint32_t value) const;

  // The longest rule that is a prefix of `input` (what sentencepiece's Normalizer applies).
  std::optional<Match> longest_match(std::string_view input) const;
  // The shortest one (what the `tokenizers` library's Precompiled normalizer applies to a chunk).
  std::optional<Match> shortest_match(std::string_view input) const;

  // Rewrites text left to right: at each position the longest rule applies, otherwise one UTF-8
  // character (one byte if invalid) is copied. No whitespace handling (see Normalizer).
  std::string apply(std::string_view text) const;

  size_t trie_units() const { return units_.size(); }

 private:
  std::vector<uint32_t> units_;
  std::string strings_;
};

template <typename F>
void PrecompiledCharsMap::for_each_prefix_match(std::string_view input, F&& f) const {
  // darts-clone DoubleArrayUnit: has_leaf = bit 8, value = low 31 bits, label = bits 0-7 plus the
  // MSB (set for leaf units so they never match a byte), offset = bits 10-31 shifted left by 8
  // when bit 9 is set.
  const auto has_leaf = [](uint32_t unit) { return ((unit >> 8) & 1) == 1; };
  const auto value = [](uint32_t unit) { return unit & ((1u << 31) - 1); };
  const auto label = [](uint32_t unit) { return unit & ((1u << 31) | 0xFF); };
  const auto offset = [](uint32_t unit) { return (unit >> 10) << ((unit & (1u << 9)) >> 6); };
  const size_t size = units_.size();
  if (size == 0) return;
  size_t node = offset(units_[0]);
  for (size_t i = 0; i < input.size(); ++i) {
    const auto byte = static_cast<uint8_t>(input[i]);
    node ^= byte;
    if (node >= size) return;
    const uint32_t unit = units_[node];
    if (label(unit) != byte) return;
    node ^= offset(unit);
    if (node >= size) return;
    if (has_leaf(unit)) f(i + 1, value(units_[node]));
  }
}

}  // namespace medllm::sentencepiece
