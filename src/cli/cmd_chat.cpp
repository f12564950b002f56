// medllm chat: an interactive conversation in the terminal with the model's chat template,
// streamed answers, /reset, /system and Ctrl-C to stop an answer without leaving.

#include <fmt/format.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <medllm/generate.hpp>
#include <medllm/tokenizer.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "templating/chat_template.hpp"

namespace medllm::cli {

namespace {

struct ChatFlags {
  ModelFlags model;
  GenerateOptions options;
  std::string system;
};

std::atomic<bool> g_interrupted = false;

void on_interrupt(int) {
  g_interrupted = true;
}

void run_chat(ChatFlags& flags) {
  const auto model = flags.model.load();
  const auto tokenizer = Tokenizer::load(*model);
  const ChatTemplate chat = ChatTemplate::from_path(flags.model.path);
  GenerateOptions options = flags.options;
  options.add_special = false;  // the template writes the special tokens
  nlohmann::ordered_json history = nlohmann::ordered_json::array();
  std::string system = flags.system;
  const auto reset = [&] {
    history = nlohmann::ordered_json::array();
    if (!system.empty()) history.push_back({{"role", "system"}, {"content", system}});
  };
  reset();
  // Ctrl-C ends the answer being written; at the prompt it does nothing (Ctrl-D or /exit quit).
  std::signal(SIGINT, on_interrupt);
  fmt::print(stderr,
             "medllm chat with {} (template {}). /system TEXT sets the system prompt, /reset clears the "
             "conversation, /exit or Ctrl-D quits; Ctrl-C stops an answer.\n",
             flags.model.path, chat.name());
  std::string line;
  while (true) {
    std::fputs("> ", stdout);
    std::fflush(stdout);
    if (!std::getline(std::cin, line)) break;
    g_interrupted = false;
    if (line.empty()) continue;
    if (line == "/exit" || line == "/quit") break;
    if (line == "/reset") {
      reset();
      std::puts("(conversation cleared)");
      continue;
    }
    if (line.rfind("/system", 0) == 0) {
      system = line.size() > 8 ? line.substr(8) : "";
      reset();
      std::printf("(system prompt %s; conversation cleared)\n", system.empty() ? "removed" : "set");
      continue;
    }
    history.push_back({{"role", "user"}, {"content", line}});
    ChatTemplateOptions template_options;
    template_options.add_generation_prompt = true;
    std::string prompt;
    try {
      prompt = chat.render(history, template_options);
    } catch (const Error& e) {
      history.erase(history.size() - 1);
      fmt::print(stderr, "medllm chat: {}\n", e.what());
      continue;
    }
    GenerateResult result;
    try {
      result = generate(*model, *tokenizer, prompt, options, [](std::string_view text) {
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
        return !g_interrupted.load();
      });
    } catch (const Error& e) {  // the conversation outgrew the context, ...
      history.erase(history.size() - 1);
      fmt::print(stderr, "\nmedllm chat: {} (/reset starts over)\n", e.what());
      continue;
    }
    std::puts(result.stop_reason == StopReason::Cancelled ? " [stopped]" : "");
    history.push_back({{"role", "assistant"}, {"content", result.text}});
  }
  std::fputc('\n', stdout);
}

}  // namespace

void add_chat_command(CLI::App& app) {
  auto flags = std::make_shared<ChatFlags>();
  CLI::App* command = app.add_subcommand("chat", "talk with a model in the terminal (its chat template, streamed)");
  flags->model.add_to(*command);
  SamplingParams& s = flags->options.sampling;
  command->add_option("--system", flags->system, "system prompt");
  command->add_option("-n,--n-predict", flags->options.max_tokens, "reply length limit (-1: until EOS)")
      ->transform(number<int32_t>(-1))
      ->capture_default_str();
  add_sampling_flags(*command, s);
  command->add_option("-c,--ctx-size", flags->options.context_length, "context length (0: the model's)")
      ->transform(number<int64_t>(0));
  command->add_flag("--ignore-eos", flags->options.ignore_eos, "keep writing past the end-of-sequence token");
  command->footer(R"(Examples:
  medllm chat -m path/to/chat-model
  medllm chat -m path/to/chat-model --system "You are a careful clinician. Answer briefly." --temp 0.3
  medllm chat -m BASE --lora runs/lora -n 256)");
  command->callback([flags] { run_chat(*flags); });
}

}  // namespace medllm::cli
