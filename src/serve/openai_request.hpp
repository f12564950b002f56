#pragma once
// The request bodies of POST /v1/completions and POST /v1/chat/completions (OpenAI's API), checked
// and turned into plain structs. A body comes straight off the network: it may be any bytes, so
// every mistake is a RequestError that the server can send back as it is. Every field a body may
// hold is one this server honours; any other (grammar, response_format json_object, tools, ...) is
// a RequestError naming it, never silently ignored.

#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace medllm::serve {

// An HTTP error response in OpenAI's shape. The parsers throw it as an exception (it derives from
// std::exception; what() is the message) and throw nothing else.
struct RequestError : std::exception {
  int status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param;  // the field at fault, e.g. "messages[2].content"; "" when the body as a whole is
  std::string code;   // "" when none

  RequestError() = default;
  explicit RequestError(std::string message_, std::string param_ = {}, int status_ = 400);

  const char* what() const noexcept override { return message.c_str(); }
  // {"error": {"message", "type", "param", "code"}}, with null for an empty param or code.
  nlohmann::json to_json() const;
};

// Fields both endpoints share; the defaults are OpenAI's. An explicit null means absent.
struct CommonRequest {
  std::string model;  // "" when absent
  double temperature = 1.0;
  double top_p = 1.0;
  std::optional<uint64_t> seed;   // a negative seed is kept as its two's complement
  std::vector<std::string> stop;  // at most 4, none empty
  int n = 1;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  double presence_penalty = 0.0;
  double frequency_penalty = 0.0;
  // token id -> bias added to its logit (-100..100); the server checks the ids against the vocabulary
  std::vector<std::pair<int32_t, float>> logit_bias;
  // vLLM's extra sampling parameters (llama.cpp's server takes the first two too)
  int top_k = 0;                    // 0 or -1: off
  double min_p = 0.0;               // 0: off
  double repetition_penalty = 1.0;  // 1: off; over prompt and output, as transformers applies it
};

struct CompletionRequest : CommonRequest {
  std::variant<std::string, std::vector<int32_t>> prompt;  // never empty
  int64_t max_tokens = 16;  // 0 scores the prompt without generating (with echo and logprobs)
  bool echo = false;
  std::optional<int> logprobs;  // how many alternatives per token, 0..20
};

struct ChatMessage {
  std::string role;     // system, developer, user, assistant or tool
  std::string content;  // text parts joined; "" for an assistant message without content
};

struct ChatRequest : CommonRequest {
  std::vector<ChatMessage> messages;  // never empty
  // The messages as sent, for the chat template (extra fields such as "name" or "tool_calls", keys
  // in their order), except that content sent as an array of text parts is its joined text, so a
  // text-only template can render it.
  nlohmann::ordered_json messages_json;
  std::optional<int64_t> max_tokens;  // max_completion_tokens, else max_tokens; absent: until the context is full
  bool logprobs = false;
  int top_logprobs = 0;
  nlohmann::ordered_json chat_template_kwargs;  // an object, or null when absent (vLLM's extension)
};

CompletionRequest parse_completion_request(std::string_view body);
ChatRequest parse_chat_request(std::string_view body);

}  // namespace medllm::serve
