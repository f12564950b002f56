// libFuzzer target: the chat-template interpreter. The input is a template source, optionally
// followed by a NUL byte and a message text; the template is parsed and rendered over a small
// conversation (with a tool call) whose contents are that text. Both are untrusted: every input
// must end in rendered text or an Error — never a crash, a leak, a hang or unbounded memory.
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <medllm/error.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "templating/jinja/template.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find('\0');
  const std::string source(input.substr(0, split));
  const std::string content(split == std::string_view::npos ? "Hello" : input.substr(split + 1));

  medllm::jinja::Limits limits;  // tight, so that each input runs in milliseconds
  limits.max_output_bytes = 1 << 16;
  limits.max_steps = 100000;
  limits.max_depth = 200;
  limits.max_nesting = 64;
  limits.max_items = 4096;

  using Json = nlohmann::ordered_json;
  Json call = {{"type", "function"}, {"function", {{"name", content}, {"arguments", {{"q", content}}}}}};
  Json assistant = {{"role", "assistant"}, {"content", content}, {"reasoning_content", content}};
  assistant["tool_calls"] = Json::array({call});
  Json messages = Json::array();
  messages.push_back({{"role", "system"}, {"content", content}});
  messages.push_back({{"role", "user"}, {"content", content}});
  messages.push_back(assistant);
  messages.push_back({{"role", "tool"}, {"content", content}});
  Json tool = {{"type", "function"}, {"function", {{"name", "f"}, {"description", content}}}};
  Json variables = Json::object();
  variables["messages"] = messages;
  variables["add_generation_prompt"] = size % 2 == 0;
  variables["tools"] = Json::array({tool});
  variables["bos_token"] = "<s>";
  variables["eos_token"] = "</s>";
  const auto clock = [] {
    std::tm time{};
    time.tm_year = 124;
    time.tm_mon = 6;
    time.tm_mday = 26;
    return time;
  };
  try {
    const medllm::jinja::Template compiled(source, limits.max_nesting);
    (void)compiled.render(variables, limits, clock);
  } catch (const medllm::Error&) {
  }
  return 0;
}
