#pragma once
// Tokens -> syntax tree, following @huggingface/jinja's recursive-descent parser (same
// precedence: ternary < or < and < not < comparison/in < + - ~ < * / // % < ** < is < | < unary
// sign < call/member < primary).

#include <memory>
#include <vector>

#include "templating/jinja/ast.hpp"
#include "templating/jinja/diagnostics.hpp"
#include "templating/jinja/lexer.hpp"

namespace medllm::jinja {

// Throws Error("line L, column C: syntax error: ...") for malformed templates, and when the
// template nests deeper than max_nesting (blocks, brackets and operator chains all count).
std::unique_ptr<Program> parse(const SourceText& source, const std::vector<Token>& tokens, uint32_t max_nesting);

}  // namespace medllm::jinja
