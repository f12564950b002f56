// libFuzzer target: a request body straight off the network, read by both OpenAI endpoint parsers,
// must end in a request or a RequestError whose JSON can be sent, never a crash or any other
// exception (which escapes here, so libFuzzer reports it).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "serve/openai_request.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  try {
    (void)medllm::serve::parse_completion_request(body);
  } catch (const medllm::serve::RequestError& e) {
    (void)e.to_json().dump();
  }
  try {
    const medllm::serve::ChatRequest chat = medllm::serve::parse_chat_request(body);
    (void)chat.messages_json.dump();  // what the chat template will be given
    (void)chat.chat_template_kwargs.dump();
  } catch (const medllm::serve::RequestError& e) {
    (void)e.to_json().dump();
  }
  return 0;
}
