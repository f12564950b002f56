#include "templating/jinja/js_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include <unicode/ustring.h>
#include <unicode/utypes.h>

#include "core/error.hpp"
#include "core/utf8.hpp"

namespace medllm::jinja::js {

namespace {

constexpr char32_t kReplacement = 0xFFFD;

using utf8::is_continuation;

// A WTF-8 surrogate at text[i] (3 bytes ED A0..BF xx): 1 for high, 2 for low, 0 otherwise.
int surrogate_at(std::string_view text, size_t i) {
  if (i + 3 > text.size()) return 0;
  const auto b0 = static_cast<unsigned char>(text[i]), b1 = static_cast<unsigned char>(text[i + 1]);
  if (b0 != 0xED || !is_continuation(static_cast<unsigned char>(text[i + 2]))) return 0;
  if (b1 >= 0xA0 && b1 <= 0xAF) return 1;
  if (b1 >= 0xB0 && b1 <= 0xBF) return 2;
  return 0;
}

char32_t decode_surrogate(std::string_view text, size_t i) {
  return 0xD000 | ((static_cast<unsigned char>(text[i + 1]) & 0x3F) << 6) |
         (static_cast<unsigned char>(text[i + 2]) & 0x3F);
}

// Start of the code point that ends at `end` (end > 0).
size_t previous_start(std::string_view text, size_t end) {
  size_t j = end - 1;
  while (j > 0 && end - j < 4 && is_continuation(static_cast<unsigned char>(text[j]))) --j;
  size_t probe = j;
  next_code_point(text, probe);
  return probe == end ? j : end - 1;
}

// JavaScript's toUpperCase/toLowerCase: Unicode's full, locale-independent case mapping (ß → SS,
// İ → i̇, final sigma), as ICU's root locale maps a UTF-16 string. Lone surrogates pass through.
std::string change_case(std::string_view text, bool upper) {
  std::u16string units;
  units.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const char32_t c = next_code_point(text, i);
    if (c >= 0x10000) {
      units.push_back(static_cast<char16_t>(0xD800 + ((c - 0x10000) >> 10)));
      units.push_back(static_cast<char16_t>(0xDC00 + ((c - 0x10000) & 0x3FF)));
    } else {
      units.push_back(static_cast<char16_t>(c));
    }
  }
  const auto map = upper ? u_strToUpper : u_strToLower;
  std::u16string mapped(units.size() * 3 + 1, u'\0');  // full mappings at most triple a string
  UErrorCode status = U_ZERO_ERROR;
  const int32_t length = map(mapped.data(), static_cast<int32_t>(mapped.size()), units.data(),
                             static_cast<int32_t>(units.size()), "", &status);
  if (U_FAILURE(status)) fail("case mapping failed: {}", u_errorName(status));
  std::string out;
  out.reserve(static_cast<size_t>(length));
  for (int32_t i = 0; i < length; ++i) {
    const char32_t unit = mapped[static_cast<size_t>(i)];
    const bool pair = unit >= 0xD800 && unit <= 0xDBFF && i + 1 < length &&
                      mapped[static_cast<size_t>(i) + 1] >= 0xDC00 && mapped[static_cast<size_t>(i) + 1] <= 0xDFFF;
    if (pair) {
      append_code_point(out, 0x10000 + ((unit - 0xD800) << 10) + (mapped[static_cast<size_t>(++i)] - 0xDC00));
    } else {
      append_code_point(out, unit);
    }
  }
  return out;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Length of the longest StrDecimalLiteral at text[i:] (optionally signed; "Infinity" included).
size_t decimal_literal_length(std::string_view text, size_t i, bool* infinity) {
  const size_t start = i;
  *infinity = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  if (text.substr(i, 8) == "Infinity") {
    *infinity = true;
    return i + 8 - start;
  }
  size_t integer_digits = 0, fraction_digits = 0;
  while (i < text.size() && is_digit(text[i])) ++i, ++integer_digits;
  if (i < text.size() && text[i] == '.') {
    size_t j = i + 1;
    while (j < text.size() && is_digit(text[j])) ++j, ++fraction_digits;
    if (integer_digits > 0 || fraction_digits > 0) i = j;
  }
  if (integer_digits == 0 && fraction_digits == 0) return 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    size_t j = i + 1;
    if (j < text.size() && (text[j] == '+' || text[j] == '-')) ++j;
    const size_t digits_start = j;
    while (j < text.size() && is_digit(text[j])) ++j;
    if (j > digits_start) i = j;
  }
  return i - start;
}

// The value of a decimal literal found by decimal_literal_length (sign included).
double decimal_value(std::string_view literal, bool infinity) {
  bool negative = false;
  if (!literal.empty() && (literal[0] == '+' || literal[0] == '-')) {
    negative = literal[0] == '-';
    literal.remove_prefix(1);
  }
  double value = 0;
  if (infinity) {
    value = std::numeric_limits<double>::infinity();
  } else {
    const auto result = std::from_chars(literal.data(), literal.data() + literal.size(), value);
    if (result.ec == std::errc::result_out_of_range) {
      // Overflow or underflow: decide from the decimal exponent of the leading nonzero digit.
      const size_t e = literal.find_first_of("eE");
      const std::string_view mantissa = literal.substr(0, e);
      const size_t point = std::min(mantissa.find('.'), mantissa.size());
      const size_t lead = mantissa.find_first_of("123456789");
      long exponent = lead < point ? static_cast<long>(point - lead) - 1 : -static_cast<long>(lead - point);
      if (e != std::string_view::npos) {
        std::string_view digits = literal.substr(e + 1);
        const bool negative_exponent = !digits.empty() && digits[0] == '-';
        if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
        long parsed = 0;
        if (std::from_chars(digits.data(), digits.data() + digits.size(), parsed).ec != std::errc()) parsed = 100000;
        exponent += negative_exponent ? -parsed : parsed;
      }
      value = exponent > 0 ? std::numeric_limits<double>::infinity() : 0.0;
    }
  }
  return negative ? -value : value;
}

}  // namespace

char32_t next_code_point(std::string_view text, size_t& i) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  size_t length = 0;
  char32_t cp = 0;
  unsigned char low = 0x80, high = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2, cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3, cp = b0 & 0x0F;
    if (b0 == 0xE0) low = 0xA0;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4, cp = b0 & 0x07;
    if (b0 == 0xF0) low = 0x90;
    if (b0 == 0xF4) high = 0x8F;
  }
  if (length == 0 || i + length > text.size()) {
    ++i;
    return kReplacement;
  }
  for (size_t k = 1; k < length; ++k) {
    const auto b = static_cast<unsigned char>(text[i + k]);
    if (k == 1 ? (b < low || b > high) : !is_continuation(b)) {
      ++i;
      return kReplacement;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (surrogate_at(text, i) == 1 && surrogate_at(text, i + 3) == 2) {
    const char32_t low_unit = decode_surrogate(text, i + 3);
    i += 6;
    return 0x10000 + ((cp - 0xD800) << 10) + (low_unit - 0xDC00);
  }
  i += length;
  return cp;
}

void append_code_point(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

void append(std::string& out, std::string_view piece) {
  if (out.size() >= 3 && piece.size() >= 3 && surrogate_at(out, out.size() - 3) == 1 && surrogate_at(piece, 0) == 2) {
    const char32_t high = decode_surrogate(out, out.size() - 3), low = decode_surrogate(piece, 0);
    out.resize(out.size() - 3);
    append_code_point(out, 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00));
    piece.remove_prefix(3);
  }
  out.append(piece);
}

std::string sanitize_utf8(std::string_view text) {
  return utf8::sanitize(text);
}

std::string to_well_formed(std::string_view text) {
  bool has_surrogate = false;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (static_cast<unsigned char>(text[i]) == 0xED && static_cast<unsigned char>(text[i + 1]) >= 0xA0) {
      has_surrogate = true;
      break;
    }
  }
  if (!has_surrogate) return std::string(text);
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const char32_t cp = next_code_point(text, i);
    append_code_point(out, cp >= 0xD800 && cp <= 0xDFFF ? kReplacement : cp);
  }
  return out;
}

size_t utf16_length(std::string_view text) {
  size_t units = 0;
  for (size_t i = 0; i < text.size();) units += next_code_point(text, i) >= 0x10000 ? 2 : 1;
  return units;
}

std::optional<std::string> utf16_unit_at(std::string_view text, double index) {
  const double length = static_cast<double>(utf16_length(text));
  double relative = std::isnan(index) ? 0.0 : std::trunc(index);
  const double k = relative >= 0 ? relative : length + relative;
  if (k < 0 || k >= length) return std::nullopt;
  const auto wanted = static_cast<size_t>(k);
  size_t unit = 0;
  for (size_t i = 0; i < text.size();) {
    const size_t start = i;
    const char32_t cp = next_code_point(text, i);
    if (cp >= 0x10000) {
      if (wanted == unit || wanted == unit + 1) {
        std::string out;
        append_code_point(out, wanted == unit ? 0xD800 + ((cp - 0x10000) >> 10) : 0xDC00 + ((cp - 0x10000) & 0x3FF));
        return out;
      }
      unit += 2;
    } else {
      if (wanted == unit) return std::string(text.substr(start, i - start));
      unit += 1;
    }
  }
  return std::nullopt;
}

std::vector<std::string> code_points(std::string_view text) {
  std::vector<std::string> out;
  for (size_t i = 0; i < text.size();) {
    std::string piece;
    append_code_point(piece, next_code_point(text, i));
    out.push_back(std::move(piece));
  }
  return out;
}

int compare(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const char32_t x = next_code_point(a, i), y = next_code_point(b, j);
    if (x == y) continue;
    // The first UTF-16 unit decides unless both are supplementary with the same high surrogate.
    auto first_unit = [](char32_t c) -> char32_t { return c >= 0x10000 ? 0xD800 + ((c - 0x10000) >> 10) : c; };
    const char32_t ux = first_unit(x), uy = first_unit(y);
    if (ux != uy) return ux < uy ? -1 : 1;
    return x < y ? -1 : 1;
  }
  if (i < a.size()) return 1;
  if (j < b.size()) return -1;
  return 0;
}

bool is_whitespace(char32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

std::string trim(std::string_view text, bool start, bool end) {
  size_t begin = 0, finish = text.size();
  if (start) {
    while (begin < finish) {
      size_t next = begin;
      if (!is_whitespace(next_code_point(text, next))) break;
      begin = next;
    }
  }
  if (end) {
    while (finish > begin) {
      size_t previous = previous_start(text, finish), probe = previous;
      if (!is_whitespace(next_code_point(text, probe))) break;
      finish = previous;
    }
  }
  return std::string(text.substr(begin, finish - begin));
}

std::string to_upper(std::string_view text) {
  return change_case(text, true);
}

std::string to_lower(std::string_view text) {
  return change_case(text, false);
}

std::string title_case(std::string_view text) {
  auto is_word = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  std::string out(text);
  for (size_t i = 0; i < out.size(); ++i) {
    if (is_word(out[i]) && (i == 0 || !is_word(out[i - 1])) && out[i] >= 'a' && out[i] <= 'z') out[i] -= 0x20;
  }
  return out;
}

std::string capitalize(std::string_view text) {
  if (text.empty()) return "";
  size_t i = 0;
  const char32_t first = next_code_point(text, i);
  if (first >= 0x10000) return std::string(text);  // charAt(0) is a lone high surrogate: unchanged
  return change_case(text.substr(0, i), true) + std::string(text.substr(i));
}

void append_json_string(std::string& out, std::string_view text, bool ensure_ascii) {
  auto escape_unit = [&](char32_t unit) { out += fmt::format("\\u{:04x}", static_cast<uint32_t>(unit)); };
  out += '"';
  for (size_t i = 0; i < text.size();) {
    const size_t start = i;
    const char32_t cp = next_code_point(text, i);
    switch (cp) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      default:
        break;
    }
    if (cp < 0x20 || (cp >= 0xD800 && cp <= 0xDFFF)) {
      escape_unit(cp);
    } else if (ensure_ascii && cp >= 0x7F) {
      if (cp >= 0x10000) {
        escape_unit(0xD800 + ((cp - 0x10000) >> 10));
        escape_unit(0xDC00 + ((cp - 0x10000) & 0x3FF));
      } else {
        escape_unit(cp);
      }
    } else if (cp == kReplacement && i - start == 1) {
      append_code_point(out, cp);  // an invalid byte (not expected: inputs are sanitized)
    } else {
      out.append(text.substr(start, i - start));
    }
  }
  out += '"';
}

std::string number_to_string(double value) {
  if (std::isnan(value)) return "NaN";
  if (value == 0) return "0";
  if (value < 0) return fmt::format("-{}", number_to_string(-value));
  if (std::isinf(value)) return "Infinity";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
  const std::string_view text(buffer, static_cast<size_t>(result.ptr - buffer));
  const size_t e = text.find('e');
  std::string digits;
  for (char c : text.substr(0, e)) {
    if (c != '.') digits += c;
  }
  int exponent = 0;
  std::from_chars(text.data() + e + 1 + (text[e + 1] == '+'), text.data() + text.size(), exponent);
  const int k = static_cast<int>(digits.size()), n = exponent + 1;
  if (k <= n && n <= 21) return digits + std::string(static_cast<size_t>(n - k), '0');
  const std::string_view d = digits;
  if (0 < n && n <= 21)
    return fmt::format("{}.{}", d.substr(0, static_cast<size_t>(n)), d.substr(static_cast<size_t>(n)));
  if (-6 < n && n <= 0) return fmt::format("0.{}{}", std::string(static_cast<size_t>(-n), '0'), d);
  return fmt::format("{}{}{}e{}{}", d.substr(0, 1), k > 1 ? "." : "", d.substr(1), n - 1 >= 0 ? '+' : '-',
                     std::abs(n - 1));
}

std::string float_to_string(double value) {
  if (value == 0 && std::signbit(value)) return "-0.0";
  if (std::isfinite(value) && std::fmod(value, 1.0) == 0) {
    if (std::fabs(value) >= 1e21) return number_to_string(value);
    return fmt::format("{:.1f}", value);
  }
  return number_to_string(value);
}

double parse_int(std::string_view text) {
  const std::string trimmed = trim(text, true, false);
  std::string_view s = trimmed;
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  size_t n = 0;
  while (n < s.size() && is_digit(s[n])) ++n;
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  double value = 0;
  const auto result = std::from_chars(s.data(), s.data() + n, value);
  if (result.ec == std::errc::result_out_of_range) value = std::numeric_limits<double>::infinity();
  return negative ? -value : value;
}

double parse_float(std::string_view text) {
  const std::string trimmed = trim(text, true, false);
  bool infinity = false;
  const size_t n = decimal_literal_length(trimmed, 0, &infinity);
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  return decimal_value(std::string_view(trimmed).substr(0, n), infinity);
}

double string_to_number(std::string_view text) {
  const std::string trimmed = trim(text);
  const std::string_view s = trimmed;
  if (s.empty()) return 0;
  if (s.size() > 2 && s[0] == '0') {
    int radix = 0;
    if (s[1] == 'x' || s[1] == 'X') radix = 16;
    if (s[1] == 'o' || s[1] == 'O') radix = 8;
    if (s[1] == 'b' || s[1] == 'B') radix = 2;
    if (radix != 0) {
      double value = 0;
      for (char c : s.substr(2)) {
        int digit = -1;
        if (c >= '0' && c <= '9') digit = c - '0';
        if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
        if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
        if (digit < 0 || digit >= radix) return std::numeric_limits<double>::quiet_NaN();
        value = value * radix + digit;
      }
      return value;
    }
  }
  bool infinity = false;
  const size_t n = decimal_literal_length(s, 0, &infinity);
  if (n == 0 || n != s.size()) return std::numeric_limits<double>::quiet_NaN();
  return decimal_value(s, infinity);
}

}  // namespace medllm::jinja::js
