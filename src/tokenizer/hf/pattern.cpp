#include "tokenizer/hf/pattern.hpp"

#include "core/error.hpp"
#include "core/json_file.hpp"

namespace medllm::hf {

Pattern Pattern::parse(const json& config, const std::string& where) {
  if (config.is_object() && config.contains("String") && config["String"].is_string()) {
    return literal(config["String"].get<std::string>());
  }
  if (config.is_object() && config.contains("Regex") && config["Regex"].is_string()) {
    const std::string source = config["Regex"].get<std::string>();
    return Pattern(source, std::make_shared<Regex>(with_context(where, [&] { return Regex(source); })));
  }
  fail("{}: pattern must be {{\"String\": ...}} or {{\"Regex\": ...}}, found {}", where, json_for_message(config));
}

std::vector<std::pair<size_t, size_t>> Pattern::find_all(std::string_view text) const {
  if (regex_) return regex_->find_all(text);
  std::vector<std::pair<size_t, size_t>> matches;
  if (literal_.empty()) return matches;
  for (size_t at = text.find(literal_); at != std::string_view::npos; at = text.find(literal_, at + literal_.size())) {
    matches.emplace_back(at, at + literal_.size());
  }
  return matches;
}

std::string Pattern::replace_all(std::string_view text, std::string_view with) const {
  std::string out;
  size_t previous = 0;
  for (const auto& [begin, end] : find_all(text)) {
    out.append(text.substr(previous, begin - previous));
    out.append(with);
    previous = end;
  }
  out.append(text.substr(previous));
  return out;
}

}  // namespace medllm::hf
