#include "eval/python_literal.hpp"

#include <cstdlib>

#include "tokenizer/unicode.hpp"

namespace medllm::eval {

namespace {

// A cursor over the text; every reader returns false where eval() would raise.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  bool at_end() const { return at_ >= text_.size(); }
  char peek(size_t ahead = 0) const { return at_ + ahead < text_.size() ? text_[at_ + ahead] : '\0'; }
  bool take(char c) {
    if (peek() != c || at_end()) return false;
    ++at_;
    return true;
  }

  // Before the expression: eval() strips spaces and tabs, then blank and comment lines may
  // follow; the expression's own line must not be indented.
  bool skip_leading() {
    while (peek() == ' ' || peek() == '\t') ++at_;
    while (true) {
      skip_comment();
      if (!skip_line_break()) return true;
      const size_t line = at_;
      while (peek() == ' ' || peek() == '\t' || peek() == '\f') ++at_;
      skip_comment();
      if (at_end() || peek() == '\n' || peek() == '\r') continue;
      return at_ == line;  // an indented first line is an IndentationError
    }
  }

  // Inside brackets line breaks and comments are whitespace; outside only at the end.
  void skip_space(bool inside_brackets) {
    while (!at_end()) {
      const char c = peek();
      if (c == ' ' || c == '\t' || c == '\f') {
        ++at_;
      } else if (c == '#') {
        skip_comment();
      } else if (c == '\\' && (peek(1) == '\n' || peek(1) == '\r')) {
        ++at_;
        skip_line_break();
      } else if (inside_brackets && (c == '\n' || c == '\r')) {
        skip_line_break();
      } else {
        return;
      }
    }
  }

  // After the expression: blank lines and comments only. Python refuses a backslash continuing the
  // expression's line into nothing, and a last line of only spaces without its line break
  // (IndentationError).
  bool only_space_left() {
    bool new_line = false;
    while (true) {
      const size_t line = at_;
      while (peek() == ' ' || peek() == '\t' || peek() == '\f') ++at_;
      const bool only_spaces = at_ > line && peek() != '#';
      skip_comment();
      if (at_end()) return !(new_line && only_spaces);
      if (!skip_line_break()) return false;
      new_line = true;
    }
  }

  bool read_value(PythonValue& out) {
    const char c = peek();
    if (c == '\'' || c == '"' || is_string_prefix()) return read_strings(out);
    if (c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9')) return read_number(out);
    return read_keyword(out);
  }

 private:
  void skip_comment() {
    if (peek() != '#') return;
    while (!at_end() && peek() != '\n' && peek() != '\r') ++at_;
  }

  bool skip_line_break() {
    if (take('\r')) {
      take('\n');
      return true;
    }
    return take('\n');
  }

  bool is_string_prefix() const {
    const char c = peek();
    const char next = peek(1);
    if (c == 'r' || c == 'R' || c == 'u' || c == 'U') return next == '\'' || next == '"';
    return false;
  }

  // Adjacent literals are one string: 'a' "b" -> "ab".
  bool read_strings(PythonValue& out) {
    out = {PythonValue::Kind::String, {}, 0};
    bool any = false;
    while (peek() == '\'' || peek() == '"' || is_string_prefix()) {
      if (!read_string(out.text)) return false;
      any = true;
      skip_space(true);
    }
    return any;
  }

  bool read_string(std::string& out) {
    bool raw = false;
    if (peek() != '\'' && peek() != '"') {
      raw = peek() == 'r' || peek() == 'R';
      ++at_;
    }
    const char quote = peek();
    const bool triple = peek(1) == quote && peek(2) == quote;
    at_ += triple ? 3 : 1;
    while (!at_end()) {
      const char c = peek();
      if (c == quote && (!triple || (peek(1) == quote && peek(2) == quote))) {
        at_ += triple ? 3 : 1;
        return true;
      }
      if (!triple && (c == '\n' || c == '\r')) return false;
      if (c == '\r') {  // Python reads a source's line breaks as "\n"
        out += '\n';
        ++at_;
        take('\n');
        continue;
      }
      if (c == '\\') {
        if (!read_escape(out, raw)) return false;
        continue;
      }
      out += c;
      ++at_;
    }
    return false;  // unterminated
  }

  bool read_escape(std::string& out, bool raw) {
    const char c = peek(1);
    if (c == '\0' && at_ + 1 >= text_.size()) return false;
    if (raw) {  // the backslash stays; it only keeps the next character from ending the string
      out += '\\';
      out += c;
      at_ += 2;
      return true;
    }
    at_ += 2;
    switch (c) {
      case '\n':
        return true;
      case '\r':
        take('\n');
        return true;
      case '\\':
        out += '\\';
        return true;
      case '\'':
        out += '\'';
        return true;
      case '"':
        out += '"';
        return true;
      case 'n':
        out += '\n';
        return true;
      case 't':
        out += '\t';
        return true;
      case 'r':
        out += '\r';
        return true;
      case 'a':
        out += '\a';
        return true;
      case 'b':
        out += '\b';
        return true;
      case 'f':
        out += '\f';
        return true;
      case 'v':
        out += '\v';
        return true;
      case 'x':
        return read_code_point(out, 2);
      case 'u':
        return read_code_point(out, 4);
      case 'U':
        return read_code_point(out, 8);
      case 'N':
        return false;  // \N{name} needs Unicode's name table
      default:
        break;
    }
    if (c >= '0' && c <= '7') {  // up to three octal digits
      char32_t value = static_cast<char32_t>(c - '0');
      for (int i = 0; i < 2 && peek() >= '0' && peek() <= '7'; ++i)
        value = value * 8 + static_cast<char32_t>(take_char() - '0');
      unicode::append(out, value);
      return true;
    }
    out += '\\';  // an unknown escape keeps its backslash
    at_ -= 1;
    return true;
  }

  char take_char() { return text_[at_++]; }

  bool read_code_point(std::string& out, int digits) {
    char32_t value = 0;
    for (int i = 0; i < digits; ++i) {
      const char c = peek();
      int digit = -1;
      if (c >= '0' && c <= '9') digit = c - '0';
      if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
      if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
      if (digit < 0) return false;
      value = value * 16 + static_cast<char32_t>(digit);
      ++at_;
    }
    if (value > 0x10FFFF) return false;
    // Python strings may hold lone surrogates; UTF-8 cannot, and a reply never has them.
    if (value >= 0xD800 && value <= 0xDFFF) return false;
    unicode::append(out, value);
    return true;
  }

  // [+-] digits [. digits] [e [+-] digits], or . digits ...; an int or a float.
  bool read_number(PythonValue& out) {
    const size_t start = at_;
    if (peek() == '+' || peek() == '-') {
      ++at_;
      skip_space(true);
    }
    const size_t digits_start = at_;
    size_t digits = 0;
    while (peek() >= '0' && peek() <= '9') ++at_, ++digits;
    if (take('.'))
      while (peek() >= '0' && peek() <= '9') ++at_, ++digits;
    if (digits == 0) return false;
    if (peek() == 'e' || peek() == 'E') {
      ++at_;
      if (peek() == '+' || peek() == '-') ++at_;
      size_t exponent = 0;
      while (peek() >= '0' && peek() <= '9') ++at_, ++exponent;
      if (exponent == 0) return false;
    }
    const char after = peek();
    if ((after >= 'a' && after <= 'z') || (after >= 'A' && after <= 'Z') || after == '_') return false;
    // Python 3 refuses integers written with leading zeros ("01"); "0", "00" and "0.5" are fine.
    const std::string_view written = text_.substr(digits_start, at_ - digits_start);
    const bool integer = written.find_first_of(".eE") == std::string_view::npos;
    if (integer && written.size() > 1 && written[0] == '0' && written.find_first_not_of('0') != std::string_view::npos)
      return false;
    const double magnitude = std::strtod(std::string(written).c_str(), nullptr);
    out = {PythonValue::Kind::Number, {}, text_[start] == '-' ? -magnitude : magnitude};
    return true;
  }

  bool read_keyword(PythonValue& out) {
    for (const auto& [word, value] :
         {std::pair{"True", PythonValue{PythonValue::Kind::Number, {}, 1}},
          std::pair{"False", PythonValue{PythonValue::Kind::Number, {}, 0}}, std::pair{"None", PythonValue{}}}) {
      const std::string_view name(word);
      if (text_.substr(at_, name.size()) != name) continue;
      const char after = peek(name.size());
      const bool name_goes_on = (after >= 'a' && after <= 'z') || (after >= 'A' && after <= 'Z') ||
                                (after >= '0' && after <= '9') || after == '_' ||
                                static_cast<unsigned char>(after) >= 0x80;
      if (name_goes_on) return false;
      at_ += name.size();
      out = value;
      return true;
    }
    return false;
  }

  std::string_view text_;
  size_t at_ = 0;
};

}  // namespace

std::optional<std::vector<PythonValue>> parse_python_list(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) return std::nullopt;  // Python source cannot hold NUL
  Reader reader(text);
  if (!reader.skip_leading() || !reader.take('[')) return std::nullopt;
  std::vector<PythonValue> values;
  reader.skip_space(true);
  while (!reader.take(']')) {
    PythonValue value;
    if (!reader.read_value(value)) return std::nullopt;
    values.push_back(std::move(value));
    reader.skip_space(true);
    if (reader.take(']')) break;
    if (!reader.take(',')) return std::nullopt;
    reader.skip_space(true);
  }
  if (!reader.only_space_left()) return std::nullopt;
  return values;
}

}  // namespace medllm::eval
