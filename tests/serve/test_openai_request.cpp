// OpenAI request bodies: the forms SDKs send parse into the fields they mean, and every malformed
// or hostile body is a RequestError naming the field at fault, never a crash or another exception.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <limits>
#include <string>
#include <vector>

#include "serve/openai_request.hpp"

namespace medllm::serve {
namespace {

using nlohmann::json;

template <typename Fn>
RequestError request_error_of(Fn&& fn) {
  try {
    fn();
  } catch (const RequestError& e) {
    return e;
  }
  ADD_FAILURE() << "expected a RequestError";
  return {};
}

std::string with_prompt(const std::string& fields) {
  return R"({"prompt": "a", )" + fields + "}";
}
std::string with_messages(const std::string& fields) {
  return R"({"messages": [{"role": "user", "content": "hi"}], )" + fields + "}";
}

struct Case {
  std::string name;
  std::string body;
  std::string param;
  std::string message;  // a substring of the message
  int status = 400;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name << ": " << c.body.substr(0, 200);
}

void expect_error(const Case& c, const RequestError& e) {
  EXPECT_EQ(e.status, c.status);
  EXPECT_EQ(e.param, c.param);
  EXPECT_NE(e.message.find(c.message), std::string::npos) << "message: " << e.message;
  EXPECT_EQ(e.type, "invalid_request_error");
  EXPECT_NO_THROW((void)e.to_json().dump());
}

// Bodies that are wrong before any field is read: both parsers refuse them the same way.
std::vector<Case> body_cases() {
  return {
      {"empty", "", "", "request body is empty"},
      {"whitespace", " \r\n\t", "", "request body is empty"},
      {"invalid_utf8_in_string", "{\"prompt\": \"\xff\"}", "", "request body is not valid UTF-8 (byte 12)"},
      {"overlong_utf8", "\xc0\x80", "", "request body is not valid UTF-8"},
      {"utf16_surrogate_bytes", "{\"prompt\": \"\xed\xa0\x80\"}", "", "request body is not valid UTF-8"},
      {"truncated_utf8", "{\"prompt\": \"\xe6\x97\"}", "", "request body is not valid UTF-8"},
      {"not_json", "hello", "", "request body is not valid JSON: parse error at line 1, column 1"},
      {"truncated", R"({"prompt": "a")", "", "request body is not valid JSON"},
      {"trailing_garbage", R"({"prompt": "a"} x)", "", "request body is not valid JSON"},
      {"two_objects", R"({"prompt": "a"}{"prompt": "b"})", "", "request body is not valid JSON"},
      {"comment", R"({"prompt": "a" /* c */})", "", "request body is not valid JSON"},
      {"trailing_comma", R"({"prompt": "a",})", "", "request body is not valid JSON"},
      {"single_quotes", "{'prompt': 'a'}", "", "request body is not valid JSON"},
      {"nul_byte", std::string("{\"prompt\": \"a\"}\0", 16), "", "request body is not valid JSON"},
      {"raw_control_in_string", "{\"prompt\": \"a\x01\"}", "", "request body is not valid JSON"},
      {"lone_surrogate_escape", R"({"prompt": "\ud800"})", "", "request body is not valid JSON"},
      {"number_overflow", R"({"prompt": "a", "temperature": 1e400})", "", "number overflow"},
      {"array", "[1, 2]", "", "request body must be a JSON object, got [1,2]"},
      {"string", R"("hi")", "", "request body must be a JSON object, got \"hi\""},
      {"null", "null", "", "request body must be a JSON object, got null"},
      {"number", "42", "", "request body must be a JSON object, got 42"},
      {"deep_arrays", std::string(100000, '['), "", "request body is nested deeper than 64 levels"},
      {"deep_objects",
       [] {
         std::string s;
         for (int i = 0; i < 100000; ++i) s += "{\"a\":";
         return s;
       }(),
       "", "request body is nested deeper than 64 levels"},
      {"deep_in_ignored_field", R"({"prompt": "a", "x": )" + std::string(64, '[') + std::string(64, ']') + "}", "",
       "nested deeper than 64 levels"},
  };
}

std::vector<Case> completion_cases() {
  return {
      {"prompt_missing", "{}", "prompt", "'prompt' is required"},
      {"prompt_null", R"({"prompt": null})", "prompt", "'prompt' is required"},
      {"prompt_empty_string", R"({"prompt": ""})", "prompt", "'prompt' must not be empty"},
      {"prompt_empty_array", R"({"prompt": []})", "prompt", "'prompt' must not be empty"},
      {"prompt_empty_wrapped_tokens", R"({"prompt": [[]]})", "prompt", "'prompt' must not be empty"},
      {"prompt_empty_wrapped_string", R"({"prompt": [""]})", "prompt", "'prompt' must not be empty"},
      {"prompt_batched_strings", R"({"prompt": ["a", "b"]})", "prompt",
       "batched prompts are not supported; send one request per prompt"},
      {"prompt_batched_tokens", R"({"prompt": [[1], [2]]})", "prompt", "batched prompts are not supported"},
      {"prompt_mixed_array", R"({"prompt": ["a", 1]})", "prompt",
       "'prompt' must be a string or an array of token ids, got [\"a\",1]"},
      {"prompt_negative_token", R"({"prompt": [1, -1]})", "prompt",
       "'prompt' token ids must be integers between 0 and 2147483647, got -1"},
      {"prompt_token_too_big", R"({"prompt": [2147483648]})", "prompt", "got 2147483648"},
      {"prompt_token_huge", R"({"prompt": [18446744073709551615]})", "prompt", "token ids must be integers"},
      {"prompt_token_fraction", R"({"prompt": [1.5]})", "prompt", "got 1.5"},
      {"prompt_token_string", R"({"prompt": [1, "a"]})", "prompt", "got \"a\""},
      {"prompt_wrapped_token_string", R"({"prompt": [["a"]]})", "prompt", "got \"a\""},
      {"prompt_number", R"({"prompt": 5})", "prompt", "'prompt' must be a string or an array of token ids, got 5"},
      {"prompt_object", R"({"prompt": {"text": "a"}})", "prompt", "got {\"text\":\"a\"}"},
      {"max_tokens_string", with_prompt(R"("max_tokens": "ten")"), "max_tokens",
       "'max_tokens' must be a non-negative integer, got \"ten\""},
      {"max_tokens_negative", with_prompt(R"("max_tokens": -1)"), "max_tokens", "got -1"},
      {"max_tokens_fraction", with_prompt(R"("max_tokens": 1.5)"), "max_tokens", "got 1.5"},
      {"max_tokens_bool", with_prompt(R"("max_tokens": true)"), "max_tokens", "got true"},
      {"temperature_high", with_prompt(R"("temperature": 2.5)"), "temperature",
       "'temperature' must be a number between 0 and 2, got 2.5"},
      {"temperature_negative", with_prompt(R"("temperature": -0.1)"), "temperature", "got -0.1"},
      {"temperature_string", with_prompt(R"("temperature": "0.7")"), "temperature", "got \"0.7\""},
      {"top_p_zero", with_prompt(R"("top_p": 0)"), "top_p",
       "'top_p' must be a number greater than 0 and at most 1, got 0"},
      {"top_p_high", with_prompt(R"("top_p": 1.01)"), "top_p", "got 1.01"},
      {"n_zero", with_prompt(R"("n": 0)"), "n", "'n' must be an integer between 1 and 16, got 0"},
      {"n_high", with_prompt(R"("n": 17)"), "n", "got 17"},
      {"n_huge_float", with_prompt(R"("n": 1e30)"), "n", "'n' must be an integer between 1 and 16"},
      {"n_huge_unsigned", with_prompt(R"("n": 18446744073709551615)"), "n", "got 18446744073709551615"},
      {"stream_string", with_prompt(R"("stream": "true")"), "stream", "'stream' must be a boolean, got \"true\""},
      {"stream_options_without_stream", with_prompt(R"("stream_options": {"include_usage": true})"), "stream_options",
       "'stream_options' is only allowed when 'stream' is true"},
      {"stream_options_array", with_prompt(R"("stream": true, "stream_options": [])"), "stream_options",
       "'stream_options' must be an object, got []"},
      {"include_usage_string", with_prompt(R"("stream": true, "stream_options": {"include_usage": "yes"})"),
       "stream_options.include_usage", "'stream_options.include_usage' must be a boolean, got \"yes\""},
      {"stop_empty_string", with_prompt(R"("stop": "")"), "stop", "'stop' must be a non-empty string, got \"\""},
      {"stop_number", with_prompt(R"("stop": 5)"), "stop",
       "'stop' must be a string or an array of at most 4 non-empty strings, got 5"},
      {"stop_five", with_prompt(R"("stop": ["a", "b", "c", "d", "e"])"), "stop", "at most 4 non-empty strings"},
      {"stop_empty_item", with_prompt(R"("stop": ["a", ""])"), "stop",
       "'stop[1]' must be a non-empty string, got \"\""},
      {"stop_number_item", with_prompt(R"("stop": ["a", 1])"), "stop", "'stop[1]' must be a non-empty string, got 1"},
      {"seed_string", with_prompt(R"("seed": "1")"), "seed", "'seed' must be a 64-bit integer, got \"1\""},
      {"seed_fraction", with_prompt(R"("seed": 1.5)"), "seed", "got 1.5"},
      {"seed_huge_float", with_prompt(R"("seed": 1e30)"), "seed", "'seed' must be a 64-bit integer"},
      {"presence_penalty_high", with_prompt(R"("presence_penalty": 3)"), "presence_penalty",
       "'presence_penalty' must be a number between -2 and 2, got 3"},
      {"frequency_penalty_low", with_prompt(R"("frequency_penalty": -2.5)"), "frequency_penalty", "got -2.5"},
      {"logprobs_high", with_prompt(R"("logprobs": 21)"), "logprobs",
       "'logprobs' must be an integer between 0 and 20, got 21"},
      {"logprobs_bool", with_prompt(R"("logprobs": true)"), "logprobs", "got true"},
      {"echo_number", with_prompt(R"("echo": 1)"), "echo", "'echo' must be a boolean, got 1"},
      {"suffix", with_prompt(R"("suffix": "x")"), "suffix", "suffix is not supported"},
      {"suffix_number", with_prompt(R"("suffix": 5)"), "suffix", "suffix is not supported"},
      {"model_number", with_prompt(R"("model": 5)"), "model", "'model' must be a string, got 5"},
      {"user_object", with_prompt(R"("user": {})"), "user", "'user' must be a string, got {}"},
      // Fields this server does not honour are refused by name, never ignored.
      {"grammar", with_prompt(R"("grammar": "root ::= \"a\"")"), "grammar", "grammar-constrained output"},
      {"guided_json", with_prompt(R"("guided_json": {})"), "guided_json", "guided decoding is not supported"},
      {"best_of", with_prompt(R"("best_of": 2)"), "best_of", "best_of is not supported"},
      {"metadata", with_prompt(R"("metadata": {"k": "v"})"), "metadata", "Unrecognized request argument"},
      {"store_on_completions", with_prompt(R"("store": false)"), "store", "Unrecognized request argument"},
      {"unknown_field", with_prompt(R"("temprature": 0.5)"), "temprature",
       "Unrecognized request argument supplied: 'temprature'"},
      {"response_format_on_completions", with_prompt(R"("response_format": {"type": "text"})"), "response_format",
       "Unrecognized request argument"},
      {"messages_on_completions", with_prompt(R"("messages": [])"), "messages", "Unrecognized request argument"},
      {"logit_bias_array", with_prompt(R"("logit_bias": [1])"), "logit_bias",
       "'logit_bias' must be an object mapping token ids to numbers between -100 and 100"},
      {"logit_bias_word_key", with_prompt(R"("logit_bias": {"hello": 5})"), "logit_bias",
       "'logit_bias' keys must be token ids (0, 1, ...), got \"hello\""},
      {"logit_bias_negative_key", with_prompt(R"("logit_bias": {"-1": 5})"), "logit_bias", "keys must be token ids"},
      {"logit_bias_trailing_key", with_prompt(R"("logit_bias": {"12x": 5})"), "logit_bias", "keys must be token ids"},
      {"logit_bias_huge_key", with_prompt(R"("logit_bias": {"99999999999": 5})"), "logit_bias",
       "keys must be token ids"},
      {"logit_bias_high", with_prompt(R"("logit_bias": {"5": 101})"), "logit_bias.5",
       "'logit_bias.5' must be a number between -100 and 100, got 101"},
      {"logit_bias_string", with_prompt(R"("logit_bias": {"5": "1"})"), "logit_bias.5", "got \"1\""},
      {"top_k_low", with_prompt(R"("top_k": -2)"), "top_k", "'top_k' must be -1, 0 (off) or a positive integer"},
      {"min_p_high", with_prompt(R"("min_p": 1.5)"), "min_p", "'min_p' must be a number between 0 and 1, got 1.5"},
      {"repetition_penalty_zero", with_prompt(R"("repetition_penalty": 0)"), "repetition_penalty",
       "must be a number greater than 0"},
  };
}

std::vector<Case> chat_cases() {
  return {
      {"messages_missing", "{}", "messages", "'messages' is required"},
      {"messages_null", R"({"messages": null})", "messages", "'messages' is required"},
      {"messages_empty", R"({"messages": []})", "messages", "'messages' must be a non-empty array, got []"},
      {"messages_string", R"({"messages": "hi"})", "messages", "got \"hi\""},
      {"messages_object", R"({"messages": {"role": "user"}})", "messages", "'messages' must be a non-empty array"},
      {"message_number", R"({"messages": [5]})", "messages[0]", "'messages[0]' must be an object, got 5"},
      {"role_missing", R"({"messages": [{"content": "hi"}]})", "messages[0].role", "'messages[0].role' is required"},
      {"role_unknown", R"({"messages": [{"role": "bot", "content": "hi"}]})", "messages[0].role",
       "'messages[0].role' must be one of system, developer, user, assistant, tool, got \"bot\""},
      {"role_number", R"({"messages": [{"role": 1, "content": "hi"}]})", "messages[0].role", "got 1"},
      {"role_case", R"({"messages": [{"role": "User", "content": "hi"}]})", "messages[0].role", "got \"User\""},
      {"content_missing", R"({"messages": [{"role": "system", "content": "s"}, {"role": "user"}]})",
       "messages[1].content", "'messages[1].content' is required"},
      {"content_null", R"({"messages": [{"role": "user", "content": null}]})", "messages[0].content",
       "'messages[0].content' is required"},
      {"content_number", R"({"messages": [{"role": "user", "content": 5}]})", "messages[0].content",
       "'messages[0].content' must be a string or an array of text parts, got 5"},
      {"content_part_object", R"({"messages": [{"role": "user", "content": {"type": "text", "text": "a"}}]})",
       "messages[0].content", "must be a string or an array of text parts"},
      {"content_image",
       R"({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]})",
       "messages[0].content", "only text content is supported; 'messages[0].content[0]' is a \"image_url\" part"},
      {"content_audio_second",
       R"({"messages": [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "input_audio"}]}]})",
       "messages[0].content", "'messages[0].content[1]' is a \"input_audio\" part"},
      {"content_part_string", R"({"messages": [{"role": "user", "content": ["a"]}]})", "messages[0].content",
       "'messages[0].content[0]' must be a text part"},
      {"content_part_no_text", R"({"messages": [{"role": "user", "content": [{"type": "text"}]}]})",
       "messages[0].content", "must be a text part"},
      {"content_part_number_text", R"({"messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]})",
       "messages[0].content", "must be a text part"},
      {"content_part_no_type", R"({"messages": [{"role": "user", "content": [{"text": "a"}]}]})", "messages[0].content",
       "must be a text part"},
      {"max_tokens_zero", with_messages(R"("max_tokens": 0)"), "max_tokens",
       "'max_tokens' must be a positive integer, got 0"},
      {"max_completion_tokens_string", with_messages(R"("max_completion_tokens": "5")"), "max_completion_tokens",
       "'max_completion_tokens' must be a positive integer, got \"5\""},
      {"max_completion_tokens_negative", with_messages(R"("max_tokens": 5, "max_completion_tokens": -3)"),
       "max_completion_tokens", "got -3"},
      {"logprobs_number", with_messages(R"("logprobs": 1)"), "logprobs", "'logprobs' must be a boolean, got 1"},
      {"top_logprobs_without_logprobs", with_messages(R"("top_logprobs": 2)"), "top_logprobs",
       "'top_logprobs' requires 'logprobs' to be true"},
      {"top_logprobs_logprobs_false", with_messages(R"("logprobs": false, "top_logprobs": 0)"), "top_logprobs",
       "'top_logprobs' requires 'logprobs' to be true"},
      {"top_logprobs_high", with_messages(R"("logprobs": true, "top_logprobs": 21)"), "top_logprobs",
       "'top_logprobs' must be an integer between 0 and 20, got 21"},
      {"response_format_string", with_messages(R"("response_format": "json")"), "response_format",
       "'response_format' must be an object"},
      {"response_format_json_schema",
       with_messages(R"("response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}})"),
       "response_format", "response_format json_schema is not supported yet"},
      {"response_format_json_object", with_messages(R"("response_format": {"type": "json_object"})"), "response_format",
       "response_format json_object is not supported yet"},
      {"response_format_unknown", with_messages(R"("response_format": {"type": "xml"})"), "response_format.type",
       "'response_format.type' must be text, got \"xml\""},
      {"store_true", with_messages(R"("store": true)"), "store", "keeps no completions"},
      {"parallel_tool_calls_string", with_messages(R"("parallel_tool_calls": "no")"), "parallel_tool_calls",
       "must be a boolean"},
      {"chat_echo_unknown", with_messages(R"("echo": true)"), "echo", "Unrecognized request argument supplied: 'echo'"},
      {"response_format_no_type", with_messages(R"("response_format": {})"), "response_format.type", "got null"},
      {"tools", with_messages(R"("tools": [{"type": "function", "function": {"name": "f"}}])"), "tools",
       "tools are not supported"},
      {"tool_choice_auto", with_messages(R"("tool_choice": "auto")"), "tool_choice", "tools are not supported"},
      {"tool_choice_named", with_messages(R"("tool_choice": {"type": "function", "function": {"name": "f"}})"),
       "tool_choice", "tools are not supported"},
      {"functions", with_messages(R"("functions": [{"name": "f"}])"), "functions", "tools are not supported"},
      {"chat_template_kwargs_array", with_messages(R"("chat_template_kwargs": [])"), "chat_template_kwargs",
       "'chat_template_kwargs' must be an object, got []"},
      {"temperature_string", with_messages(R"("temperature": "hot")"), "temperature", "got \"hot\""},
      {"n_negative", with_messages(R"("n": -1)"), "n", "'n' must be an integer between 1 and 16, got -1"},
      {"seed_bool", with_messages(R"("seed": true)"), "seed", "'seed' must be a 64-bit integer, got true"},
      {"stop_object", with_messages(R"("stop": {"a": 1})"), "stop", "got {\"a\":1}"},
      {"deep_content", R"({"messages": [{"role": "user", "content": )" + std::string(70, '[') + "]}]}", "",
       "nested deeper than 64 levels"},
  };
}

std::string case_name(const testing::TestParamInfo<Case>& info) {
  return info.param.name;
}

class BodyErrors : public testing::TestWithParam<Case> {};
TEST_P(BodyErrors, BothParsersRefuse) {
  expect_error(GetParam(), request_error_of([&] { (void)parse_completion_request(GetParam().body); }));
  expect_error(GetParam(), request_error_of([&] { (void)parse_chat_request(GetParam().body); }));
}
INSTANTIATE_TEST_SUITE_P(OpenAIRequest, BodyErrors, testing::ValuesIn(body_cases()), case_name);

class CompletionErrors : public testing::TestWithParam<Case> {};
TEST_P(CompletionErrors, Refused) {
  expect_error(GetParam(), request_error_of([&] { (void)parse_completion_request(GetParam().body); }));
}
INSTANTIATE_TEST_SUITE_P(OpenAIRequest, CompletionErrors, testing::ValuesIn(completion_cases()), case_name);

class ChatErrors : public testing::TestWithParam<Case> {};
TEST_P(ChatErrors, Refused) {
  expect_error(GetParam(), request_error_of([&] { (void)parse_chat_request(GetParam().body); }));
}
INSTANTIATE_TEST_SUITE_P(OpenAIRequest, ChatErrors, testing::ValuesIn(chat_cases()), case_name);

TEST(OpenAIRequest, ErrorHasOpenAIShape) {
  const RequestError e = request_error_of([] { (void)parse_completion_request(with_prompt(R"("n": 0)")); });
  EXPECT_EQ(e.to_json(), json::parse(R"({"error": {"message": "'n' must be an integer between 1 and 16, got 0",
                                                  "type": "invalid_request_error", "param": "n", "code": null}})"));
  const RequestError whole = request_error_of([] { (void)parse_chat_request("[]"); });
  EXPECT_EQ(whole.to_json(), json::parse(R"({"error": {"message": "request body must be a JSON object, got []",
                                                      "type": "invalid_request_error", "param": null, "code": null}})"));
  EXPECT_STREQ(whole.what(), "request body must be a JSON object, got []");

  RequestError custom("bad \xff bytes", "model", 404);
  custom.code = "model_not_found";
  EXPECT_EQ(custom.to_json().dump(), R"({"error":{"code":"model_not_found","message":"bad )"
                                     "\xEF\xBF\xBD"
                                     R"( bytes",)"
                                     R"("param":"model","type":"invalid_request_error"}})");
  EXPECT_EQ(custom.status, 404);
}

TEST(OpenAIRequest, ThrowsAsAStdException) {
  try {
    (void)parse_chat_request("{");
    FAIL() << "expected an exception";
  } catch (const std::exception& e) {
    EXPECT_NE(dynamic_cast<const RequestError*>(&e), nullptr);
    EXPECT_NE(std::string(e.what()).find("request body is not valid JSON"), std::string::npos);
  }
}

TEST(OpenAIRequest, HugeOffendingValueIsQuotedShort) {
  const RequestError e = request_error_of(
      [] { (void)parse_completion_request(with_prompt(R"("max_tokens": ")" + std::string(100000, 'x') + "\"")); });
  EXPECT_EQ(e.param, "max_tokens");
  EXPECT_LT(e.message.size(), 300u);
  EXPECT_TRUE(e.message.starts_with("'max_tokens' must be a non-negative integer, got \"xxx"));
  EXPECT_TRUE(e.message.ends_with("...")) << e.message;
}

TEST(OpenAIRequest, DepthLimitIsExactlySixtyFour) {
  // The body object is level 1, so 63 nested arrays inside it reach 64.
  // (Read whole, then refused as a field this server does not know: the depth was fine.)
  const std::string ok = R"({"prompt": "a", "x": )" + std::string(63, '[') + std::string(63, ']') + "}";
  EXPECT_EQ(request_error_of([&] { (void)parse_completion_request(ok); }).param, "x");
  const std::string deep = R"({"prompt": "a", "x": )" + std::string(64, '[') + std::string(64, ']') + "}";
  EXPECT_EQ(request_error_of([&] { (void)parse_completion_request(deep); }).message,
            "request body is nested deeper than 64 levels");
  // Brackets inside strings are text, not nesting.
  const std::string in_string = R"({"prompt": ")" + std::string(1000, '[') + "\"}";
  EXPECT_EQ(std::get<std::string>(parse_completion_request(in_string).prompt), std::string(1000, '['));
}

TEST(OpenAIRequest, ManyDistinctKeysParseInLinearTime) {
  // ordered_json's own insertion is quadratic in an object's size: this body took about a minute.
  // (A message may carry extra fields for the chat template; the body itself may not.)
  std::string body = R"({"messages": [{"role": "user", "content": "a")";
  for (int i = 0; i < 200000; ++i) body += ",\"k" + std::to_string(i) + "\":0";
  body += "}]}";
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(parse_chat_request(body).messages[0].content, "a");
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 5.0);
}

TEST(OpenAIRequest, RepeatedKeyLastValueWins) {
  EXPECT_EQ(std::get<std::string>(parse_completion_request(R"({"prompt": "a", "prompt": "b"})").prompt), "b");
  const ChatRequest r =
      parse_chat_request(R"({"messages": [{"role": "user", "content": "x", "name": "n", "content": "y"}]})");
  EXPECT_EQ(r.messages[0].content, "y");
  EXPECT_EQ(r.messages_json.dump(), R"([{"role":"user","content":"y","name":"n"}])");
}

TEST(CompletionRequest, Defaults) {
  const CompletionRequest r = parse_completion_request(R"({"prompt": "Hello"})");
  EXPECT_EQ(std::get<std::string>(r.prompt), "Hello");
  EXPECT_EQ(r.model, "");
  EXPECT_EQ(r.temperature, 1.0);
  EXPECT_EQ(r.top_p, 1.0);
  EXPECT_FALSE(r.seed.has_value());
  EXPECT_TRUE(r.stop.empty());
  EXPECT_EQ(r.n, 1);
  EXPECT_FALSE(r.stream);
  EXPECT_FALSE(r.include_usage);
  EXPECT_EQ(r.presence_penalty, 0.0);
  EXPECT_EQ(r.frequency_penalty, 0.0);
  EXPECT_EQ(r.max_tokens, 16);
  EXPECT_FALSE(r.echo);
  EXPECT_FALSE(r.logprobs.has_value());
}

TEST(CompletionRequest, EveryField) {
  const CompletionRequest r = parse_completion_request(R"({
    "model": "medllm", "prompt": "Q: 熱\nA:", "temperature": 0, "top_p": 0.9, "seed": -1, "stop": "\n", "n": 16,
    "stream": true, "stream_options": {"include_usage": true}, "presence_penalty": -2, "frequency_penalty": 1.5,
    "user": "u1", "max_tokens": 0, "echo": true, "logprobs": 5, "suffix": "",
    "best_of": null})");
  EXPECT_EQ(r.model, "medllm");
  EXPECT_EQ(std::get<std::string>(r.prompt), "Q: 熱\nA:");
  EXPECT_EQ(r.temperature, 0.0);
  EXPECT_EQ(r.top_p, 0.9);
  EXPECT_EQ(r.seed, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(r.stop, std::vector<std::string>{"\n"});
  EXPECT_EQ(r.n, 16);
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
  EXPECT_EQ(r.presence_penalty, -2.0);
  EXPECT_EQ(r.frequency_penalty, 1.5);
  EXPECT_EQ(r.max_tokens, 0);
  EXPECT_TRUE(r.echo);
  EXPECT_EQ(r.logprobs, 5);
}

TEST(CompletionRequest, NullMeansAbsent) {
  const CompletionRequest r = parse_completion_request(
      R"({"prompt": "a", "model": null, "temperature": null, "seed": null, "stop": null, "n": null,
          "max_tokens": null, "logprobs": null, "suffix": null, "stream_options": null, "user": null})");
  EXPECT_EQ(r.model, "");
  EXPECT_EQ(r.temperature, 1.0);
  EXPECT_FALSE(r.seed.has_value());
  EXPECT_TRUE(r.stop.empty());
  EXPECT_EQ(r.n, 1);
  EXPECT_EQ(r.max_tokens, 16);
  EXPECT_FALSE(r.logprobs.has_value());
}

TEST(CompletionRequest, PromptForms) {
  using Tokens = std::vector<int32_t>;
  EXPECT_EQ(std::get<Tokens>(parse_completion_request(R"({"prompt": [1, 2, 2147483647]})").prompt),
            (Tokens{1, 2, 2147483647}));
  EXPECT_EQ(std::get<Tokens>(parse_completion_request(R"({"prompt": [[4, 5]]})").prompt), (Tokens{4, 5}));
  EXPECT_EQ(std::get<std::string>(parse_completion_request(R"({"prompt": ["text"]})").prompt), "text");
  EXPECT_EQ(std::get<Tokens>(parse_completion_request(R"({"prompt": [0]})").prompt), (Tokens{0}));
  // Whole floats are integers, as Python clients send them.
  const CompletionRequest floats = parse_completion_request(R"({"prompt": [7.0], "max_tokens": 32.0, "n": 2.0})");
  EXPECT_EQ(std::get<Tokens>(floats.prompt), (Tokens{7}));
  EXPECT_EQ(floats.max_tokens, 32);
  EXPECT_EQ(floats.n, 2);
  // A number too big to count is simply "until the context is full".
  EXPECT_EQ(parse_completion_request(R"({"prompt": "a", "max_tokens": 1e300})").max_tokens,
            std::numeric_limits<int64_t>::max());
}

TEST(CompletionRequest, SeedRange) {
  const auto seed = [](const std::string& value) {
    return parse_completion_request(with_prompt("\"seed\": " + value)).seed;
  };
  EXPECT_EQ(seed("42"), 42u);
  EXPECT_EQ(seed("0"), 0u);
  EXPECT_EQ(seed("-1"), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(seed("-9223372036854775808"), uint64_t{1} << 63);
  EXPECT_EQ(seed("9223372036854775807"), (uint64_t{1} << 63) - 1);
  EXPECT_EQ(seed("18446744073709551615"), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(seed("-2.0"), std::numeric_limits<uint64_t>::max() - 1);
}

TEST(CompletionRequest, StopForms) {
  EXPECT_EQ(parse_completion_request(with_prompt(R"("stop": "###")")).stop, std::vector<std::string>{"###"});
  EXPECT_EQ(parse_completion_request(with_prompt(R"("stop": ["a", "b", "c", "d"])")).stop,
            (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_TRUE(parse_completion_request(with_prompt(R"("stop": [])")).stop.empty());
}

TEST(CompletionRequest, AcceptsBom) {
  EXPECT_EQ(std::get<std::string>(parse_completion_request("\xEF\xBB\xBF{\"prompt\": \"a\"}").prompt), "a");
}

TEST(ChatRequest, Defaults) {
  const ChatRequest r = parse_chat_request(R"({"model": "m", "messages": [{"role": "user", "content": "hi"}]})");
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].role, "user");
  EXPECT_EQ(r.messages[0].content, "hi");
  EXPECT_EQ(r.model, "m");
  EXPECT_FALSE(r.max_tokens.has_value());
  EXPECT_FALSE(r.logprobs);
  EXPECT_EQ(r.top_logprobs, 0);
  EXPECT_TRUE(r.chat_template_kwargs.is_null());
  EXPECT_EQ(r.temperature, 1.0);
  EXPECT_EQ(r.n, 1);
}

TEST(ChatRequest, MessagesAndTheirJson) {
  const ChatRequest r = parse_chat_request(R"({"messages": [
    {"role": "system", "content": "Be brief."},
    {"role": "developer", "content": ""},
    {"role": "user", "name": "pat", "content": [{"type": "text", "text": "Hel"}, {"type": "text", "text": "lo"}]},
    {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
    {"role": "tool", "tool_call_id": "c1", "content": "42"},
    {"role": "assistant", "content": null}]})");
  ASSERT_EQ(r.messages.size(), 6u);
  const std::vector<std::pair<std::string, std::string>> expected = {{"system", "Be brief."}, {"developer", ""},
                                                                     {"user", "Hello"},       {"assistant", ""},
                                                                     {"tool", "42"},          {"assistant", ""}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(r.messages[i].role, expected[i].first) << i;
    EXPECT_EQ(r.messages[i].content, expected[i].second) << i;
  }
  // Extra fields stay, in the order sent; array content becomes its text.
  EXPECT_EQ(r.messages_json[2].dump(), R"({"role":"user","name":"pat","content":"Hello"})");
  EXPECT_EQ(
      r.messages_json[3].dump(),
      R"({"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]})");
  EXPECT_EQ(r.messages_json[4].dump(), R"({"role":"tool","tool_call_id":"c1","content":"42"})");
  EXPECT_TRUE(r.messages_json[5]["content"].is_null());
}

TEST(ChatRequest, MaxCompletionTokensWins) {
  const auto max_tokens = [](const std::string& fields) {
    return parse_chat_request(with_messages(fields)).max_tokens;
  };
  EXPECT_EQ(max_tokens(R"("max_tokens": 10, "max_completion_tokens": 20)"), 20);
  EXPECT_EQ(max_tokens(R"("max_completion_tokens": 20, "max_tokens": 10)"), 20);
  EXPECT_EQ(max_tokens(R"("max_tokens": 10)"), 10);
  EXPECT_EQ(max_tokens(R"("max_completion_tokens": 7)"), 7);
  EXPECT_EQ(max_tokens(R"("max_tokens": 10, "max_completion_tokens": null)"), 10);
  EXPECT_FALSE(max_tokens(R"("store": false)").has_value());
}

TEST(ChatRequest, Logprobs) {
  const ChatRequest on = parse_chat_request(with_messages(R"("logprobs": true, "top_logprobs": 5)"));
  EXPECT_TRUE(on.logprobs);
  EXPECT_EQ(on.top_logprobs, 5);
  const ChatRequest bare = parse_chat_request(with_messages(R"("logprobs": true)"));
  EXPECT_TRUE(bare.logprobs);
  EXPECT_EQ(bare.top_logprobs, 0);
  const ChatRequest off = parse_chat_request(with_messages(R"("logprobs": false, "top_logprobs": null)"));
  EXPECT_FALSE(off.logprobs);
  EXPECT_EQ(off.top_logprobs, 0);
}

TEST(ChatRequest, ResponseFormatTextIsTheOnlyOneHonoured) {
  EXPECT_NO_THROW(parse_chat_request(with_messages(R"("response_format": {"type": "text"})")));
  EXPECT_NO_THROW(parse_chat_request(with_messages(R"("response_format": null)")));
  EXPECT_EQ(request_error_of([] {
              parse_chat_request(with_messages(R"("response_format": {"type": "json_object"})"));
            }).param,
            "response_format");
}

TEST(CompletionRequest, LogitBiasAndVllmSamplingExtras) {
  const CompletionRequest r =
      parse_completion_request(with_prompt(R"("logit_bias": {"5": -100, "17": 2.5, "0": 100}, "top_k": 40, "min_p": 0.1,
                     "repetition_penalty": 1.3)"));
  EXPECT_EQ(r.logit_bias, (std::vector<std::pair<int32_t, float>>{{5, -100.0f}, {17, 2.5f}, {0, 100.0f}}));
  EXPECT_EQ(r.top_k, 40);
  EXPECT_DOUBLE_EQ(r.min_p, 0.1);
  EXPECT_DOUBLE_EQ(r.repetition_penalty, 1.3);
  const CompletionRequest plain = parse_completion_request(with_prompt(R"("logit_bias": {}, "top_k": -1)"));
  EXPECT_TRUE(plain.logit_bias.empty());
  EXPECT_EQ(plain.top_k, -1);
  EXPECT_EQ(plain.repetition_penalty, 1.0);
  // An unknown field sent as null is as good as absent.
  EXPECT_NO_THROW(parse_completion_request(with_prompt(R"("grammar": null, "whatever": null)")));
}

TEST(ChatRequest, EmptyToolsAndExtensions) {
  const ChatRequest r = parse_chat_request(with_messages(
      R"("tools": [], "tool_choice": "none", "functions": null, "parallel_tool_calls": false,
         "chat_template_kwargs": {"enable_thinking": false, "z": 1, "a": 2}, "stream": true,
         "stream_options": {"include_usage": false}, "stop": ["</s>", "\n\n"], "seed": 7)"));
  EXPECT_EQ(r.chat_template_kwargs.dump(), R"({"enable_thinking":false,"z":1,"a":2})");
  EXPECT_TRUE(r.stream);
  EXPECT_FALSE(r.include_usage);
  EXPECT_EQ(r.stop, (std::vector<std::string>{"</s>", "\n\n"}));
  EXPECT_EQ(r.seed, 7u);
}

}  // namespace
}  // namespace medllm::serve
