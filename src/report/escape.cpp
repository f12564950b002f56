#include "report/escape.hpp"

#include <cstdint>

#include "core/utf8.hpp"

namespace medllm::report {

namespace {
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
}  // namespace

std::string clean_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const size_t length = utf8::sequence_length(text, i);
    if (length == 0) {  // each byte of an invalid sequence
      out += kReplacement;
      ++i;
      continue;
    }
    const auto lead = static_cast<unsigned char>(text[i]);
    const bool c0_control =
        length == 1 && ((lead < 0x20 && lead != '\t' && lead != '\n' && lead != '\r') || lead == 0x7F);
    const bool c1_control = length == 2 && lead == 0xC2 && static_cast<unsigned char>(text[i + 1]) <= 0x9F;
    if (c0_control || c1_control) {
      out += kReplacement;
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
  return out;
}

std::string html_escape(std::string_view text) {
  std::string clean = clean_text(text);
  std::string out;
  out.reserve(clean.size() + clean.size() / 8);
  for (char c : clean) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

bool is_ascii_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// A '_' between two letters or digits cannot open emphasis, so it stays unescaped.
bool intraword(const std::string& text, size_t i) {
  return i > 0 && i + 1 < text.size() && is_ascii_alnum(text[i - 1]) && is_ascii_alnum(text[i + 1]);
}

}  // namespace

std::string markdown_escape(std::string_view text) {
  const std::string clean = clean_text(text);
  std::string out;
  out.reserve(clean.size() + 8);
  for (size_t i = 0; i < clean.size(); ++i) {
    const char c = clean[i];
    if (c == '\n' || c == '\r' || c == '\t') {
      out += ' ';
    } else if (std::string_view("\\`*[]<>|&~").find(c) != std::string_view::npos ||
               (c == '_' && !intraword(clean, i)) || (c == '#' && out.empty())) {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

std::string markdown_code(std::string_view text) {
  const std::string clean = clean_text(text);
  if (clean.empty() || clean.find_first_of("`\n\r|") != std::string::npos) return markdown_escape(clean);
  return "`" + clean + "`";
}

}  // namespace medllm::report
