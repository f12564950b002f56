#pragma once
// A Python list literal read as Python's eval() reads the replies that evaluation harnesses pass
// to it (JMED-LLM's get_list_from_string): "['肺炎', \"発熱\"]" -> two strings. Only literals are
// understood, which is everything eval() can turn into a list without running code: string
// literals (quotes ' and ", triple quotes, prefixes r/u, the escapes \\ \' \" \n \t \r \a \b \f \v
// \ooo \xhh \uXXXX \UXXXXXXXX and line continuation, adjacent literals joined), decimal numbers
// with one optional sign, True, False and None, separated by commas with an optional trailing one,
// with line breaks and comments where Python allows them. Anything else is not read as a list:
// an expression, a name, a nested list, text around the list, and also the rarer literals that
// eval() would accept (bytes, \N{name}, hexadecimal, underscores in numbers, complex numbers).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace medllm::eval {

// One element as a value that compares as Python's set compares it: strings by their text, and
// the numbers 1, 1.0 and True as one value.
struct PythonValue {
  enum class Kind { String, Number, None };
  Kind kind = Kind::None;
  std::string text;   // the string's characters (UTF-8)
  double number = 0;  // True: 1, False: 0

  bool operator==(const PythonValue&) const = default;
  auto operator<=>(const PythonValue&) const = default;
};

// The elements of `text` when it is a Python list literal; nullopt when eval() would not return a
// list of such values (a syntax error, a name, a non-list result or a nested container).
std::optional<std::vector<PythonValue>> parse_python_list(std::string_view text);

}  // namespace medllm::eval
