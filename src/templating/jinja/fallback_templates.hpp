#pragma once
// The fallback chat templates (src/templating/jinja/templates/<family>.jinja), compiled in.

#include <string_view>

namespace medllm::jinja {

// family: "llama2", "llama3", "chatml" or "gemma"; nullptr for anything else.
const char* fallback_template_source(std::string_view family);

}  // namespace medllm::jinja
