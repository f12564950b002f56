#include "tokenizer/unicode.hpp"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include <vector>

#include "core/error.hpp"

namespace medllm::unicode {

namespace {

std::u16string to_utf16(std::string_view text) {
  UErrorCode status = U_ZERO_ERROR;
  int32_t length = 0;
  u_strFromUTF8(nullptr, 0, &length, text.data(), static_cast<int32_t>(text.size()), &status);
  std::u16string out(static_cast<size_t>(length), u'\0');
  status = U_ZERO_ERROR;
  u_strFromUTF8(reinterpret_cast<UChar*>(out.data()), length, nullptr, text.data(), static_cast<int32_t>(text.size()),
                &status);
  if (U_FAILURE(status)) fail("cannot convert text to UTF-16: {}", u_errorName(status));
  return out;
}

std::string to_utf8(const std::u16string& text) {
  UErrorCode status = U_ZERO_ERROR;
  int32_t length = 0;
  u_strToUTF8(nullptr, 0, &length, reinterpret_cast<const UChar*>(text.data()), static_cast<int32_t>(text.size()),
              &status);
  std::string out(static_cast<size_t>(length), '\0');
  status = U_ZERO_ERROR;
  u_strToUTF8(out.data(), length, nullptr, reinterpret_cast<const UChar*>(text.data()),
              static_cast<int32_t>(text.size()), &status);
  if (U_FAILURE(status)) fail("cannot convert text to UTF-8: {}", u_errorName(status));
  return out;
}

const UNormalizer2* instance(Form form) {
  UErrorCode status = U_ZERO_ERROR;
  const UNormalizer2* n = nullptr;
  switch (form) {
    case Form::NFC:
      n = unorm2_getNFCInstance(&status);
      break;
    case Form::NFD:
      n = unorm2_getNFDInstance(&status);
      break;
    case Form::NFKC:
      n = unorm2_getNFKCInstance(&status);
      break;
    case Form::NFKD:
      n = unorm2_getNFKDInstance(&status);
      break;
  }
  if (U_FAILURE(status)) fail("ICU normalizer unavailable: {}", u_errorName(status));
  return n;
}

}  // namespace

std::string normalize(std::string_view text, Form form) {
  const UNormalizer2* normalizer = instance(form);
  const std::u16string input = to_utf16(text);
  UErrorCode status = U_ZERO_ERROR;
  const auto* source = reinterpret_cast<const UChar*>(input.data());
  const auto length = static_cast<int32_t>(input.size());
  if (unorm2_isNormalized(normalizer, source, length, &status) && U_SUCCESS(status)) return std::string(text);
  status = U_ZERO_ERROR;
  const int32_t needed = unorm2_normalize(normalizer, source, length, nullptr, 0, &status);
  std::u16string out(static_cast<size_t>(needed), u'\0');
  status = U_ZERO_ERROR;
  unorm2_normalize(normalizer, source, length, reinterpret_cast<UChar*>(out.data()), needed, &status);
  if (U_FAILURE(status)) fail("Unicode normalization failed: {}", u_errorName(status));
  return to_utf8(out);
}

std::string to_lower(std::string_view text) {
  const std::u16string input = to_utf16(text);
  UErrorCode status = U_ZERO_ERROR;
  const auto* source = reinterpret_cast<const UChar*>(input.data());
  const auto length = static_cast<int32_t>(input.size());
  const int32_t needed = u_strToLower(nullptr, 0, source, length, "", &status);
  std::u16string out(static_cast<size_t>(needed), u'\0');
  status = U_ZERO_ERROR;
  u_strToLower(reinterpret_cast<UChar*>(out.data()), needed, source, length, "", &status);
  if (U_FAILURE(status)) fail("lowercasing failed: {}", u_errorName(status));
  return to_utf8(out);
}

char32_t decode(std::string_view text, size_t i, size_t* length) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t lead = byte(i);
  if (lead < 0x80) {
    *length = 1;
    return lead;
  }
  if (lead < 0xE0) {
    *length = 2;
    return (char32_t(lead & 0x1F) << 6) | (byte(i + 1) & 0x3F);
  }
  if (lead < 0xF0) {
    *length = 3;
    return (char32_t(lead & 0x0F) << 12) | (char32_t(byte(i + 1) & 0x3F) << 6) | (byte(i + 2) & 0x3F);
  }
  *length = 4;
  return (char32_t(lead & 0x07) << 18) | (char32_t(byte(i + 1) & 0x3F) << 12) | (char32_t(byte(i + 2) & 0x3F) << 6) |
         (byte(i + 3) & 0x3F);
}

void append(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

bool is_whitespace(char32_t c) {
  return u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_WHITE_SPACE);
}
bool is_alphabetic(char32_t c) {
  return u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_ALPHABETIC);
}
bool is_numeric(char32_t c) {
  const int8_t type = u_charType(static_cast<UChar32>(c));
  return type == U_DECIMAL_DIGIT_NUMBER || type == U_LETTER_NUMBER || type == U_OTHER_NUMBER;
}
bool is_alphanumeric(char32_t c) {
  return is_alphabetic(c) || is_numeric(c);
}
bool is_punctuation(char32_t c) {
  return u_ispunct(static_cast<UChar32>(c));
}
bool is_ascii_punctuation(char32_t c) {
  return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E);
}
bool is_digit(char32_t c) {
  return u_charType(static_cast<UChar32>(c)) == U_DECIMAL_DIGIT_NUMBER;
}
bool is_control(char32_t c) {
  return u_charType(static_cast<UChar32>(c)) == U_CONTROL_CHAR;
}
bool is_mark(char32_t c) {
  const int8_t type = u_charType(static_cast<UChar32>(c));
  return type == U_NON_SPACING_MARK || type == U_COMBINING_SPACING_MARK || type == U_ENCLOSING_MARK;
}

}  // namespace medllm::unicode
