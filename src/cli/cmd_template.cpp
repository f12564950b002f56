// medllm template: render a conversation with a model's chat template, exactly as the model
// will see it (the output has no added newline).

#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <medllm/error.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "templating/chat_template.hpp"

namespace medllm::cli {

namespace {

struct TemplateFlags {
  std::string path;
  std::string messages_file;
  bool add_generation_prompt = false;
  std::vector<std::string> variables;  // name=JSON
};

void run_template(const TemplateFlags& flags) {
  std::ifstream in(flags.messages_file, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot open", flags.messages_file));
  const nlohmann::ordered_json input = nlohmann::ordered_json::parse(in, nullptr, false);
  if (input.is_discarded()) throw Error(fmt::format("{}: invalid JSON", flags.messages_file));
  // Either a messages array or an object like an OpenAI request: {"messages": [...], "tools": [...]}.
  const bool wrapped = input.is_object();
  if (wrapped && !input.contains("messages")) throw Error(fmt::format("{}: no 'messages' field", flags.messages_file));
  const nlohmann::ordered_json& messages = wrapped ? input["messages"] : input;
  if (!messages.is_array()) throw Error(fmt::format("{}: messages must be a JSON array", flags.messages_file));

  ChatTemplateOptions options;
  options.add_generation_prompt = flags.add_generation_prompt;
  if (wrapped && input.contains("tools")) options.tools = input["tools"];
  for (const std::string& variable : flags.variables) {
    const size_t equals = variable.find('=');
    if (equals == std::string::npos) throw Error(fmt::format("--var '{}': expected NAME=JSON", variable));
    const std::string value = variable.substr(equals + 1);
    nlohmann::ordered_json parsed = nlohmann::ordered_json::parse(value, nullptr, false);
    options.extra[variable.substr(0, equals)] = parsed.is_discarded() ? nlohmann::ordered_json(value) : parsed;
  }
  const std::string prompt = ChatTemplate::from_path(flags.path).render(messages, options);
  std::fwrite(prompt.data(), 1, prompt.size(), stdout);
}

}  // namespace

void add_template_command(CLI::App& app) {
  auto flags = std::make_shared<TemplateFlags>();
  CLI::App* command = app.add_subcommand("template", "render messages with the model's chat template");
  command->add_option("-m,--model", flags->path, "model directory (tokenizer_config.json) or .gguf file")->required();
  command->add_option("--messages", flags->messages_file, "JSON file: [{\"role\", \"content\"}, ...]")->required();
  command->add_flag("--add-generation-prompt", flags->add_generation_prompt, "end with the assistant turn's header");
  command->add_option("--var", flags->variables, "extra template variable NAME=JSON (e.g. enable_thinking=false)");
  command->footer(R"(Examples:
  medllm template -m path/to/Qwen3-dir --messages messages.json --add-generation-prompt
  medllm template -m path/to/Qwen3-dir --messages request.json --var enable_thinking=false
messages.json: [{"role": "user", "content": "..."}] or {"messages": [...], "tools": [...]})");
  command->callback([flags] { run_template(*flags); });
}

}  // namespace medllm::cli
