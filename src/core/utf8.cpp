#include "core/utf8.hpp"

#include <algorithm>
#include <cstdint>

#include "core/error.hpp"

namespace medllm::utf8 {

namespace {
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
}

size_t sequence_length(std::string_view text, size_t i, bool* truncated) {
  if (truncated != nullptr) *truncated = false;
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t lead = byte(i);
  size_t length;
  uint8_t second_min = 0x80;
  uint8_t second_max = 0xBF;
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_min = 0xA0;  // no overlongs
    if (lead == 0xED) second_max = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_min = 0x90;
    if (lead == 0xF4) second_max = 0x8F;  // at most U+10FFFF
  } else {
    return 0;
  }
  for (size_t k = 1; k < length; ++k) {
    if (i + k >= text.size()) {
      if (truncated != nullptr) *truncated = true;
      return 0;
    }
    const uint8_t b = byte(i + k);
    const uint8_t low = k == 1 ? second_min : 0x80;
    const uint8_t high = k == 1 ? second_max : 0xBF;
    if (b < low || b > high) return 0;
  }
  return length;
}

size_t find_invalid(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t length = sequence_length(text, i);
    if (length == 0) return i;
    i += length;
  }
  return std::string_view::npos;
}

void require_valid(std::string_view text, std::string_view what) {
  const size_t bad = find_invalid(text);
  if (bad != std::string_view::npos) {
    fail("{}: invalid UTF-8 at byte {} (0x{:02X})", what, bad, static_cast<uint8_t>(text[bad]));
  }
}

namespace {

// Bytes of the maximal prefix of a valid sequence starting at text[i] (at least 1): an invalid
// stretch is replaced by one U+FFFD per maximal subpart, as Unicode recommends and as Rust's
// and Python's lossy decoders do.
size_t invalid_run(std::string_view text, size_t i) {
  const auto lead = static_cast<uint8_t>(text[i]);
  size_t expected;
  uint8_t second_min = 0x80, second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    expected = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    expected = 3;
    if (lead == 0xE0) second_min = 0xA0;
    if (lead == 0xED) second_max = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    expected = 4;
    if (lead == 0xF0) second_min = 0x90;
    if (lead == 0xF4) second_max = 0x8F;
  } else {
    return 1;
  }
  size_t k = 1;
  for (; k < expected && i + k < text.size(); ++k) {
    const auto b = static_cast<uint8_t>(text[i + k]);
    const uint8_t low = k == 1 ? second_min : 0x80;
    const uint8_t high = k == 1 ? second_max : 0xBF;
    if (b < low || b > high) break;
  }
  return k;
}

}  // namespace

std::string take_complete(std::string& text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    bool truncated = false;
    const size_t length = sequence_length(text, i, &truncated);
    if (length > 0) {
      out.append(text, i, length);
      i += length;
    } else if (truncated) {
      break;  // the rest may become valid once more bytes arrive
    } else {
      out += kReplacement;
      i += invalid_run(text, i);
    }
  }
  text.erase(0, i);
  return out;
}

std::string sanitize(std::string_view text) {
  std::string copy(text);
  std::string out = take_complete(copy);
  if (!copy.empty()) out += kReplacement;  // a truncated final character is one maximal subpart
  return out;
}

char32_t decode(std::string_view text, size_t& i) {
  const size_t length = sequence_length(text, i);
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  if (length == 0) {
    ++i;
    return 0xFFFD;
  }
  const unsigned char lead = byte(i);
  char32_t cp = length == 1 ? lead : lead & (length == 4 ? 0x07 : length == 3 ? 0x0F : 0x1F);
  for (size_t k = 1; k < length; ++k) cp = (cp << 6) | (byte(i + k) & 0x3F);
  i += length;
  return cp;
}

std::string_view trim_ascii(std::string_view text) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  size_t begin = 0, end = text.size();
  while (begin < end && space(text[begin])) ++begin;
  while (end > begin && space(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

std::string_view trim_python_whitespace(std::string_view text) {
  const auto space = [](char32_t c) {
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
  };
  size_t begin = text.size(), end = 0;
  for (size_t i = 0; i < text.size();) {
    const size_t at = i;
    if (space(decode(text, i))) continue;
    begin = std::min(begin, at);
    end = i;
  }
  return begin < end ? text.substr(begin, end - begin) : std::string_view();
}

std::string upper_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

}  // namespace medllm::utf8
