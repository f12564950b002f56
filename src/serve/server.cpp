#include "serve/server.hpp"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <limits>
#include <map>
#include <medllm/model.hpp>
#include <medllm/tokenizer.hpp>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>

#include "core/error.hpp"
#include "runtime/batch_engine.hpp"
#include "serve/listen_socket.hpp"
#include "serve/openai_request.hpp"
#include "serve/web_ui.hpp"
#include "templating/chat_template.hpp"

namespace medllm::serve {

namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

// Responses quote model output and request text; invalid UTF-8 becomes U+FFFD instead of an
// exception halfway through a response.
std::string dump(const ordered_json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

int64_t unix_time() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string random_id(const char* prefix) {
  static std::atomic<uint64_t> counter = 0;
  static const uint64_t salt = std::random_device{}();
  return fmt::format("{}-{:016x}", prefix, salt ^ (++counter * 0x9e3779b97f4a7c15ull));
}

const char* finish_reason(StopReason reason) {
  switch (reason) {
    case StopReason::Eos:
    case StopReason::StopString:
      return "stop";
    case StopReason::Length:
    case StopReason::Context:
      return "length";
    case StopReason::Cancelled:
      return "cancelled";
  }
  return "stop";
}

RequestError error(int status, std::string message, std::string param = {}, std::string code = {},
                   std::string type = "invalid_request_error") {
  RequestError e;
  e.status = status;
  e.message = std::move(message);
  e.param = std::move(param);
  e.code = std::move(code);
  e.type = std::move(type);
  return e;
}

// What one choice of a request streams from the engine thread to the HTTP thread.
struct Channel {
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<std::pair<std::string, std::vector<TokenLogprob>>> pieces;
  std::optional<JobResult> result;
  std::shared_ptr<Job> job;
};

// Prometheus counters.
struct Metrics {
  std::mutex mutex;
  std::map<std::pair<std::string, int>, int64_t> requests;  // (path, status) → count
  double latency_sum = 0.0;
  int64_t latency_count = 0;
  void record(const std::string& path, int status, double seconds) {
    std::lock_guard lock(mutex);
    ++requests[{path, status}];
    latency_sum += seconds;
    ++latency_count;
  }
};

}  // namespace

struct Server::Impl {
  Impl(const Model& m, const Tokenizer& t, const ChatTemplate* c, const ServerOptions& o)
      : model(m), tokenizer(t), chat(c), options(o), engine(m, t, o.parallel, o.context_length, o.queue_limit) {}

  const Model& model;
  const Tokenizer& tokenizer;
  const ChatTemplate* chat;
  ServerOptions options;
  BatchEngine engine;
  httplib::Server http;
  Metrics metrics;
  int bound_port = -1;

  // A token as the logprobs objects show it: the bytes it adds to running text (a word's leading
  // space included), or its spelling for control tokens ("<s>").
  std::string piece(int32_t id) const {
    return tokenizer.is_control(id) ? tokenizer.token_text(id) : tokenizer.token_bytes(id, false);
  }
  std::string model_name() const { return options.model_id.empty() ? model.path() : options.model_id; }

  void send_error(httplib::Response& res, const RequestError& e) const {
    res.status = e.status;
    res.set_content(dump(e.to_json()), "application/json");
  }

  void check_model(const std::string& requested) const {
    if (!requested.empty() && !options.model_id.empty() && requested != options.model_id) {
      throw error(404,
                  fmt::format("The model '{}' does not exist; this server serves '{}'", requested, options.model_id),
                  "model", "model_not_found");
    }
  }

  void check_context(int64_t prompt_tokens, int64_t max_tokens, const char* param) const {
    const int64_t ctx = engine.context_length();
    if (prompt_tokens > ctx || (prompt_tokens == ctx && max_tokens != 0)) {
      throw error(400,
                  fmt::format("This model's maximum context length is {} tokens. However, your prompt has {} tokens; "
                              "shorten it",
                              ctx, prompt_tokens),
                  param, "context_length_exceeded");
    }
  }

  // OpenAI's sampler (temperature and nucleus; llama.cpp's top-k 40 and min-p 0.05 off) with the
  // request's logit_bias and vLLM's top_k / min_p / repetition_penalty when it sets them.
  static SamplingParams sampling(const CommonRequest& r, int choice) {
    SamplingParams s;
    s.temperature = static_cast<float>(r.temperature);
    s.top_p = static_cast<float>(r.top_p);
    s.top_k = std::max(r.top_k, 0);
    s.min_p = static_cast<float>(r.min_p);
    s.repeat_penalty = static_cast<float>(r.repetition_penalty);
    s.repeat_last_n = -1;
    s.seed = r.seed ? *r.seed + static_cast<uint64_t>(choice) : std::random_device{}();
    s.logit_bias = r.logit_bias;
    return s;
  }

  void check_logit_bias(const CommonRequest& r) const {
    const int64_t vocab = model.config().vocab_size;
    for (const auto& [id, bias] : r.logit_bias) {
      if (id >= vocab) {
        throw error(400, fmt::format("logit_bias names token {}, outside the vocabulary (0..{})", id, vocab - 1),
                    "logit_bias");
      }
    }
  }

  // Submits one job per choice; 503 when the queue is full.
  std::vector<std::shared_ptr<Channel>> start(const JobSpec& spec, const CommonRequest& r) {
    check_logit_bias(r);
    std::vector<std::shared_ptr<Channel>> channels;
    for (int i = 0; i < r.n; ++i) {
      auto channel = std::make_shared<Channel>();
      auto job = std::make_shared<Job>();
      job->spec = spec;
      job->spec.sampling = sampling(r, i);
      std::weak_ptr<Channel> weak = channel;
      job->on_text = [weak](std::string_view text, std::span<const TokenLogprob> tokens) {
        const auto c = weak.lock();
        if (!c) return false;
        std::lock_guard lock(c->mutex);
        c->pieces.emplace_back(std::string(text), std::vector<TokenLogprob>(tokens.begin(), tokens.end()));
        c->changed.notify_all();
        return true;
      };
      job->on_done = [weak](const JobResult& result) {
        if (const auto c = weak.lock()) {
          std::lock_guard lock(c->mutex);
          c->result = result;
          c->changed.notify_all();
        }
      };
      channel->job = job;
      if (!engine.submit(job)) {
        for (auto& started : channels) started->job->cancelled = true;
        throw error(503, "The server is busy: too many requests are waiting; retry later", "", "server_busy",
                    "server_error");
      }
      channels.push_back(std::move(channel));
    }
    return channels;
  }

  static JobResult wait(Channel& c) {
    std::unique_lock lock(c.mutex);
    c.changed.wait(lock, [&] { return c.result.has_value(); });
    return *c.result;
  }

  ordered_json usage(int64_t prompt, int64_t completion) const {
    return {{"prompt_tokens", prompt}, {"completion_tokens", completion}, {"total_tokens", prompt + completion}};
  }

  // The completions API's logprobs object over a run of tokens.
  // A token whose logprob is NaN (the first prompt token: nothing predicts it) gets nulls.
  ordered_json completion_logprobs(std::span<const TokenLogprob> tokens, size_t& text_offset) const {
    ordered_json out = {{"tokens", json::array()},
                        {"token_logprobs", json::array()},
                        {"top_logprobs", json::array()},
                        {"text_offset", json::array()}};
    for (const auto& token : tokens) {
      const std::string text = piece(token.id);
      out["tokens"].push_back(text);
      out["text_offset"].push_back(text_offset);
      text_offset += text.size();
      if (std::isnan(token.logprob)) {
        out["token_logprobs"].push_back(nullptr);
        out["top_logprobs"].push_back(nullptr);
        continue;
      }
      out["token_logprobs"].push_back(token.logprob);
      ordered_json top = ordered_json::object();
      for (const auto& alternative : token.top) {
        const std::string key = piece(alternative.id);
        if (!top.contains(key)) top[key] = alternative.logprob;
      }
      out["top_logprobs"].push_back(top);
    }
    return out;
  }

  ordered_json chat_logprobs(std::span<const TokenLogprob> tokens) const {
    const auto entry = [&](int32_t id, float logprob) {
      const std::string text = piece(id);
      ordered_json bytes = json::array();
      for (const unsigned char b : text) bytes.push_back(b);
      return ordered_json{{"token", text}, {"logprob", logprob}, {"bytes", bytes}};
    };
    ordered_json content = json::array();
    for (const auto& token : tokens) {
      ordered_json item = entry(token.id, token.logprob);
      item["top_logprobs"] = json::array();
      for (const auto& alternative : token.top)
        item["top_logprobs"].push_back(entry(alternative.id, alternative.logprob));
      content.push_back(item);
    }
    return {{"content", content}, {"refusal", nullptr}};
  }

  // Streams server-sent events: chunk(channel index, text, tokens) for each piece, then
  // finish(index, result) per choice, then the usage chunk and [DONE].
  void stream(httplib::Response& res, std::vector<std::shared_ptr<Channel>> channels,
              std::function<ordered_json(size_t, const std::string&, const std::vector<TokenLogprob>&)> chunk,
              std::function<ordered_json(size_t, const JobResult&)> finish, std::function<ordered_json()> first,
              std::function<std::optional<ordered_json>(const std::vector<JobResult>&)> final_usage) {
    auto finished = std::make_shared<std::vector<std::optional<JobResult>>>(channels.size());
    auto started = std::make_shared<bool>(false);
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        "text/event-stream",
        [channels, finished, started, chunk, finish, first, final_usage](size_t, httplib::DataSink& sink) {
          const auto send = [&](const ordered_json& event) {
            const std::string text = "data: " + dump(event) + "\n\n";
            return sink.write(text.data(), text.size());
          };
          const auto cancel_all = [&] {
            for (const auto& c : channels) c->job->cancelled = true;
            return false;
          };
          if (!*started) {
            *started = true;
            if (first) {
              for (size_t i = 0; i < channels.size(); ++i) {
                ordered_json event = first();
                event["choices"][0]["index"] = i;
                if (!send(event)) return cancel_all();
              }
            }
          }
          for (size_t i = 0; i < channels.size(); ++i) {
            if ((*finished)[i]) continue;
            Channel& c = *channels[i];
            std::unique_lock lock(c.mutex);
            // Wake up now and then to notice a client that went away while nothing was generated.
            c.changed.wait_for(lock, std::chrono::milliseconds(100),
                               [&] { return !c.pieces.empty() || c.result.has_value(); });
            auto pieces = std::move(c.pieces);
            c.pieces.clear();
            const std::optional<JobResult> result = c.result;
            lock.unlock();
            for (const auto& [text, tokens] : pieces) {
              if (!send(chunk(i, text, tokens))) return cancel_all();
            }
            if (result) {
              (*finished)[i] = result;
              if (!send(finish(i, *result))) return cancel_all();
            }
          }
          if (!sink.is_writable()) return cancel_all();
          if (std::all_of(finished->begin(), finished->end(), [](const auto& r) { return r.has_value(); })) {
            std::vector<JobResult> results;
            for (const auto& r : *finished) results.push_back(*r);
            if (const auto usage_chunk = final_usage(results)) send(*usage_chunk);
            const std::string done = "data: [DONE]\n\n";
            sink.write(done.data(), done.size());
            sink.done();
          }
          return true;
        },
        [channels](bool) {
          for (const auto& c : channels) c->job->cancelled = true;  // a no-op for finished jobs
        });
  }

  // What every response and chunk of one request carries besides its choices.
  struct Envelope {
    std::string id, object, model;
    int64_t created = 0;
    ordered_json with(ordered_json choices) const {
      return {{"id", id},
              {"object", object},
              {"created", created},
              {"model", model},
              {"system_fingerprint", nullptr},
              {"choices", std::move(choices)}};
    }
  };

  // Waits for every choice; a job that could not run is the request's error.
  static std::vector<JobResult> collect(const std::vector<std::shared_ptr<Channel>>& channels, const char* param) {
    std::vector<JobResult> results;
    for (const auto& channel : channels) {
      results.push_back(wait(*channel));
      if (!results.back().error.empty()) {
        for (const auto& other : channels) other->job->cancelled = true;  // the request has failed
        throw error(400, results.back().error, param);
      }
    }
    return results;
  }

  ordered_json usage_of(int64_t prompt_tokens, const std::vector<JobResult>& results) const {
    int64_t completion = 0;
    for (const auto& result : results) completion += static_cast<int64_t>(result.tokens.size());
    return usage(prompt_tokens, completion);
  }

  // The streamed form of either endpoint: chunk(index, text, tokens) per piece, `finished` per
  // choice, an optional first event per choice, and the usage chunk when asked for.
  void stream_choices(httplib::Response& res, std::vector<std::shared_ptr<Channel>> channels, const Envelope& envelope,
                      std::function<ordered_json(size_t, const std::string&, const std::vector<TokenLogprob>&)> chunk,
                      std::function<ordered_json(size_t, ordered_json)> finished, std::function<ordered_json()> first,
                      bool include_usage, int64_t prompt_tokens) {
    stream(
        res, std::move(channels), std::move(chunk),
        [=](size_t i, const JobResult& result) {
          return finished(i, result.error.empty() ? ordered_json(finish_reason(result.stop_reason))
                                                  : ordered_json("error: " + result.error));
        },
        std::move(first),
        [=, this](const std::vector<JobResult>& results) -> std::optional<ordered_json> {
          if (!include_usage) return std::nullopt;
          ordered_json event = envelope.with(json::array());
          event["usage"] = usage_of(prompt_tokens, results);
          return event;
        });
  }

  void completions(const httplib::Request& req, httplib::Response& res) {
    const CompletionRequest r = parse_completion_request(req.body);
    check_model(r.model);
    if (r.presence_penalty != 0.0 || r.frequency_penalty != 0.0)
      throw error(400, "presence_penalty and frequency_penalty are not supported; leave them at 0", "presence_penalty");
    JobSpec spec;
    std::string prompt_text;
    if (const auto* ids = std::get_if<std::vector<int32_t>>(&r.prompt)) {
      spec.prompt = *ids;
      const int64_t vocab = model.config().vocab_size;
      for (const int32_t id : spec.prompt) {
        if (id < 0 || id >= vocab)
          throw error(400, fmt::format("token id {} is outside the vocabulary (0..{})", id, vocab - 1), "prompt");
      }
      prompt_text = tokenizer.decode(spec.prompt, false);
    } else {
      prompt_text = std::get<std::string>(r.prompt);
      spec.prompt = tokenizer.encode(prompt_text, true);
    }
    check_context(static_cast<int64_t>(spec.prompt.size()), r.max_tokens, "prompt");
    spec.max_tokens = r.max_tokens;
    spec.stop = r.stop;
    spec.prompt_logprobs = r.echo && r.logprobs.has_value();
    spec.top_logprobs = r.logprobs.value_or(0);
    const auto prompt_tokens = static_cast<int64_t>(spec.prompt.size());
    auto channels = start(spec, r);
    const Envelope envelope{random_id("cmpl"), "text_completion", model_name(), unix_time()};
    const bool echo = r.echo;
    const bool logprobs = r.logprobs.has_value();
    const auto logprobs_of = [this](std::span<const TokenLogprob> generated, size_t& offset) {
      return completion_logprobs(generated, offset);
    };
    const auto choice = [](size_t i, std::string text, ordered_json lp, ordered_json reason) {
      return ordered_json{
          {"index", i}, {"text", std::move(text)}, {"logprobs", std::move(lp)}, {"finish_reason", std::move(reason)}};
    };

    if (!r.stream) {
      const std::vector<JobResult> results = collect(channels, "prompt");
      ordered_json choices = json::array();
      for (size_t i = 0; i < results.size(); ++i) {
        const JobResult& result = results[i];
        ordered_json lp = nullptr;
        if (logprobs) {
          size_t offset = 0;
          std::vector<TokenLogprob> tokens;
          if (echo) {  // the prompt's tokens first; the first has no log-probability
            tokens.push_back({spec.prompt.front(), std::numeric_limits<float>::quiet_NaN(), {}});
            tokens.insert(tokens.end(), result.prompt.begin(), result.prompt.end());
          }
          tokens.insert(tokens.end(), result.tokens.begin(), result.tokens.end());
          lp = completion_logprobs(tokens, offset);
        }
        choices.push_back(
            choice(i, echo ? prompt_text + result.text : result.text, lp, finish_reason(result.stop_reason)));
      }
      ordered_json body = envelope.with(choices);
      body["usage"] = usage_of(prompt_tokens, results);
      res.set_content(dump(body), "application/json");
      return;
    }
    auto offsets = std::make_shared<std::vector<size_t>>(channels.size(), 0);
    stream_choices(
        res, channels, envelope,
        [=](size_t i, const std::string& text, const std::vector<TokenLogprob>& tokens) {
          return envelope.with(
              json::array({choice(i, text, logprobs ? logprobs_of(tokens, (*offsets)[i]) : nullptr, nullptr)}));
        },
        [=](size_t i, ordered_json reason) { return envelope.with(json::array({choice(i, "", nullptr, reason)})); },
        echo ? std::function<ordered_json()>(
                   [=] { return envelope.with(json::array({choice(0, prompt_text, nullptr, nullptr)})); })
             : std::function<ordered_json()>(),
        r.include_usage, prompt_tokens);
  }

  void chat_completions(const httplib::Request& req, httplib::Response& res) {
    const ChatRequest r = parse_chat_request(req.body);
    check_model(r.model);
    if (chat == nullptr) throw error(400, "this model has no chat template; use /v1/completions", "messages");
    if (r.presence_penalty != 0.0 || r.frequency_penalty != 0.0)
      throw error(400, "presence_penalty and frequency_penalty are not supported; leave them at 0", "presence_penalty");
    ChatTemplateOptions template_options;
    template_options.add_generation_prompt = true;
    if (r.chat_template_kwargs.is_object()) template_options.extra = r.chat_template_kwargs;
    std::string prompt;
    try {
      prompt = chat->render(r.messages_json, template_options);
    } catch (const Error& e) {
      throw error(400, fmt::format("the chat template could not render these messages: {}", e.what()), "messages");
    }
    JobSpec spec;
    spec.prompt = tokenizer.encode(prompt, false);  // the template writes the special tokens itself
    check_context(static_cast<int64_t>(spec.prompt.size()), 1, "messages");
    spec.max_tokens = r.max_tokens.value_or(-1);
    spec.stop = r.stop;
    spec.top_logprobs = r.logprobs ? r.top_logprobs : 0;
    const auto prompt_tokens = static_cast<int64_t>(spec.prompt.size());
    auto channels = start(spec, r);
    const bool logprobs = r.logprobs;

    if (!r.stream) {
      const Envelope envelope{random_id("chatcmpl"), "chat.completion", model_name(), unix_time()};
      const std::vector<JobResult> results = collect(channels, "messages");
      ordered_json choices = json::array();
      for (size_t i = 0; i < results.size(); ++i) {
        choices.push_back({{"index", i},
                           {"message", {{"role", "assistant"}, {"content", results[i].text}, {"refusal", nullptr}}},
                           {"logprobs", logprobs ? chat_logprobs(results[i].tokens) : ordered_json(nullptr)},
                           {"finish_reason", finish_reason(results[i].stop_reason)}});
      }
      ordered_json body = envelope.with(choices);
      body["usage"] = usage_of(prompt_tokens, results);
      res.set_content(dump(body), "application/json");
      return;
    }
    const Envelope envelope{random_id("chatcmpl"), "chat.completion.chunk", model_name(), unix_time()};
    const auto choice = [](size_t i, ordered_json delta, ordered_json lp, ordered_json reason) {
      return ordered_json{
          {"index", i}, {"delta", std::move(delta)}, {"logprobs", std::move(lp)}, {"finish_reason", std::move(reason)}};
    };
    stream_choices(
        res, channels, envelope,
        [=, this](size_t i, const std::string& text, const std::vector<TokenLogprob>& tokens) {
          return envelope.with(json::array(
              {choice(i, {{"content", text}}, logprobs ? chat_logprobs(tokens) : ordered_json(nullptr), nullptr)}));
        },
        [=](size_t i, ordered_json reason) {
          return envelope.with(json::array({choice(i, ordered_json::object(), nullptr, reason)}));
        },
        [=] {
          return envelope.with(json::array({choice(0, {{"role", "assistant"}, {"content", ""}}, nullptr, nullptr)}));
        },
        r.include_usage, prompt_tokens);
  }

  std::string metrics_text() {
    const EngineStats s = engine.stats();
    std::string out =
        "# HELP medllm_requests_total HTTP requests answered, by path and status.\n"
        "# TYPE medllm_requests_total counter\n";
    double latency_sum = 0.0;
    int64_t latency_count = 0;
    {
      std::lock_guard lock(metrics.mutex);
      for (const auto& [key, count] : metrics.requests)
        out += fmt::format("medllm_requests_total{{path=\"{}\",status=\"{}\"}} {}\n", key.first, key.second, count);
      latency_sum = metrics.latency_sum;
      latency_count = metrics.latency_count;
    }
    out += fmt::format(
        "# HELP medllm_request_duration_seconds Time to answer a request (streams: to their first event).\n"
        "# TYPE medllm_request_duration_seconds summary\n"
        "medllm_request_duration_seconds_sum {}\nmedllm_request_duration_seconds_count {}\n"
        "# HELP medllm_prompt_tokens_total Prompt tokens processed.\n# TYPE medllm_prompt_tokens_total counter\n"
        "medllm_prompt_tokens_total {}\n"
        "# HELP medllm_generated_tokens_total Tokens generated.\n# TYPE medllm_generated_tokens_total counter\n"
        "medllm_generated_tokens_total {}\n"
        "# HELP medllm_forward_passes_total Batched forward passes.\n# TYPE medllm_forward_passes_total counter\n"
        "medllm_forward_passes_total {}\n"
        "# HELP medllm_queue_depth Requests waiting for a free sequence.\n# TYPE medllm_queue_depth gauge\n"
        "medllm_queue_depth {}\n"
        "# HELP medllm_active_sequences Requests being decoded.\n# TYPE medllm_active_sequences gauge\n"
        "medllm_active_sequences {}\n",
        latency_sum, latency_count, s.prompt_tokens, s.generated_tokens, s.passes, s.queued, s.active);
    return out;
  }

  // Runs a handler, turning every failure into an OpenAI-shaped error response.
  void guarded(const httplib::Request& req, httplib::Response& res,
               const std::function<void(const httplib::Request&, httplib::Response&)>& handler) {
    const auto started = Clock::now();
    try {
      if (!options.api_key.empty() && req.get_header_value("Authorization") != "Bearer " + options.api_key) {
        throw error(401, "Incorrect or missing API key: send 'Authorization: Bearer <key>'", "", "invalid_api_key");
      }
      handler(req, res);
    } catch (const RequestError& e) {
      send_error(res, e);
    } catch (const std::exception& e) {
      send_error(res, error(500, fmt::format("internal error: {}", e.what()), "", "", "server_error"));
    }
    // (A stream's time here is until its first event is scheduled, not its last byte.) A handler that
    // set no status is answered 200 by httplib after this returns; it still reads -1 here.
    const int status = res.status == -1 ? 200 : res.status;
    metrics.record(req.path, status, std::chrono::duration<double>(Clock::now() - started).count());
  }

  void routes() {
    http.set_payload_max_length(options.max_body_bytes);
    // Enough connection threads that every waiting and running request holds one, plus a few for
    // /health and /metrics.
    const size_t threads = static_cast<size_t>(options.parallel + options.queue_limit + 8);
    http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    http.Get("/", [](const httplib::Request&, httplib::Response& res) {
      // The page talks only to this server; model output is inserted as text, never as HTML.
      res.set_header("Content-Security-Policy",
                     "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'");
      res.set_header("X-Content-Type-Options", "nosniff");
      const std::string_view page = web_ui_index_html();
      res.set_content(page.data(), page.size(), "text/html; charset=utf-8");
    });
    http.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(dump({{"status", "ok"}, {"model", model_name()}}), "application/json");
    });
    http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(metrics_text(), "text/plain; version=0.0.4");
    });
    http.Get("/v1/models", [this](const httplib::Request& req, httplib::Response& res) {
      guarded(req, res, [this](const httplib::Request&, httplib::Response& out) {
        const ordered_json entry = {{"id", model_name()},
                                    {"object", "model"},
                                    {"created", unix_time()},
                                    {"owned_by", "medllm"},
                                    {"max_model_len", engine.context_length()}};
        out.set_content(dump({{"object", "list"}, {"data", json::array({entry})}}), "application/json");
      });
    });
    http.Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
      guarded(req, res, [this](const httplib::Request& q, httplib::Response& out) { completions(q, out); });
    });
    http.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
      guarded(req, res, [this](const httplib::Request& q, httplib::Response& out) { chat_completions(q, out); });
    });
    // Unknown paths and httplib's own refusals (413, 400) in OpenAI's error shape too.
    http.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      std::string message = res.status == 404   ? fmt::format("no route for {} {}", req.method, req.path)
                            : res.status == 413 ? fmt::format("the request body is larger than the limit of {} bytes",
                                                              options.max_body_bytes)
                                                : fmt::format("HTTP {}", res.status);
      send_error(res, error(res.status, message));
    });
  }
};

Server::Server(const Model& model, const Tokenizer& tokenizer, const ChatTemplate* chat, const ServerOptions& options)
    : impl_(std::make_unique<Impl>(model, tokenizer, chat, options)) {
  impl_->http.set_socket_options([](socket_t socket) { set_exclusive_listen_options(socket); });
  impl_->routes();
}

Server::~Server() {
  stop();
}

int Server::bind() {
  if (impl_->bound_port >= 0) return impl_->bound_port;
  const auto& o = impl_->options;
  impl_->bound_port =
      o.port == 0 ? impl_->http.bind_to_any_port(o.host) : (impl_->http.bind_to_port(o.host, o.port) ? o.port : -1);
  if (impl_->bound_port < 0) {
    const std::string why = why_cannot_listen(o.host, o.port);
    fail("cannot listen on {}:{}: {}", o.host, o.port, why.empty() ? "the address refused the connection" : why);
  }
  return impl_->bound_port;
}

void Server::listen() {
  bind();
  impl_->http.listen_after_bind();
}

void Server::stop() {
  impl_->http.stop();
}

}  // namespace medllm::serve
