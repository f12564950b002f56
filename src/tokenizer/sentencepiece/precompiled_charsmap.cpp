#include "tokenizer/sentencepiece/precompiled_charsmap.hpp"

#include "core/error.hpp"
#include "core/utf8.hpp"

namespace medllm::sentencepiece {

PrecompiledCharsMap::PrecompiledCharsMap(std::string_view blob) {
  if (blob.size() <= 4) fail("precompiled_charsmap: the blob has {} bytes, too few for a trie", blob.size());
  const auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(blob[i])); };
  const uint32_t trie_size = byte(0) | byte(1) << 8 | byte(2) << 16 | byte(3) << 24;
  if (trie_size > blob.size() - 4) {
    fail("precompiled_charsmap: the trie size {} exceeds the {} bytes after the size field", trie_size,
         blob.size() - 4);
  }
  units_.resize(trie_size / 4);  // darts-clone ignores a partial unit at the end
  for (size_t i = 0; i < units_.size(); ++i) {
    const size_t at = 4 + 4 * i;
    units_[i] = byte(at) | byte(at + 1) << 8 | byte(at + 2) << 16 | byte(at + 3) << 24;
  }
  strings_ = std::string(blob.substr(4 + trie_size));
}

std::string_view PrecompiledCharsMap::replacement(uint32_t offset) const {
  // sentencepiece reads a NUL-terminated C string at strings + offset (the blob's own string
  // ends in a NUL, so the end of the table counts as one); beyond it, it would read past the blob.
  if (offset > strings_.size()) {
    fail("precompiled_charsmap: replacement offset {} is outside the {}-byte string table", offset, strings_.size());
  }
  const std::string_view rest = std::string_view(strings_).substr(offset);
  return rest.substr(0, rest.find('\0'));
}

std::optional<PrecompiledCharsMap::Match> PrecompiledCharsMap::longest_match(std::string_view input) const {
  // sentencepiece: `if (longest_length == 0 || length > longest_length)`; lengths only grow.
  size_t longest = 0;
  uint32_t longest_value = 0;
  for_each_prefix_match(input, [&](size_t length, uint32_t value) {
    if (longest == 0 || length > longest) {
      longest = length;
      longest_value = value;
    }
  });
  if (longest == 0) return std::nullopt;
  return Match{longest, replacement(longest_value)};
}

std::optional<PrecompiledCharsMap::Match> PrecompiledCharsMap::shortest_match(std::string_view input) const {
  size_t shortest = 0;
  uint32_t shortest_value = 0;
  for_each_prefix_match(input, [&](size_t length, uint32_t value) {
    if (shortest == 0) {
      shortest = length;
      shortest_value = value;
    }
  });
  if (shortest == 0) return std::nullopt;
  return Match{shortest, replacement(shortest_value)};
}

std::string PrecompiledCharsMap::apply(std::string_view text) const {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const std::string_view rest = text.substr(i);
    if (const auto match = longest_match(rest)) {
      out += match->replacement;
      i += match->length;
      continue;
    }
    const size_t length = std::max<size_t>(1, utf8::sequence_length(text, i));
    out.append(text, i, length);
    i += length;
  }
  return out;
}

}  // namespace medllm::sentencepiece
