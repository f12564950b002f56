#pragma once
// The one exception type of the medllm library.

#include <stdexcept>
#include <string>

namespace medllm {

// Every failure inside the library is an Error whose message names what failed (the file,
// tensor, field or request) and, where it helps, what to do about it. Only the CLI and the
// server turn Errors into exit codes or HTTP responses.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace medllm
