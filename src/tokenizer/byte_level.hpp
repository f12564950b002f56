#pragma once
// GPT-2's reversible byte <-> character mapping used by byte-level BPE vocabularies: printable
// bytes map to themselves, the others to code points from U+0100 up, so every byte string is
// spelled with visible characters.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace medllm::byte_level {

// Appends the byte-level spelling of raw bytes.
void encode(std::string_view bytes, std::string& out);

// The byte a character stands for, or -1 if the character is not in the mapping.
int char_to_byte(char32_t c);

// The byte a byte-fallback token such as "<0x41>" stands for (hex digits in either case), or -1.
int parse_byte_token(std::string_view token);

// GPT-2's pre-tokenizer pattern (used by ByteLevel with use_regex).
extern const char* const kGpt2Pattern;

}  // namespace medllm::byte_level
