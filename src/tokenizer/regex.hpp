#pragma once
// Unicode-aware regular expressions (PCRE2 with UTF and Unicode properties) for the
// pre-tokenizer patterns of GPT-2, Llama 3, Qwen2 and friends.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace medllm {

class Regex {
 public:
  // Throws Error with PCRE2's message and offset if the pattern does not compile.
  explicit Regex(const std::string& pattern);
  ~Regex();
  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;

  // Byte ranges [begin, end) of the successive non-overlapping matches in text (valid UTF-8).
  // An empty match advances by one character, as Rust's and Oniguruma's iterators do.
  std::vector<std::pair<size_t, size_t>> find_all(std::string_view text) const;

 private:
  struct Compiled;
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace medllm
