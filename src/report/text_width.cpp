#include "report/text_width.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace medllm::report {
namespace {

// Code points of (clean) UTF-8 text with their byte offsets.
std::vector<std::pair<std::uint32_t, size_t>> code_points(std::string_view text) {
  std::vector<std::pair<std::uint32_t, size_t>> out;
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    length = std::min(length, text.size() - i);
    std::uint32_t code = length == 1 ? lead : lead & (0x7Fu >> length);
    for (size_t k = 1; k < length; ++k) code = (code << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3Fu);
    out.emplace_back(code, i);
    i += length;
  }
  return out;
}

bool is_wide(std::uint32_t code) {
  return (code >= 0x1100 && code <= 0x115F) || (code >= 0x2E80 && code <= 0xA4CF) ||
         (code >= 0xAC00 && code <= 0xD7A3) || (code >= 0xF900 && code <= 0xFAFF) ||
         (code >= 0xFE30 && code <= 0xFE4F) || (code >= 0xFF00 && code <= 0xFF60) ||
         (code >= 0xFFE0 && code <= 0xFFE6) || code >= 0x20000;
}

// Width of one code point in a sans-serif font of size 1.
double glyph_width(std::uint32_t code) {
  if (is_wide(code)) return 1.0;
  if (std::u32string_view(U" .,:il()|'/").find(static_cast<char32_t>(code)) != std::u32string_view::npos) return 0.32;
  if (code >= 'A' && code <= 'Z') return 0.68;
  if (code == 'm' || code == 'w') return 0.85;
  return 0.58;
}

size_t utf8_length(std::uint32_t code) {
  return code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
}

}  // namespace

double text_width(std::string_view text, double font_size) {
  double width = 0;
  for (const auto& [code, offset] : code_points(text)) width += glyph_width(code);
  return width * font_size;
}

std::string fit_text(const std::string& text, double font_size, double max_width) {
  if (text_width(text, font_size) <= max_width) return text;
  const double budget = max_width - font_size;  // room for the ellipsis
  double width = 0;
  size_t end = 0;
  for (const auto& [code, offset] : code_points(text)) {
    width += glyph_width(code) * font_size;
    if (width > budget) break;
    end = offset + utf8_length(code);
  }
  return text.substr(0, end) + "\xE2\x80\xA6";
}

}  // namespace medllm::report
