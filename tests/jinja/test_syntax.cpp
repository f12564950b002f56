// Lexer preprocessing, tokens, and syntax errors (with their line and column).

#include <gtest/gtest.h>

#include "templating/jinja/lexer.hpp"
#include "templating/jinja/template.hpp"

namespace medllm::jinja {
namespace {

std::string render(const std::string& source) {
  return Template(source).render(nlohmann::ordered_json::object());
}

std::string syntax_error_of(const std::string& source) {
  try {
    Template compiled(source);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::vector<TokenType> types_of(const std::string& source) {
  const SourceText text(source);
  std::vector<TokenType> types;
  for (const auto& token : tokenize(text)) types.push_back(token.type);
  return types;
}

TEST(JinjaLexer, PreprocessDropsOneTrailingNewline) {
  EXPECT_EQ(preprocess("a\n\n").text, "a\n");
  EXPECT_EQ(preprocess("a").text, "a");
}

TEST(JinjaLexer, LstripBlocksRemovesIndentBeforeBlocksOnly) {
  EXPECT_EQ(preprocess("x\n    {% if %}\n  {{ y }}").text, "x\n{% if %}  {{ y }}");
  EXPECT_EQ(preprocess("\t {# c #}").text, "{# c #}");
  EXPECT_EQ(preprocess("a  {% if %}").text, "a  {% if %}");  // not at the start of a line
  LexOptions plain;
  plain.lstrip_blocks = plain.trim_blocks = false;
  EXPECT_EQ(preprocess("  {% x %}\n", plain).text, "  {% x %}");
}

TEST(JinjaLexer, TrimBlocksRemovesTheNewlineAfterBlocks) {
  EXPECT_EQ(preprocess("{% if %}\nA{# c #}\nB{{ x }}\nC").text, "{% if %}A{# c #}B{{ x }}\nC");
  EXPECT_EQ(preprocess("{%- x -%}\n").text, "{%- x -%}");
}

TEST(JinjaLexer, GenerationTagsAreRemoved) {
  EXPECT_EQ(preprocess("a {% generation %}b{% endgeneration %} c").text, "a b c");
  EXPECT_EQ(preprocess("a  \n {%- generation -%} \n b").text, "ab");
}

TEST(JinjaLexer, PreprocessKeepsOriginalOffsets) {
  const Preprocessed pre = preprocess("x\n  {% if %}");
  ASSERT_EQ(pre.text, "x\n{% if %}");
  EXPECT_EQ(pre.origin[2], 4u);  // '{' came from offset 4
}

TEST(JinjaLexer, Tokens) {
  using T = TokenType;
  EXPECT_EQ(types_of("a{{ x.y[0] | f(1, k='v') }}b"),
            (std::vector<T>{T::Text, T::OpenExpression, T::Identifier, T::Dot, T::Identifier, T::OpenSquareBracket,
                            T::NumericLiteral, T::CloseSquareBracket, T::Pipe, T::Identifier, T::OpenParen,
                            T::NumericLiteral, T::Comma, T::Identifier, T::Equals, T::StringLiteral, T::CloseParen,
                            T::CloseExpression, T::Text}));
  // A sign after an operand is binary; elsewhere it starts a number or is unary.
  EXPECT_EQ(types_of("{{ a - 1 }}"), (std::vector<T>{T::OpenExpression, T::Identifier, T::AdditiveBinaryOperator,
                                                     T::NumericLiteral, T::CloseExpression}));
  EXPECT_EQ(types_of("{{ -1 }}"), (std::vector<T>{T::OpenExpression, T::NumericLiteral, T::CloseExpression}));
  EXPECT_EQ(types_of("{{ -x }}"),
            (std::vector<T>{T::OpenExpression, T::UnaryOperator, T::Identifier, T::CloseExpression}));
  // `}}` inside an object literal closes the literal, not the expression.
  EXPECT_EQ(render("{{ {'a': {'b': 1}} }}"), "{\"a\": {\"b\": 1}}");
}

TEST(JinjaLexer, WhitespaceControl) {
  EXPECT_EQ(render("a  \n {{- 'b' -}} \n c"), "abc");
  EXPECT_EQ(render("a \u3000{%- if true -%}\u3000 b{%- endif %}"), "ab");
  EXPECT_EQ(render("a {#- comment -#} b"), "ab");
}

TEST(JinjaSyntaxErrors, NameLineAndColumn) {
  EXPECT_EQ(syntax_error_of("line one\n{{ x + }}"),
            "line 2, column 8: syntax error: unexpected token CloseExpression '}}'");
  EXPECT_EQ(syntax_error_of("{% frobnicate %}"), "line 1, column 4: syntax error: unknown statement type: frobnicate");
  EXPECT_EQ(syntax_error_of("日本語{{ 'a' ! }}"), "line 1, column 11: syntax error: Unexpected character: !");
  EXPECT_EQ(syntax_error_of("ok\n  ok\n{{ '\\q' }}"),
            "line 3, column 5: syntax error: Unexpected escaped character: q");
}

TEST(JinjaSyntaxErrors, EveryMalformedTemplateIsAnError) {
  for (const char* source : {"{% if true %}x",
                             "{% for x in xs %}",
                             "{{ 'unterminated }}",
                             "{# no end",
                             "{{ 1 2 3",
                             "{% set %}",
                             "{% macro %}{% endmacro %}",
                             "{{ x[] }}",
                             "{{ x[1:2:3:4] }}",
                             "{{ f(a=1, 2) }}",
                             "{% macro m(a=1, b) %}{% endmacro %}",
                             "{% macro m(a, a) %}{% endmacro %}",
                             "{{ x | 1 }}",
                             "{{ x is 1 }}",
                             "{{ x. }}",
                             "{% endif %}",
                             "{% else %}",
                             "{{ (1, }}",
                             "{{ '\\x4' }}",
                             "{{ 1",
                             "{{",
                             "{%",
                             "{{ x }",
                             "{% for 1 in x %}{% endfor %}",
                             "{% for x of y %}{% endfor %}",
                             "{% call 1 %}{% endcall %}",
                             "{{ f(**a, b) }}",
                             "{{ f(*a, *b) }}",
                             "{% set x %}never closed"}) {
    EXPECT_NE(syntax_error_of(source), "") << source;
  }
}

TEST(JinjaSyntaxErrors, NestingLimit) {
  std::string deep;
  for (int i = 0; i < 300; ++i) deep += "(";
  deep = "{{ " + deep + "1";
  for (int i = 0; i < 300; ++i) deep += ")";
  deep += " }}";
  EXPECT_NE(syntax_error_of(deep).find("nests deeper than 256 levels"), std::string::npos);
  // A long flat operator chain is deep too (left-nested), and is bounded the same way.
  std::string chain = "{{ 1";
  for (int i = 0; i < 300; ++i) chain += " + 1";
  chain += " }}";
  EXPECT_NE(syntax_error_of(chain).find("nests deeper than"), std::string::npos);
  std::string blocks;
  for (int i = 0; i < 300; ++i) blocks += "{% if true %}";
  EXPECT_NE(syntax_error_of(blocks).find("nests deeper than"), std::string::npos);
  // Within the limit is fine.
  EXPECT_EQ(render("{{ ((((((((((1)))))))))) }}"), "1");
  EXPECT_EQ(Template("{{ ((1)) }}", 6).render(nullptr), "1");
  EXPECT_THROW(Template("{{ ((((((1)))))) }}", 6), Error);
}

TEST(JinjaSyntaxErrors, InvalidUtf8InTheSourceIsReplaced) {
  EXPECT_EQ(render("a\xff{{ 'b\xfe' }}"), "a\uFFFDb\uFFFD");
}

}  // namespace
}  // namespace medllm::jinja
