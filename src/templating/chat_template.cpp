#include "templating/chat_template.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/json_fields.hpp"
#include "core/json_file.hpp"
#include "core/mapped_file.hpp"
#include "formats/gguf.hpp"
#include "templating/jinja/fallback_templates.hpp"
#include "templating/jinja/template.hpp"
#include "tokenizer/hf/hf_tokenizer.hpp"

namespace medllm {

namespace {

// transformers.js passes these special tokens to the template when the config sets them.
constexpr const char* kSpecialTokens[] = {"bos_token", "eos_token", "unk_token", "sep_token",
                                          "pad_token", "cls_token", "mask_token"};

struct Family {
  const char* name;      // accepted model_type
  const char* fallback;  // templates/<fallback>.jinja
  const char* bos;
  const char* eos;
};

constexpr Family kFamilies[] = {
    {"llama2", "llama2", "<s>", "</s>"},
    {"llama", "llama2", "<s>", "</s>"},
    {"mistral", "llama2", "<s>", "</s>"},
    {"llama3", "llama3", "<|begin_of_text|>", "<|eot_id|>"},
    {"chatml", "chatml", "", "<|im_end|>"},
    {"qwen2", "chatml", "", "<|im_end|>"},
    {"qwen2_moe", "chatml", "", "<|im_end|>"},
    {"qwen3", "chatml", "", "<|im_end|>"},
    {"qwen3_moe", "chatml", "", "<|im_end|>"},
    {"gemma", "gemma", "<bos>", "<end_of_turn>"},
    {"gemma2", "gemma", "<bos>", "<end_of_turn>"},
    {"gemma3", "gemma", "<bos>", "<end_of_turn>"},
    {"gemma3_text", "gemma", "<bos>", "<end_of_turn>"},
};

const Family* find_family(const std::string& model_type) {
  for (const auto& family : kFamilies) {
    if (model_type == family.name) return &family;
  }
  return nullptr;
}

std::shared_ptr<const jinja::Template> compile(const std::string& source, const std::string& name,
                                               uint32_t max_nesting) {
  return with_context(name, [&] { return std::make_shared<const jinja::Template>(source, max_nesting); });
}

}  // namespace

std::vector<std::string> ChatTemplate::fallback_families() {
  std::vector<std::string> names;
  for (const auto& family : kFamilies) names.emplace_back(family.name);
  return names;
}

ChatTemplate ChatTemplate::from_source(const std::string& template_source, const std::string& name,
                                       const nlohmann::ordered_json& special_tokens) {
  if (!special_tokens.is_object()) fail("{}: special tokens must be a JSON object", name);
  ChatTemplate chat;
  chat.name_ = name;
  chat.templates_["default"] = compile(template_source, name, jinja::Limits{}.max_nesting);
  chat.special_tokens_ = special_tokens;
  return chat;
}

ChatTemplate ChatTemplate::fallback_for(const std::string& model_type) {
  const Family* family = find_family(model_type);
  if (family == nullptr) {
    fail("no fallback chat template for model type '{}' (known: {})", model_type, fmt::join(fallback_families(), ", "));
  }
  nlohmann::ordered_json tokens = nlohmann::ordered_json::object();
  if (*family->bos != '\0') tokens["bos_token"] = family->bos;
  tokens["eos_token"] = family->eos;
  ChatTemplate chat = from_source(jinja::fallback_template_source(family->fallback),
                                  fmt::format("fallback {} chat template", family->fallback), tokens);
  chat.fallback_ = true;
  return chat;
}

ChatTemplate ChatTemplate::from_tokenizer_config(const nlohmann::json& config, const std::string& source,
                                                 const std::string& model_type) {
  if (!config.is_object()) fail("{}: tokenizer config must be a JSON object", source);
  nlohmann::ordered_json tokens = nlohmann::ordered_json::object();
  for (const char* key : kSpecialTokens) {
    // An empty token is no token: the template sees it undefined, or the fallback family's.
    if (const auto text = hf::config_token(config, key, source); text && !text->empty()) tokens[key] = *text;
  }

  const nlohmann::json* chat_template = config.contains("chat_template") ? &config["chat_template"] : nullptr;
  if (chat_template == nullptr || chat_template->is_null()) {
    std::string family = model_type;
    if (family.empty()) {
      fail("{}: no chat_template, and no model type to choose a fallback template (known: {})", source,
           fmt::join(fallback_families(), ", "));
    }
    if (family == "llama" && tokens.value("bos_token", "") == "<|begin_of_text|>") family = "llama3";
    ChatTemplate chat = with_context(source, [&] { return fallback_for(family); });
    for (const auto& [key, value] : tokens.items()) chat.special_tokens_[key] = value;
    return chat;
  }

  ChatTemplate chat;
  chat.special_tokens_ = tokens;
  const uint32_t max_nesting = jinja::Limits{}.max_nesting;
  if (chat_template->is_string()) {
    chat.name_ = source + " chat_template";
    chat.templates_["default"] = compile(chat_template->get<std::string>(), chat.name_, max_nesting);
  } else if (chat_template->is_array()) {
    chat.name_ = source + " chat_template";
    for (const auto& entry : *chat_template) {
      if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string() || !entry.contains("template") ||
          !entry["template"].is_string()) {
        fail("{}: chat_template list entries must be {{\"name\": ..., \"template\": ...}}", source);
      }
      const std::string name = entry["name"].get<std::string>();
      chat.templates_[name] = compile(entry["template"].get<std::string>(),
                                      fmt::format("{} chat_template '{}'", source, name), max_nesting);
    }
  } else {
    fail("{}: chat_template must be a string or a list of named templates", source);
  }
  return chat;
}

const std::string& ChatTemplate::source() const {
  static const std::string kNone;
  const auto it = templates_.find("default");
  return it == templates_.end() ? kNone : it->second->source();
}

std::string ChatTemplate::render(const nlohmann::ordered_json& messages, const ChatTemplateOptions& options) const {
  if (!messages.is_array()) fail("{}: messages must be a JSON array", name_);
  if (!options.extra.is_object() && !options.extra.is_null()) fail("{}: extra variables must be a JSON object", name_);

  auto chosen = templates_.end();
  if (!options.tools.is_null()) chosen = templates_.find("tool_use");
  if (chosen == templates_.end()) chosen = templates_.find("default");
  if (chosen == templates_.end()) {
    fail("{}: no 'default' chat template (named templates: {})", name_, [&] {
      std::vector<std::string> names;
      for (const auto& entry : templates_) names.push_back(entry.first);
      return fmt::format("{}", fmt::join(names, ", "));
    }());
  }

  nlohmann::ordered_json variables = nlohmann::ordered_json::object();
  variables["messages"] = messages;
  variables["add_generation_prompt"] = options.add_generation_prompt;
  variables["tools"] = options.tools;
  variables["documents"] = options.documents;
  for (const auto& [key, value] : special_tokens_.items()) variables[key] = value;
  if (options.bos_token) variables["bos_token"] = *options.bos_token;
  if (options.eos_token) variables["eos_token"] = *options.eos_token;
  if (options.extra.is_object()) {
    for (const auto& [key, value] : options.extra.items()) variables[key] = value;
  }
  return with_context(name_, [&] { return chosen->second->render(variables, options.limits, options.clock); });
}

namespace {

ChatTemplate from_gguf(const std::string& path) {
  const MappedFile file(path);
  const GgufFile gguf = with_context(path, [&] { return parse_gguf(file.bytes()); });
  const nlohmann::json& meta = gguf.metadata;
  nlohmann::json config = nlohmann::json::object();
  const nlohmann::json& tokens = meta.value("tokenizer.ggml.tokens", nlohmann::json::array());
  for (const auto& [key, name] :
       {std::pair{"tokenizer.ggml.bos_token_id", "bos_token"}, std::pair{"tokenizer.ggml.eos_token_id", "eos_token"}}) {
    if (meta.contains(key) && meta[key].is_number_unsigned() && meta[key].get<size_t>() < tokens.size() &&
        tokens[meta[key].get<size_t>()].is_string()) {
      config[name] = tokens[meta[key].get<size_t>()];
    }
  }
  if (meta.contains("tokenizer.chat_template")) config["chat_template"] = meta["tokenizer.chat_template"];
  return ChatTemplate::from_tokenizer_config(config, path, meta.value("general.architecture", ""));
}

}  // namespace

ChatTemplate ChatTemplate::from_path(const std::string& path_text) {
  namespace fs = std::filesystem;
  const fs::path path(path_text);
  if (!fs::exists(path)) fail("{}: no such file or directory", path_text);
  if (!fs::is_directory(path)) {
    if (path.extension() == ".gguf") return from_gguf(path_text);
    fail("{}: expected a model directory or a .gguf file", path_text);
  }
  const fs::path config_path = path / "tokenizer_config.json";
  nlohmann::json config = fs::exists(config_path) ? read_json_file(config_path.string()) : nlohmann::json::object();
  if (!config.is_object()) fail("{}: expected a JSON object", config_path.string());
  // transformers >= 4.43 may save the template beside the config instead of inside it.
  if (const fs::path jinja_path = path / "chat_template.jinja"; fs::exists(jinja_path)) {
    std::ifstream in(jinja_path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    config["chat_template"] = text.str();
  }
  std::string model_type;
  if (const fs::path model_config = path / "config.json"; fs::exists(model_config)) {
    const nlohmann::json model = read_json_file(model_config.string());
    if (model.is_object()) model_type = optional_string(model, "model_type", model_config.string()).value_or("");
  }
  return from_tokenizer_config(config, config_path.string(), model_type);
}

}  // namespace medllm
