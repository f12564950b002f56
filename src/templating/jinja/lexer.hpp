#pragma once
// Template source -> tokens, exactly as @huggingface/jinja's lexer does it (including its
// preprocessing: one trailing newline dropped, lstrip_blocks and trim_blocks as transformers
// configures Jinja, and transformers' {% generation %} tags removed).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "templating/jinja/diagnostics.hpp"

namespace medllm::jinja {

enum class TokenType : uint8_t {
  Text,
  NumericLiteral,
  StringLiteral,
  Identifier,
  Equals,
  OpenParen,
  CloseParen,
  OpenStatement,
  CloseStatement,
  OpenExpression,
  CloseExpression,
  OpenSquareBracket,
  CloseSquareBracket,
  OpenCurlyBracket,
  CloseCurlyBracket,
  Comma,
  Dot,
  Colon,
  Pipe,
  AdditiveBinaryOperator,
  MultiplicativeBinaryOperator,
  ExponentiationBinaryOperator,
  ComparisonBinaryOperator,
  UnaryOperator,
  Comment,
};

const char* token_type_name(TokenType type);

struct Token {
  TokenType type;
  std::string value;
  size_t offset = 0;  // byte offset of the token in the original template source
};

struct LexOptions {
  bool lstrip_blocks = true;  // what transformers (and @huggingface/jinja's Template) use
  bool trim_blocks = true;
};

// The source after preprocessing; origin[i] is the byte offset in the original source of text[i]
// (origin has one extra entry: the original length).
struct Preprocessed {
  std::string text;
  std::vector<uint32_t> origin;
};
Preprocessed preprocess(std::string_view source, const LexOptions& options = {});

// Throws Error("line L, column C: syntax error: ...") on malformed input.
std::vector<Token> tokenize(const SourceText& source, const LexOptions& options = {});

}  // namespace medllm::jinja
