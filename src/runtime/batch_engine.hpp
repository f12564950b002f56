#pragma once
// Continuous batching (the server runs it): requests join and leave one running batch between forward
// passes. A single engine thread owns the decoding state; every pass carries each active
// request's next token (or the next chunk of its prompt) through the model together, each
// sequence in its own region of one KV cache (model/transformer's placed forward), so a
// request's tokens and logits are bit-identical to running it alone while the weights are read
// once per pass for all of them.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <medllm/generate.hpp>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace medllm {

class Model;
class Tokenizer;

struct TopLogprob {
  int32_t id = 0;
  float logprob = 0.0f;
};

// One token with its log-probability under the model (raw logits, before temperature or
// penalties, as OpenAI and vLLM report them) and, when asked, the most likely alternatives.
struct TokenLogprob {
  int32_t id = 0;
  float logprob = 0.0f;
  std::vector<TopLogprob> top;
};

struct JobSpec {
  std::vector<int32_t> prompt;
  int64_t max_tokens = -1;  // < 0: until EOS or the context is full; 0: only score the prompt
  SamplingParams sampling;
  std::vector<std::string> stop;
  bool ignore_eos = false;
  bool prompt_logprobs = false;  // the log-probability of every prompt token after the first
  int top_logprobs = 0;          // alternatives reported per token (prompt and generated)
};

struct JobResult {
  std::string text;  // generated text, stop string excluded
  std::vector<TokenLogprob> tokens;
  std::vector<TokenLogprob> prompt;  // with prompt_logprobs: one per prompt token after the first
  StopReason stop_reason = StopReason::Length;
  std::string error;  // set when the job could not run (the prompt does not fit, ...)
  double queue_seconds = 0.0, prompt_seconds = 0.0, generate_seconds = 0.0;
};

// The caller's side of a job. on_text runs on the engine thread with text that is final (whole
// UTF-8 characters, never part of a stop string) and the tokens generated since the last call;
// it must return quickly, and false cancels the job. on_done runs once, last.
struct Job {
  JobSpec spec;
  std::function<bool(std::string_view text, std::span<const TokenLogprob> tokens)> on_text;
  std::function<void(const JobResult& result)> on_done;
  std::atomic<bool> cancelled = false;                 // may be set from any thread (a client went away)
  std::chrono::steady_clock::time_point submitted_at;  // set by submit
};

struct EngineStats {
  int64_t queued = 0;  // waiting for a free sequence
  int64_t active = 0;
  int64_t passes = 0;  // forward passes run
  int64_t prompt_tokens = 0, generated_tokens = 0;
};

class BatchEngine {
 public:
  // parallel: sequences decoded together; context_length: tokens per sequence (prompt + output);
  // queue_limit: jobs that may wait for a free sequence before submit refuses more.
  BatchEngine(const Model& model, const Tokenizer& tokenizer, int parallel, int64_t context_length,
              int64_t queue_limit);
  ~BatchEngine();  // finishes queued and active jobs as cancelled, then stops the thread
  BatchEngine(const BatchEngine&) = delete;
  BatchEngine& operator=(const BatchEngine&) = delete;

  // Queues a job; false when the queue is full (the job is not taken and on_done is not called).
  bool submit(std::shared_ptr<Job> job);
  EngineStats stats() const;
  int64_t context_length() const { return context_length_; }

 private:
  struct Running;
  struct State;
  void run();
  void step(std::vector<std::unique_ptr<Running>>& active);

  const Model& model_;
  const Tokenizer& tokenizer_;
  const int parallel_;
  const int64_t context_length_;
  const int64_t queue_limit_;
  std::vector<int32_t> end_ids_;
  std::unique_ptr<State> state_;  // used by the engine thread only

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Job>> queue_;
  bool stopping_ = false;
  EngineStats stats_;
  std::thread thread_;
};

}  // namespace medllm
