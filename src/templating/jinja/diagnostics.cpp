#include "templating/jinja/diagnostics.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/utf8.hpp"

namespace medllm::jinja {

SourceText::SourceText(std::string text) : text_(std::move(text)) {
  line_starts_.push_back(0);
  for (size_t i = 0; i < text_.size(); ++i) {
    if (text_[i] == '\n') line_starts_.push_back(i + 1);
  }
}

Location SourceText::locate(size_t offset) const {
  offset = std::min(offset, text_.size());
  const auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  const size_t line = static_cast<size_t>(it - line_starts_.begin());
  size_t column = 1;
  for (size_t i = line_starts_[line - 1]; i < offset; ++i) {
    if (!utf8::is_continuation(static_cast<unsigned char>(text_[i]))) ++column;  // count characters, not bytes
  }
  return {line, column};
}

std::string SourceText::describe(size_t offset, std::string_view message) const {
  const Location where = locate(offset);
  return fmt::format("line {}, column {}: {}", where.line, where.column, message);
}

void syntax_error(const SourceText& source, size_t offset, std::string_view message) {
  throw Error(source.describe(offset, fmt::format("syntax error: {}", message)));
}

}  // namespace medllm::jinja
