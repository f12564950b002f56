#include "tokenizer/sentencepiece/normalizer.hpp"

#include "core/utf8.hpp"
#include "tokenizer/sentencepiece/vocab.hpp"

namespace medllm::sentencepiece {

std::pair<std::string_view, size_t> Normalizer::normalize_prefix(std::string_view input) const {
  if (user_defined_ != nullptr) {
    const size_t length = user_defined_->longest_prefix(input);
    if (length > 0) return {input.substr(0, length), length};
  }
  if (charsmap_) {
    if (const auto match = charsmap_->longest_match(input)) return {match->replacement, match->length};
  }
  const size_t length = utf8::sequence_length(input, 0);
  if (length == 0) return {"\xEF\xBF\xBD", 1};  // sentencepiece: U+FFFD for one malformed byte
  return {input.substr(0, length), length};
}

std::string Normalizer::normalize(std::string_view input) const {
  std::string normalized;
  if (input.empty()) return normalized;

  // Leading whitespace: whole rules whose output is exactly " ".
  if (options_.remove_extra_whitespaces) {
    while (!input.empty()) {
      const auto [text, consumed] = normalize_prefix(input);
      if (text != " ") break;
      input.remove_prefix(consumed);
    }
  }
  if (input.empty()) return normalized;

  normalized.reserve(input.size() * 3);
  const std::string_view space = options_.escape_whitespaces ? kSpaceSymbol : std::string_view(" ");
  if (!options_.treat_whitespace_as_suffix && options_.add_dummy_prefix) normalized += space;

  bool is_prev_space = options_.remove_extra_whitespaces;
  while (!input.empty()) {
    auto [text, consumed] = normalize_prefix(input);
    // Spaces at the start of a rule's output go when the previous output ended with one.
    while (is_prev_space && !text.empty() && text.front() == ' ') text.remove_prefix(1);
    if (!text.empty()) {
      for (char c : text) {
        if (c == ' ' && options_.escape_whitespaces) {
          normalized += kSpaceSymbol;
        } else {
          normalized += c;
        }
      }
      is_prev_space = text.back() == ' ';
    }
    input.remove_prefix(consumed);
    if (!options_.remove_extra_whitespaces) is_prev_space = false;
  }

  if (options_.remove_extra_whitespaces) {
    while (normalized.size() >= space.size() &&
           std::string_view(normalized).substr(normalized.size() - space.size()) == space) {
      normalized.resize(normalized.size() - space.size());
    }
  }
  if (options_.treat_whitespace_as_suffix && options_.add_dummy_prefix) normalized += space;
  return normalized;
}

}  // namespace medllm::sentencepiece
