#include "templating/jinja/lexer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

#include "core/utf8.hpp"
#include "templating/jinja/js_text.hpp"

namespace medllm::jinja {

const char* token_type_name(TokenType type) {
  switch (type) {
    case TokenType::Text:
      return "Text";
    case TokenType::NumericLiteral:
      return "NumericLiteral";
    case TokenType::StringLiteral:
      return "StringLiteral";
    case TokenType::Identifier:
      return "Identifier";
    case TokenType::Equals:
      return "Equals";
    case TokenType::OpenParen:
      return "OpenParen";
    case TokenType::CloseParen:
      return "CloseParen";
    case TokenType::OpenStatement:
      return "OpenStatement";
    case TokenType::CloseStatement:
      return "CloseStatement";
    case TokenType::OpenExpression:
      return "OpenExpression";
    case TokenType::CloseExpression:
      return "CloseExpression";
    case TokenType::OpenSquareBracket:
      return "OpenSquareBracket";
    case TokenType::CloseSquareBracket:
      return "CloseSquareBracket";
    case TokenType::OpenCurlyBracket:
      return "OpenCurlyBracket";
    case TokenType::CloseCurlyBracket:
      return "CloseCurlyBracket";
    case TokenType::Comma:
      return "Comma";
    case TokenType::Dot:
      return "Dot";
    case TokenType::Colon:
      return "Colon";
    case TokenType::Pipe:
      return "Pipe";
    case TokenType::AdditiveBinaryOperator:
      return "AdditiveBinaryOperator";
    case TokenType::MultiplicativeBinaryOperator:
      return "MultiplicativeBinaryOperator";
    case TokenType::ExponentiationBinaryOperator:
      return "ExponentiationBinaryOperator";
    case TokenType::ComparisonBinaryOperator:
      return "ComparisonBinaryOperator";
    case TokenType::UnaryOperator:
      return "UnaryOperator";
    case TokenType::Comment:
      return "Comment";
  }
  return "?";
}

namespace {

using Range = std::pair<size_t, size_t>;  // [begin, end) to delete

// Applies sorted, disjoint deletions.
void remove_ranges(Preprocessed& pre, const std::vector<Range>& ranges) {
  if (ranges.empty()) return;
  Preprocessed out;
  out.text.reserve(pre.text.size());
  out.origin.reserve(pre.origin.size());
  size_t next = 0;
  for (const auto& [begin, end] : ranges) {
    for (size_t i = next; i < begin; ++i) {
      out.text += pre.text[i];
      out.origin.push_back(pre.origin[i]);
    }
    next = end;
  }
  for (size_t i = next; i < pre.text.size(); ++i) {
    out.text += pre.text[i];
    out.origin.push_back(pre.origin[i]);
  }
  out.origin.push_back(pre.origin.back());
  pre = std::move(out);
}

bool whitespace_at(std::string_view text, size_t i, size_t* next) {
  size_t j = i;
  if (!js::is_whitespace(js::next_code_point(text, j))) return false;
  *next = j;
  return true;
}

size_t skip_whitespace(std::string_view text, size_t i) {
  size_t next = 0;
  while (i < text.size() && whitespace_at(text, i, &next)) i = next;
  return i;
}

// Start of the run of whitespace characters that ends at `end`, not before `floor`.
size_t whitespace_run_start(std::string_view text, size_t end, size_t floor) {
  size_t start = end;
  while (start > floor) {
    size_t j = start - 1;
    while (j > floor && utf8::is_continuation(static_cast<unsigned char>(text[j]))) --j;
    size_t next = 0;
    if (!whitespace_at(text, j, &next) || next != start) break;
    start = j;
  }
  return start;
}

// /^[ \t]*({[#%-])/gm -> "$1": spaces and tabs before a block at the start of a line.
std::vector<Range> lstrip_block_ranges(std::string_view text) {
  std::vector<Range> ranges;
  auto strip_line = [&](size_t line_start) {
    size_t j = line_start;
    while (j < text.size() && (text[j] == ' ' || text[j] == '\t')) ++j;
    if (j > line_start && j + 1 < text.size() && text[j] == '{' &&
        (text[j + 1] == '#' || text[j + 1] == '%' || text[j + 1] == '-')) {
      ranges.emplace_back(line_start, j);
    }
  };
  strip_line(0);
  for (size_t i = 0; i < text.size(); ++i) {
    // JavaScript's multiline ^ also follows \r, U+2028 and U+2029.
    if (text[i] == '\n' || text[i] == '\r') {
      strip_line(i + 1);
    } else if (text.compare(i, 3, "\xE2\x80\xA8") == 0 || text.compare(i, 3, "\xE2\x80\xA9") == 0) {
      strip_line(i + 3);
      i += 2;
    }
  }
  return ranges;
}

// /([#%-]})\n/g -> "$1": the newline after a block.
std::vector<Range> trim_block_ranges(std::string_view text) {
  std::vector<Range> ranges;
  for (size_t i = 0; i + 2 < text.size();) {
    if ((text[i] == '#' || text[i] == '%' || text[i] == '-') && text[i + 1] == '}' && text[i + 2] == '\n') {
      ranges.emplace_back(i + 2, i + 3);
      i += 3;
    } else {
      ++i;
    }
  }
  return ranges;
}

// /(\s*){%(-?)\s*(?:end)?generation\s*(-?)%}(\s*)/gs -> (lstrip ? "" : $1) + (rstrip ? "" : $4)
std::vector<Range> generation_tag_ranges(std::string_view text) {
  std::vector<Range> ranges;
  size_t last_end = 0;
  for (size_t q = text.find("{%"); q != std::string_view::npos; q = text.find("{%", q + 1)) {
    size_t i = q + 2;
    const bool lstrip = i < text.size() && text[i] == '-';
    if (lstrip) ++i;
    i = skip_whitespace(text, i);
    if (text.compare(i, 3, "end") == 0 && text.compare(i + 3, 10, "generation") == 0) i += 3;
    if (text.compare(i, 10, "generation") != 0) continue;
    i = skip_whitespace(text, i + 10);
    const bool rstrip = i < text.size() && text[i] == '-';
    if (rstrip) ++i;
    if (text.compare(i, 2, "%}") != 0) continue;
    const size_t tag_end = i + 2, after_end = skip_whitespace(text, tag_end);
    const size_t before_start = whitespace_run_start(text, q, last_end);
    ranges.emplace_back(lstrip ? before_start : q, rstrip ? after_end : tag_end);
    last_end = after_end;
    q = std::max(q, after_end == 0 ? 0 : after_end - 1);
  }
  return ranges;
}

class Lexer {
 public:
  Lexer(const SourceText& source, const Preprocessed& pre) : source_(source), src_(pre.text), origin_(pre.origin) {}

  std::vector<Token> run() {
    const size_t n = src_.size();
    while (c_ < n) {
      const TokenType* last = tokens_.empty() ? nullptr : &tokens_.back().type;
      if (last == nullptr || *last == TokenType::CloseStatement || *last == TokenType::CloseExpression ||
          *last == TokenType::Comment) {
        const size_t start = c_;
        while (c_ < n && !(src_[c_] == '{' && c_ + 1 < n &&
                           (src_[c_ + 1] == '%' || src_[c_ + 1] == '{' || src_[c_ + 1] == '#'))) {
          ++c_;
        }
        if (c_ > start) {
          push(TokenType::Text, std::string(src_.substr(start, c_ - start)), start);
          continue;
        }
      }

      if (starts_with("{#")) {
        lex_comment();
        continue;
      }
      if (starts_with("{%-")) {
        strip_trailing_whitespace();
        push(TokenType::OpenStatement, "{%", c_);
        c_ += 3;
        continue;
      }
      if (starts_with("{{-")) {
        strip_trailing_whitespace();
        push(TokenType::OpenExpression, "{{", c_);
        curly_depth_ = 0;
        c_ += 3;
        continue;
      }

      consume_code_whitespace();

      if (starts_with("-%}")) {
        push(TokenType::CloseStatement, "%}", c_);
        c_ += 3;
        c_ = skip_whitespace(src_, c_);
        continue;
      }
      if (starts_with("-}}")) {
        push(TokenType::CloseExpression, "}}", c_);
        c_ += 3;
        c_ = skip_whitespace(src_, c_);
        continue;
      }

      const char ch = src_[c_];
      if ((ch == '-' || ch == '+') && lex_sign(ch)) continue;
      if (lex_operator()) continue;

      if (ch == '\'' || ch == '"') {
        lex_string(ch);
        continue;
      }
      if (is_digit(ch)) {
        const size_t start = c_;
        std::string num = consume_while(is_digit);
        if (!(tokens_.empty() ? false : tokens_.back().type == TokenType::Dot) && c_ + 1 < n && src_[c_] == '.' &&
            is_digit(src_[c_ + 1])) {
          ++c_;
          num += '.';
          num += consume_while(is_digit);
        }
        push(TokenType::NumericLiteral, std::move(num), start);
        continue;
      }
      if (is_word(ch)) {
        const size_t start = c_;
        push(TokenType::Identifier, consume_while(is_word), start);
        continue;
      }
      size_t next = c_;
      const char32_t cp = js::next_code_point(src_, next);
      std::string shown;
      js::append_code_point(shown, cp);
      error(c_, fmt::format("Unexpected character: {}", shown));
    }
    return std::move(tokens_);
  }

 private:
  static bool is_digit(char c) { return c >= '0' && c <= '9'; }
  static bool is_word(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }

  [[noreturn]] void error(size_t position, std::string_view message) const {
    syntax_error(source_, origin_[std::min(position, src_.size())], message);
  }

  bool starts_with(std::string_view s) const { return src_.compare(c_, s.size(), s) == 0; }

  void push(TokenType type, std::string value, size_t position) {
    tokens_.push_back({type, std::move(value), origin_[std::min(position, src_.size())]});
  }

  // consumeWhile(predicate) for the predicates that never match a backslash: running into the
  // end of the input after consuming a character is an error, as in the reference.
  template <typename Predicate>
  std::string consume_while(Predicate predicate) {
    const size_t start = c_;
    while (c_ < src_.size() && predicate(src_[c_])) {
      ++c_;
      if (c_ >= src_.size()) error(c_, "Unexpected end of input");
    }
    return std::string(src_.substr(start, c_ - start));
  }

  void consume_code_whitespace() {
    size_t next = 0;
    while (c_ < src_.size() && whitespace_at(src_, c_, &next)) {
      c_ = next;
      if (c_ >= src_.size()) error(c_, "Unexpected end of input");
    }
  }

  void strip_trailing_whitespace() {
    if (tokens_.empty() || tokens_.back().type != TokenType::Text) return;
    tokens_.back().value = js::trim(tokens_.back().value, false, true);
    if (tokens_.back().value.empty()) tokens_.pop_back();
  }

  void lex_comment() {
    const size_t start = c_;
    c_ += 2;
    const bool strip_before = c_ < src_.size() && src_[c_] == '-';
    if (strip_before) ++c_;
    const size_t body = c_;
    while (!(c_ + 1 < src_.size() && src_[c_] == '#' && src_[c_ + 1] == '}')) {
      if (c_ + 2 >= src_.size()) error(start, "Missing end of comment tag");
      ++c_;
    }
    std::string comment(src_.substr(body, c_ - body));
    const bool strip_after = !comment.empty() && comment.back() == '-';
    if (strip_after) comment.pop_back();
    if (strip_before) strip_trailing_whitespace();
    push(TokenType::Comment, std::move(comment), start);
    c_ += 2;
    if (strip_after) c_ = skip_whitespace(src_, c_);
  }

  // A sign is unary (possibly the start of a negative number) unless it follows an operand.
  bool lex_sign(char ch) {
    if (tokens_.empty() || tokens_.back().type == TokenType::Text) {
      error(c_, fmt::format("Unexpected character: {}", ch));
    }
    switch (tokens_.back().type) {
      case TokenType::Identifier:
      case TokenType::NumericLiteral:
      case TokenType::StringLiteral:
      case TokenType::CloseParen:
      case TokenType::CloseSquareBracket:
        return false;
      default:
        break;
    }
    const size_t start = c_;
    ++c_;
    std::string num = consume_while(is_digit);
    if (!num.empty() && c_ + 1 < src_.size() && src_[c_] == '.' && is_digit(src_[c_ + 1])) {
      ++c_;
      num += '.';
      num += consume_while(is_digit);
    }
    const bool numeric = !num.empty();
    push(numeric ? TokenType::NumericLiteral : TokenType::UnaryOperator, std::string(1, ch) + num, start);
    return true;
  }

  bool lex_operator() {
    static const std::array<std::pair<std::string_view, TokenType>, 29> kTable = {{
        {"{%", TokenType::OpenStatement},
        {"%}", TokenType::CloseStatement},
        {"{{", TokenType::OpenExpression},
        {"}}", TokenType::CloseExpression},
        {"(", TokenType::OpenParen},
        {")", TokenType::CloseParen},
        {"{", TokenType::OpenCurlyBracket},
        {"}", TokenType::CloseCurlyBracket},
        {"[", TokenType::OpenSquareBracket},
        {"]", TokenType::CloseSquareBracket},
        {",", TokenType::Comma},
        {".", TokenType::Dot},
        {":", TokenType::Colon},
        {"|", TokenType::Pipe},
        {"<=", TokenType::ComparisonBinaryOperator},
        {">=", TokenType::ComparisonBinaryOperator},
        {"==", TokenType::ComparisonBinaryOperator},
        {"!=", TokenType::ComparisonBinaryOperator},
        {"<", TokenType::ComparisonBinaryOperator},
        {">", TokenType::ComparisonBinaryOperator},
        {"+", TokenType::AdditiveBinaryOperator},
        {"-", TokenType::AdditiveBinaryOperator},
        {"~", TokenType::AdditiveBinaryOperator},
        {"**", TokenType::ExponentiationBinaryOperator},
        {"*", TokenType::MultiplicativeBinaryOperator},
        {"//", TokenType::MultiplicativeBinaryOperator},
        {"/", TokenType::MultiplicativeBinaryOperator},
        {"%", TokenType::MultiplicativeBinaryOperator},
        {"=", TokenType::Equals},
    }};
    for (const auto& [sequence, type] : kTable) {
      if (sequence == "}}" && curly_depth_ > 0) continue;  // inside an object literal
      if (!starts_with(sequence)) continue;
      push(type, std::string(sequence), c_);
      if (type == TokenType::OpenExpression) curly_depth_ = 0;
      if (type == TokenType::OpenCurlyBracket) ++curly_depth_;
      if (type == TokenType::CloseCurlyBracket) --curly_depth_;
      c_ += sequence.size();
      return true;
    }
    return false;
  }

  void lex_string(char quote) {
    const size_t start = c_;
    ++c_;
    std::string value;
    while (true) {
      if (c_ >= src_.size()) error(start, "Unexpected end of input (unterminated string)");
      const char ch = src_[c_];
      if (ch == quote) break;
      if (ch == '\\') {
        ++c_;
        if (c_ >= src_.size()) error(c_, "Unexpected end of input");
        const char escaped = src_[c_++];
        std::string piece;
        if (escaped == 'x' || escaped == 'u') {
          const size_t length = escaped == 'x' ? 2 : 4;
          const std::string_view hex = src_.substr(c_, length);
          const bool valid = hex.size() == length && std::all_of(hex.begin(), hex.end(), [](char h) {
                               return (h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F');
                             });
          if (!valid) error(c_ - 2, fmt::format("Invalid hexadecimal escape sequence: \\{}{}", escaped, hex));
          js::append_code_point(piece, static_cast<char32_t>(std::stoul(std::string(hex), nullptr, 16)));
          c_ += length;
        } else {
          switch (escaped) {
            case 'n':
              piece = "\n";
              break;
            case 't':
              piece = "\t";
              break;
            case 'r':
              piece = "\r";
              break;
            case 'b':
              piece = "\b";
              break;
            case 'f':
              piece = "\f";
              break;
            case 'v':
              piece = "\v";
              break;
            case '\'':
              piece = "'";
              break;
            case '"':
              piece = "\"";
              break;
            case '\\':
              piece = "\\";
              break;
            default: {
              size_t at = c_ - 1, next = at;
              std::string shown;
              js::append_code_point(shown, js::next_code_point(src_, next));
              error(at - 1, fmt::format("Unexpected escaped character: {}", shown));
            }
          }
        }
        js::append(value, piece);
        continue;
      }
      value += ch;
      ++c_;
      if (c_ >= src_.size()) error(start, "Unexpected end of input (unterminated string)");
    }
    ++c_;  // the closing quote
    push(TokenType::StringLiteral, std::move(value), start);
  }

  const SourceText& source_;
  std::string_view src_;
  const std::vector<uint32_t>& origin_;
  size_t c_ = 0;
  int curly_depth_ = 0;
  std::vector<Token> tokens_;
};

}  // namespace

Preprocessed preprocess(std::string_view source, const LexOptions& options) {
  Preprocessed pre;
  pre.text = std::string(source);
  pre.origin.resize(source.size() + 1);
  for (size_t i = 0; i <= source.size(); ++i) pre.origin[i] = static_cast<uint32_t>(i);
  if (!pre.text.empty() && pre.text.back() == '\n') remove_ranges(pre, {{pre.text.size() - 1, pre.text.size()}});
  if (options.lstrip_blocks) remove_ranges(pre, lstrip_block_ranges(pre.text));
  if (options.trim_blocks) remove_ranges(pre, trim_block_ranges(pre.text));
  remove_ranges(pre, generation_tag_ranges(pre.text));
  return pre;
}

std::vector<Token> tokenize(const SourceText& source, const LexOptions& options) {
  const Preprocessed pre = preprocess(source.text(), options);
  return Lexer(source, pre).run();
}

}  // namespace medllm::jinja
