// medllm serve: the OpenAI-compatible HTTP server (src/serve/server.hpp).

#include <fmt/format.h>

#include <csignal>
#include <filesystem>
#include <medllm/tokenizer.hpp>
#include <optional>

#include "cli/commands.hpp"
#include "serve/listen_socket.hpp"
#include "serve/server.hpp"
#include "templating/chat_template.hpp"

namespace medllm::cli {

namespace {

struct ServeFlags {
  ModelFlags model;
  serve::ServerOptions options;
  int64_t max_body_mib = 8;
};

serve::Server* g_server = nullptr;

void on_signal(int) {
  if (g_server != nullptr) g_server->stop();
}

void run_serve(ServeFlags& flags) {
  // A port in use fails now, not after minutes of loading a large model.
  if (flags.options.port != 0) {
    const std::string why = serve::why_cannot_listen(flags.options.host, flags.options.port);
    if (!why.empty())
      throw Error(fmt::format("cannot listen on {}:{}: {}", flags.options.host, flags.options.port, why));
  }
  const auto model = flags.model.load();
  const auto tokenizer = Tokenizer::load(*model);
  std::optional<ChatTemplate> chat;
  try {
    chat = ChatTemplate::from_path(flags.model.path);
  } catch (const Error& e) {
    fmt::print(stderr, "medllm serve: no chat template ({}); /v1/chat/completions is off\n", e.what());
  }
  serve::ServerOptions options = flags.options;
  options.max_body_bytes = static_cast<size_t>(flags.max_body_mib) << 20;
  if (options.model_id.empty()) {
    options.model_id = std::filesystem::path(flags.model.path).filename().string();
    if (options.model_id.empty()) options.model_id = std::filesystem::path(flags.model.path).parent_path().filename();
  }
  serve::Server server(*model, *tokenizer, chat ? &*chat : nullptr, options);
  const int port = server.bind();
  g_server = &server;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  fmt::print(stderr, "medllm serve: '{}' on http://{}:{} ({} sequences at a time, context {}){}\n", options.model_id,
             options.host, port, options.parallel,
             options.context_length > 0 ? fmt::format("{}", options.context_length) : "of the model",
             options.api_key.empty() ? "" : ", API key required");
  std::fflush(stderr);
  server.listen();
  g_server = nullptr;
}

}  // namespace

void add_serve_command(CLI::App& app) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* command = app.add_subcommand("serve", "OpenAI-compatible HTTP server (chat, completions, streaming)");
  flags->model.add_to(*command);
  serve::ServerOptions& o = flags->options;
  command->add_option("--host", o.host, "address to listen on (0.0.0.0: every interface)")->capture_default_str();
  command->add_option("--port", o.port, "port (0: any free one)")
      ->transform(number<int>(0, 65535))
      ->capture_default_str();
  command->add_option("--api-key", o.api_key, "require 'Authorization: Bearer KEY' on /v1");
  command->add_option("--model-id", o.model_id, "the model name clients send (default: the model's file name)");
  command->add_option("--parallel", o.parallel, "requests decoded together")
      ->transform(number<int>(1, 1024))
      ->capture_default_str();
  command->add_option("-c,--ctx", o.context_length, "context per request (0: the model's)")
      ->transform(number<int64_t>(0))
      ->capture_default_str();
  command->add_option("--queue", o.queue_limit, "requests that may wait beyond --parallel before 503")
      ->transform(number<int64_t>(0))
      ->capture_default_str();
  command->add_option("--max-body-mib", flags->max_body_mib, "request body limit in MiB")
      ->transform(number<int64_t>(1, 4096))
      ->capture_default_str();
  command->footer(R"(Examples:
  medllm serve -m runs/quickstart/cpt/train --port 8080 --parallel 8
  medllm serve -m path/to/model --host 0.0.0.0 --api-key "$KEY" --model-id medllm-ja
  medllm serve -m BASE --lora runs/lora -c 4096    # the page at http://127.0.0.1:8080/)");
  command->callback([flags] { run_serve(*flags); });
}

}  // namespace medllm::cli
