#pragma once
// The web UI's page (src/serve/web/index.html, built into the binary by cmake/EmbedFile.cmake):
// streaming chat with the served model, tokens/s, a system prompt and English/Japanese labels.

#include <string_view>

namespace medllm::serve {

std::string_view web_ui_index_html();

}  // namespace medllm::serve
