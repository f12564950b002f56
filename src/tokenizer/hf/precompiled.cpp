// The Precompiled normalizer: a SentencePiece charsmap embedded (base64) in tokenizer.json,
// applied as the `tokenizers` library applies it: per extended grapheme cluster, a cluster of
// under 6 bytes is replaced by the shortest rule matching its start; otherwise (or without a
// match) each character is replaced by its own shortest rule, or kept.

#include <unicode/ubrk.h>
#include <unicode/ustring.h>

#include "core/error.hpp"
#include "core/json_fields.hpp"
#include "tokenizer/hf/components.hpp"
#include "tokenizer/sentencepiece/precompiled_charsmap.hpp"
#include "tokenizer/unicode.hpp"

namespace medllm::hf {

namespace {

std::string decode_base64(std::string_view text, const std::string& where) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int value;
    if (c >= 'A' && c <= 'Z')
      value = c - 'A';
    else if (c >= 'a' && c <= 'z')
      value = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      value = c - '0' + 52;
    else if (c == '+')
      value = 62;
    else if (c == '/')
      value = 63;
    else if (c == '=')
      break;
    else
      fail("{}: precompiled_charsmap is not valid base64", where);
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

// Byte offsets of extended grapheme cluster boundaries (UAX #29, via ICU).
std::vector<size_t> grapheme_boundaries(std::string_view text) {
  UErrorCode status = U_ZERO_ERROR;
  UText* ut = utext_openUTF8(nullptr, text.data(), static_cast<int64_t>(text.size()), &status);
  UBreakIterator* it = ubrk_open(UBRK_CHARACTER, "", nullptr, 0, &status);
  std::vector<size_t> out;
  if (U_SUCCESS(status)) {
    ubrk_setUText(it, ut, &status);
    for (int32_t b = ubrk_first(it); b != UBRK_DONE && U_SUCCESS(status); b = ubrk_next(it)) {
      out.push_back(static_cast<size_t>(b));
    }
  }
  ubrk_close(it);
  utext_close(ut);
  if (U_FAILURE(status)) fail("grapheme segmentation failed: {}", u_errorName(status));
  return out;
}

class Precompiled final : public Normalizer {
 public:
  explicit Precompiled(std::string blob) : map_(blob) {}
  void normalize(std::string& text) const override {
    std::string out;
    const std::vector<size_t> bounds = grapheme_boundaries(text);
    for (size_t g = 0; g + 1 < bounds.size(); ++g) {
      const std::string_view grapheme = std::string_view(text).substr(bounds[g], bounds[g + 1] - bounds[g]);
      if (grapheme.size() < 6) {
        if (auto match = map_.shortest_match(grapheme)) {
          out += match->replacement;
          continue;
        }
      }
      size_t length = 0;
      for (size_t i = 0; i < grapheme.size(); i += length) {
        unicode::decode(grapheme, i, &length);
        const std::string_view character = grapheme.substr(i, length);
        if (auto match = map_.shortest_match(character))
          out += match->replacement;
        else
          out += character;
      }
    }
    text = std::move(out);
  }

 private:
  sentencepiece::PrecompiledCharsMap map_;
};

}  // namespace

std::unique_ptr<Normalizer> parse_precompiled_normalizer(const json& config, const std::string& where) {
  const json& blob = required_field(config, "precompiled_charsmap", where);
  if (blob.is_null()) return nullptr;
  if (!blob.is_string()) fail("{}.precompiled_charsmap: expected a base64 string", where);
  const std::string bytes = decode_base64(blob.get<std::string>(), where);
  if (bytes.empty()) return nullptr;
  return with_context(where, [&] { return std::make_unique<Precompiled>(bytes); });
}

}  // namespace medllm::hf
