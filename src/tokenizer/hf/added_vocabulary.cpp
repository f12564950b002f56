#include "tokenizer/hf/added_vocabulary.hpp"

#include <algorithm>

#include "core/utf8.hpp"
#include "tokenizer/unicode.hpp"

namespace medllm::hf {

namespace {

bool is_word_character(char32_t c) {
  return unicode::is_alphanumeric(c) || c == U'_';
}

char32_t last_char(std::string_view text) {
  size_t start = text.size() - 1;
  while (start > 0 && utf8::is_continuation(static_cast<uint8_t>(text[start]))) --start;
  size_t length = 0;
  return unicode::decode(text, start, &length);
}

}  // namespace

int32_t AddedTokenMatcher::child(int32_t node, uint8_t byte) const {
  const auto& children = nodes_[static_cast<size_t>(node)].children;
  auto it = std::lower_bound(children.begin(), children.end(), std::make_pair(byte, int32_t{-1}));
  return it != children.end() && it->first == byte ? it->second : -1;
}

void AddedTokenMatcher::add(const std::string& pattern, size_t token_index) {
  if (pattern.empty()) return;
  int32_t node = 0;
  for (unsigned char byte : pattern) {
    int32_t next = child(node, byte);
    if (next < 0) {
      next = static_cast<int32_t>(nodes_.size());
      nodes_.emplace_back();
      auto& children = nodes_[static_cast<size_t>(node)].children;
      children.insert(std::lower_bound(children.begin(), children.end(), std::make_pair(byte, int32_t{-1})),
                      {byte, next});
    }
    node = next;
  }
  if (nodes_[static_cast<size_t>(node)].token_index < 0)
    nodes_[static_cast<size_t>(node)].token_index = static_cast<int32_t>(token_index);
}

void AddedTokenMatcher::split(std::vector<Piece>& pieces, const std::vector<AddedToken>& tokens) const {
  if (empty()) return;
  std::vector<Piece> out;
  for (Piece& piece : pieces) {
    if (piece.token >= 0) {
      out.push_back(std::move(piece));
      continue;
    }
    const std::string& text = piece.text;
    size_t emitted = 0;  // end of the last match (start_offset in the reference implementation)
    size_t pos = 0;
    while (pos < text.size()) {
      // Longest match starting at pos.
      int32_t node = 0;
      int32_t best = -1;
      size_t best_end = 0;
      for (size_t i = pos; i < text.size(); ++i) {
        node = child(node, static_cast<uint8_t>(text[i]));
        if (node < 0) break;
        if (nodes_[static_cast<size_t>(node)].token_index >= 0) {
          best = nodes_[static_cast<size_t>(node)].token_index;
          best_end = i + 1;
        }
      }
      if (best < 0) {
        ++pos;
        continue;
      }
      const AddedToken& token = tokens[static_cast<size_t>(best)];
      size_t start = pos;
      size_t stop = best_end;
      pos = best_end;
      if (token.single_word) {
        size_t length = 0;
        const bool word_before = start > 0 && is_word_character(last_char(std::string_view(text).substr(0, start)));
        const bool word_after = stop < text.size() && is_word_character(unicode::decode(text, stop, &length));
        if (word_before || word_after) continue;
      }
      if (token.lstrip) {
        while (start > emitted) {
          size_t begin = start - 1;
          while (begin > emitted && utf8::is_continuation(static_cast<uint8_t>(text[begin]))) --begin;
          size_t length = 0;
          if (!unicode::is_whitespace(unicode::decode(text, begin, &length))) break;
          start = begin;
        }
      }
      if (token.rstrip) {
        size_t length = 0;
        while (stop < text.size() && unicode::is_whitespace(unicode::decode(text, stop, &length))) stop += length;
        pos = stop;
      }
      if (start > emitted) out.push_back({text.substr(emitted, start - emitted), piece.original_offset + emitted, -1});
      out.push_back({text.substr(start, stop - start), piece.original_offset + start, token.id});
      emitted = stop;
    }
    if (emitted < text.size()) out.push_back({text.substr(emitted), piece.original_offset + emitted, -1});
  }
  pieces = std::move(out);
}

}  // namespace medllm::hf
