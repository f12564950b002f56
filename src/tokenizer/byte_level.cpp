#include "tokenizer/byte_level.hpp"

#include "tokenizer/unicode.hpp"

namespace medllm::byte_level {

const char* const kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

namespace {

struct Tables {
  std::array<std::string, 256> to_text;
  std::array<int16_t, 512> to_byte;  // code points below 512 cover the whole mapping

  Tables() {
    to_byte.fill(-1);
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      const char32_t c = printable ? static_cast<char32_t>(b) : next++;
      unicode::append(to_text[static_cast<size_t>(b)], c);
      to_byte[c] = static_cast<int16_t>(b);
    }
  }
};

const Tables& tables() {
  static const Tables instance;
  return instance;
}

}  // namespace

void encode(std::string_view bytes, std::string& out) {
  const auto& table = tables().to_text;
  for (unsigned char b : bytes) out += table[b];
}

int parse_byte_token(std::string_view token) {
  if (token.size() != 6 || token.substr(0, 3) != "<0x" || token[5] != '>') return -1;
  int value = 0;
  for (char c : token.substr(3, 2)) {
    value *= 16;
    if (c >= '0' && c <= '9')
      value += c - '0';
    else if (c >= 'A' && c <= 'F')
      value += c - 'A' + 10;
    else if (c >= 'a' && c <= 'f')
      value += c - 'a' + 10;
    else
      return -1;
  }
  return value;
}

int char_to_byte(char32_t c) {
  return c < 512 ? tables().to_byte[c] : -1;
}

}  // namespace medllm::byte_level
