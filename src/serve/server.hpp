#pragma once
// `medllm serve`: an OpenAI-compatible HTTP server over the batch engine. POST
// /v1/chat/completions and /v1/completions (streaming as server-sent events, log-probabilities of
// prompt and generated tokens), GET /v1/models, /health and /metrics (Prometheus text). Every
// malformed request gets a 4xx in OpenAI's error shape and the server keeps serving; it binds
// 127.0.0.1 unless told otherwise and, with an API key, answers /v1 only to `Authorization:
// Bearer KEY`.

#include <cstdint>
#include <memory>
#include <string>

namespace medllm {
class Model;
class Tokenizer;
class ChatTemplate;
}  // namespace medllm

namespace medllm::serve {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (see Server::port)
  std::string api_key;
  std::string model_id;             // the name clients use; any name is accepted when empty
  int parallel = 4;                 // sequences decoded together
  int64_t context_length = 0;       // per sequence; 0: the model's maximum
  int64_t queue_limit = 64;         // requests waiting beyond `parallel` before 503
  size_t max_body_bytes = 8 << 20;  // larger bodies get 413
};

class Server {
 public:
  // chat may be null (then /v1/chat/completions answers 400: the model has no chat template).
  Server(const Model& model, const Tokenizer& tokenizer, const ChatTemplate* chat, const ServerOptions& options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and serves until stop(); an Error when the address cannot be bound.
  void listen();
  // Binds now (listen() then serves); returns the port, useful with port 0.
  int bind();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace medllm::serve
