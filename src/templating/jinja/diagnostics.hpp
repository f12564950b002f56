#pragma once
// Where in a template something went wrong: byte offsets into the template source become
// "line L, column C" (column counted in characters), and the failure types the interpreter uses.

#include <medllm/error.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace medllm::jinja {

struct Location {
  size_t line = 1;    // 1-based
  size_t column = 1;  // 1-based, in Unicode characters
};

class SourceText {
 public:
  explicit SourceText(std::string text);
  const std::string& text() const { return text_; }
  Location locate(size_t offset) const;
  // "line L, column C: message"
  std::string describe(size_t offset, std::string_view message) const;

 private:
  std::string text_;
  std::vector<size_t> line_starts_;
};

// A failure while evaluating, before the node it happened at is known. The interpreter turns it
// into an Error naming the line and column of the innermost node being evaluated.
class EvalError : public Error {
 public:
  using Error::Error;
};

// A syntax error at a byte offset of the template source.
[[noreturn]] void syntax_error(const SourceText& source, size_t offset, std::string_view message);

}  // namespace medllm::jinja
