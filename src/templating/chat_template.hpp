#pragma once
// Chat templates: turn a conversation (OpenAI-style messages) into the prompt text a chat model
// was trained on. The model's own template (tokenizer_config.json "chat_template") is rendered
// byte-identically to @huggingface/jinja (transformers.js); a model without one gets a fallback
// template for its family.
//
//   auto chat = ChatTemplate::from_tokenizer_config(config_json, "tokenizer_config.json", "qwen3");
//   ChatTemplateOptions options;
//   options.add_generation_prompt = true;
//   std::string prompt = chat.render(messages, options);

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "templating/jinja/interpreter.hpp"

namespace medllm {

namespace jinja {
class Template;
}

struct ChatTemplateOptions {
  bool add_generation_prompt = false;
  // Override the special tokens read from the tokenizer config.
  std::optional<std::string> bos_token, eos_token;
  nlohmann::ordered_json tools = nullptr;      // tool (function) definitions, or null
  nlohmann::ordered_json documents = nullptr;  // retrieval documents, or null
  // More template variables, e.g. {"enable_thinking": false} (Qwen3) or {"date_string": ...};
  // they override the ones above.
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
  jinja::Clock clock;    // what strftime_now() reads; empty: the local system time
  jinja::Limits limits;  // bounds on the work one render may do
};

class ChatTemplate {
 public:
  // The template of a tokenizer_config.json (a string, or a list of {name, template} where
  // "default" is used, or "tool_use" when tools are given) with its special tokens (bos_token,
  // eos_token, unk_token, sep_token, pad_token, cls_token, mask_token; strings or AddedToken
  // objects). Without a chat_template, the fallback for model_type is used (for "llama" the
  // tokens tell Llama 2 from Llama 3). `source` names the config in error messages.
  static ChatTemplate from_tokenizer_config(const nlohmann::json& config, const std::string& source,
                                            const std::string& model_type = "");

  // The template of a model or tokenizer location: a directory (chat_template.jinja if present,
  // else tokenizer_config.json's chat_template, else the fallback for config.json's model_type),
  // or a .gguf file (tokenizer.chat_template and its embedded BOS/EOS tokens).
  static ChatTemplate from_path(const std::string& path);

  // The built-in template for a model family, with that family's usual special tokens:
  // llama2 (also "llama", "mistral": [INST] ... [/INST]), llama3, chatml ("qwen2", "qwen3", ...),
  // gemma ("gemma2", "gemma3", "gemma3_text"). Unknown families are an Error listing these.
  static ChatTemplate fallback_for(const std::string& model_type);

  // Any template source (special tokens as a JSON object such as {"bos_token": "<s>"}).
  static ChatTemplate from_source(const std::string& template_source, const std::string& name,
                                  const nlohmann::ordered_json& special_tokens = nlohmann::ordered_json::object());

  // Renders messages (a JSON array of {"role", "content", ...}) with the variables transformers
  // passes: messages, add_generation_prompt, tools, documents, the special tokens, then `extra`.
  // Errors (including the template's raise_exception) name the template, line and column.
  std::string render(const nlohmann::ordered_json& messages, const ChatTemplateOptions& options = {}) const;

  const std::string& name() const { return name_; }
  bool is_fallback() const { return fallback_; }
  const std::string& source() const;  // the default template's source
  const nlohmann::ordered_json& special_tokens() const { return special_tokens_; }

  static std::vector<std::string> fallback_families();

 private:
  ChatTemplate() = default;

  std::string name_;
  bool fallback_ = false;
  std::map<std::string, std::shared_ptr<const jinja::Template>> templates_;  // "default", "tool_use", ...
  nlohmann::ordered_json special_tokens_ = nlohmann::ordered_json::object();
};

}  // namespace medllm
