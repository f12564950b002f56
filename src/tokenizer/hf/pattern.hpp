#pragma once
// The {"String": ...} / {"Regex": ...} patterns of Split, Replace and friends.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/hf/components.hpp"
#include "tokenizer/regex.hpp"

namespace medllm::hf {

class Pattern {
 public:
  static Pattern parse(const json& config, const std::string& where);
  static Pattern literal(std::string text) { return Pattern(std::move(text), nullptr); }

  // Non-overlapping matches, left to right, as byte ranges.
  std::vector<std::pair<size_t, size_t>> find_all(std::string_view text) const;
  std::string replace_all(std::string_view text, std::string_view with) const;

 private:
  Pattern(std::string literal, std::shared_ptr<Regex> regex) : literal_(std::move(literal)), regex_(std::move(regex)) {}
  std::string literal_;
  std::shared_ptr<Regex> regex_;
};

}  // namespace medllm::hf
