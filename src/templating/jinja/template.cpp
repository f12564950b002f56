#include "templating/jinja/template.hpp"

#include <fmt/format.h>

#include "templating/jinja/js_text.hpp"
#include "templating/jinja/lexer.hpp"
#include "templating/jinja/parser.hpp"

namespace medllm::jinja {

namespace {
constexpr size_t kMaxSourceBytes = size_t{1} << 30;
}

Template::Template(std::string source, uint32_t max_nesting) {
  if (source.size() > kMaxSourceBytes) {
    throw Error(
        fmt::format("template of {} bytes is larger than the limit of {} bytes", source.size(), kMaxSourceBytes));
  }
  source_ = std::make_shared<const SourceText>(js::sanitize_utf8(source));
  const std::vector<Token> tokens = tokenize(*source_);
  program_ = parse(*source_, tokens, max_nesting);
}

std::string Template::render(const nlohmann::ordered_json& variables, const Limits& limits, const Clock& clock) const {
  Interpreter interpreter(*source_, limits, clock);
  return interpreter.run(*program_, variables);
}

}  // namespace medllm::jinja
