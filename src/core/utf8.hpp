#pragma once
// UTF-8 validation, decoding and splitting (RFC 3629: no overlongs, no surrogates, at most
// U+10FFFF), and the small text helpers every layer uses.

#include <cstddef>
#include <string>
#include <string_view>

namespace medllm::utf8 {

// Length of the valid sequence starting at text[i], or 0 if the bytes there are invalid or
// incomplete. `complete` (when given) is set false if the text merely ends too early.
size_t sequence_length(std::string_view text, size_t i, bool* truncated = nullptr);

// Offset of the first invalid byte, or std::string_view::npos.
size_t find_invalid(std::string_view text);

// Throws Error("<what>: invalid UTF-8 at byte N") if text is not valid UTF-8.
void require_valid(std::string_view text, std::string_view what);

// Splits text into a part to emit now (each maximal invalid subpart replaced by U+FFFD) and a
// tail that is the valid start of a character still missing bytes; returns the emitted part and
// keeps the tail in `text`.
std::string take_complete(std::string& text);

// Replaces each maximal invalid subpart with U+FFFD (like Rust's String::from_utf8_lossy).
std::string sanitize(std::string_view text);

// Whether a byte continues a multi-byte sequence (10xxxxxx).
inline bool is_continuation(unsigned char byte) {
  return (byte & 0xC0) == 0x80;
}

// The code point at text[i], advancing i past it; an invalid or incomplete sequence decodes as
// U+FFFD and advances one byte.
char32_t decode(std::string_view text, size_t& i);

// text without leading and trailing ASCII whitespace (space, \t, \n, \r, \f, \v).
std::string_view trim_ascii(std::string_view text);
// text without leading and trailing whitespace as Python's str.strip() sees it (str.isspace: the
// ASCII controls \t-\r and \x1c-\x1f, space, U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028,
// U+2029, U+202F, U+205F, U+3000): the harnesses we reproduce strip their fields with it.
std::string_view trim_python_whitespace(std::string_view text);
// text with a-z made A-Z; every other byte kept.
std::string upper_ascii(std::string_view text);

}  // namespace medllm::utf8
