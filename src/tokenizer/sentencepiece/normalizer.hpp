#pragma once
// SentencePiece's text normalizer (normalizer.cc): the precompiled character map applied by
// longest match, user-defined symbols copied untouched, then the whitespace rules: leading,
// trailing and repeated spaces removed (remove_extra_whitespaces), spaces shown as "▁"
// (escape_whitespaces), and a "▁" added in front (add_dummy_prefix) or, with
// treat_whitespace_as_suffix, at the end.

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "tokenizer/sentencepiece/piece_trie.hpp"
#include "tokenizer/sentencepiece/precompiled_charsmap.hpp"

namespace medllm::sentencepiece {

struct NormalizerOptions {
  bool add_dummy_prefix = true;
  bool remove_extra_whitespaces = true;
  bool escape_whitespaces = true;
  bool treat_whitespace_as_suffix = false;
};

class Normalizer {
 public:
  // `user_defined` (may be null; must outlive the normalizer) holds the user-defined symbols:
  // where one starts, the longest one is copied as it is instead of being normalized.
  Normalizer(std::optional<PrecompiledCharsMap> charsmap, NormalizerOptions options,
             const PieceTrie* user_defined = nullptr)
      : charsmap_(std::move(charsmap)), options_(options), user_defined_(user_defined) {}

  // Expects valid UTF-8 (callers check it); see the class comment for what it does.
  std::string normalize(std::string_view input) const;

  const NormalizerOptions& options() const { return options_; }
  const std::optional<PrecompiledCharsMap>& charsmap() const { return charsmap_; }

 private:
  // The normalized form of the longest rule (or character) at the start of input, and how many
  // input bytes it consumes (sentencepiece's NormalizePrefix).
  std::pair<std::string_view, size_t> normalize_prefix(std::string_view input) const;

  std::optional<PrecompiledCharsMap> charsmap_;
  NormalizerOptions options_;
  const PieceTrie* user_defined_;
};

}  // namespace medllm::sentencepiece
