#pragma once
// A parsed Jinja template, rendered as @huggingface/jinja's Template renders it (the reference
// for chat templates in JavaScript, which follows transformers' Jinja settings: trim_blocks and
// lstrip_blocks on). Parse once, render many times; rendering is const and thread-safe.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "templating/jinja/interpreter.hpp"

namespace medllm::jinja {

class Template {
 public:
  // Throws Error("line L, column C: syntax error: ...") if the source is malformed. Invalid UTF-8
  // in the source is replaced by U+FFFD first (as Node does when it reads a file).
  explicit Template(std::string source, uint32_t max_nesting = Limits{}.max_nesting);

  // variables: a JSON object (messages, add_generation_prompt, ...). A name that clashes with a
  // global (true, none, range, namespace, ...) is an Error, as in the reference. Errors while
  // rendering name the template line and column; raise_exception(msg) gives "raise_exception: msg".
  std::string render(const nlohmann::ordered_json& variables, const Limits& limits = {}, const Clock& clock = {}) const;

  const std::string& source() const { return source_->text(); }

 private:
  std::shared_ptr<const SourceText> source_;
  std::shared_ptr<const Program> program_;
};

}  // namespace medllm::jinja
