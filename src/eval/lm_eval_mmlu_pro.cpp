#include "eval/lm_eval_mmlu_pro.hpp"

#include <regex>

#include "core/utf8.hpp"

namespace medllm::eval::lm_eval_mmlu_pro {

namespace {

// mmlu_pro_health.yaml's description (Jinja keeps its trailing newline: keep_trailing_newline).
constexpr const char* kDescription =
    "The following are multiple choice questions (with answers) about health. Think step by step and then finish "
    "your answer with \"the answer is (X)\" where X is the correct letter choice.\n";

// exact_match's ignore_case and ignore_punctuation: lowercase, and Python's string.punctuation
// removed.
std::string normalized(const std::string& text) {
  static const std::string punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
  std::string out;
  for (char c : text) {
    if (punctuation.find(c) != std::string::npos) continue;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

}  // namespace

std::string context(const Item& item) {
  std::string text = std::string(kDescription) + "Question:\n" + item.question + "\nOptions:\n";
  for (const Choice& choice : item.choices)  // at most A-J, as the loader guarantees
    text += choice.label + ". " + std::string(utf8::trim_python_whitespace(choice.text)) + "\n";
  return text + "Answer: Let's think step by step.";
}

std::string extract(const std::string& reply) {
  static const std::regex pattern(R"(answer is \(?([ABCDEFGHIJ])\)?)");
  std::smatch match;
  if (!std::regex_search(reply, match, pattern)) return "[invalid]";
  return match[1].str();
}

nlohmann::json score_reply(const Item& item, const std::string& reply) {
  const std::string prediction = extract(reply);
  const std::string gold = item.answers.empty() ? std::string() : item.answers.front();
  return {
      {"prediction", prediction},
      {"extraction_rule", "lm-eval mmlu_pro custom-extract: first 'answer is \\(?([ABCDEFGHIJ])\\)?', else [invalid]"},
      {"gold", gold},
      {"correct", normalized(prediction) == normalized(gold)}};
}

}  // namespace medllm::eval::lm_eval_mmlu_pro
