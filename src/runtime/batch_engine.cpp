#include "runtime/batch_engine.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <medllm/model.hpp>
#include <medllm/tokenizer.hpp>

#include "core/error.hpp"
#include "kernels/elementwise.hpp"
#include "model/model_state.hpp"
#include "runtime/sequence_decoder.hpp"

namespace medllm {

namespace {

using Clock = std::chrono::steady_clock;

// Prompt tokens fed per pass across all requests, so that a long prompt arriving does not stall
// the requests that are decoding (each pass still carries one token of every one of them).
constexpr int64_t kPrefillBudget = 512;

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// log p(id) from a row of raw logits, with the `top` most likely tokens (highest first, lowest
// id first on ties).
TokenLogprob token_logprob(const float* logits, int64_t vocab, int32_t id, int top) {
  const double log_sum = kernels::log_sum_exp(logits, vocab);
  const auto logprob = [&](int64_t i) { return static_cast<float>(static_cast<double>(logits[i]) - log_sum); };
  TokenLogprob out{id, logprob(id), {}};
  if (top <= 0) return out;
  std::vector<int32_t> best;  // kept sorted, at most `top` long
  const auto better = [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
  for (int64_t i = 0; i < vocab; ++i) {
    const auto candidate = static_cast<int32_t>(i);
    if (static_cast<int>(best.size()) == top && !better(candidate, best.back())) continue;
    best.insert(std::upper_bound(best.begin(), best.end(), candidate, better), candidate);
    if (static_cast<int>(best.size()) > top) best.pop_back();
  }
  for (const int32_t b : best) out.top.push_back({b, logprob(b)});
  return out;
}

}  // namespace

// The decoding state the engine thread owns: one KV cache whose region r (slots [r·context,
// (r+1)·context)) holds the sequence of the job running in it.
struct BatchEngine::State {
  explicit State(const ModelConfig& config) : cache(config.num_layers, config.num_kv_heads * config.head_dim) {}
  KVCache cache;
  ForwardScratch scratch;
  std::vector<float> logits;
};

// A job holding one of the KV cache's regions.
struct BatchEngine::Running {
  Running(std::shared_ptr<Job> j, int64_t r, const BatchEngine& engine)
      : job(std::move(j)),
        region(r),
        sequence(engine.tokenizer_, job->spec.prompt,
                 {job->spec.sampling, job->spec.stop, engine.end_ids_, job->spec.ignore_eos, job->spec.max_tokens,
                  engine.context_length_}) {}
  std::shared_ptr<Job> job;
  int64_t region;
  SequenceDecoder sequence;
  int64_t fed = 0;    // prompt tokens in the cache
  int32_t last = -1;  // the newest generated token, fed in the next pass
  JobResult result;
  Clock::time_point started_at, first_token_at;
  bool done = false;
};

BatchEngine::BatchEngine(const Model& model, const Tokenizer& tokenizer, int parallel, int64_t context_length,
                         int64_t queue_limit)
    : model_(model),
      tokenizer_(tokenizer),
      parallel_(parallel),
      context_length_(std::min(context_length > 0 ? context_length : model.config().max_position_embeddings,
                               model.config().max_position_embeddings)),
      queue_limit_(queue_limit),
      state_(std::make_unique<State>(model.config())) {
  if (parallel < 1) fail("--parallel must be at least 1, got {}", parallel);
  if (queue_limit < 0) fail("the queue limit must not be negative, got {}", queue_limit);
  end_ids_ = end_of_sequence_ids(model.config(), tokenizer);
  thread_ = std::thread([this] { run(); });
}

BatchEngine::~BatchEngine() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

bool BatchEngine::submit(std::shared_ptr<Job> job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || static_cast<int64_t>(queue_.size()) >= queue_limit_ + parallel_ - stats_.active) return false;
    job->submitted_at = Clock::now();
    queue_.push_back(std::move(job));
    stats_.queued = static_cast<int64_t>(queue_.size());
  }
  wake_.notify_all();
  return true;
}

EngineStats BatchEngine::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void BatchEngine::run() {
  std::vector<std::unique_ptr<Running>> active;
  std::vector<int64_t> free_regions;
  for (int64_t r = parallel_ - 1; r >= 0; --r) free_regions.push_back(r);
  const auto finish_all = [&](std::vector<std::unique_ptr<Running>>& jobs, StopReason reason,
                              const std::string& error) {
    for (auto& running : jobs) {
      if (running->done) continue;  // finished (and reported) earlier in the failed pass
      running->result.stop_reason = reason;
      running->result.error = error;
      if (running->job->on_done) running->job->on_done(running->result);
    }
    jobs.clear();
  };
  while (true) {
    std::vector<std::unique_ptr<Running>> admitted;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty() || !active.empty(); });
      if (stopping_) {
        std::vector<std::unique_ptr<Running>> waiting;
        for (auto& job : queue_) waiting.push_back(std::make_unique<Running>(job, -1, *this));
        queue_.clear();
        lock.unlock();
        finish_all(active, StopReason::Cancelled, "the server is shutting down");
        finish_all(waiting, StopReason::Cancelled, "the server is shutting down");
        return;
      }
      while (!free_regions.empty() && !queue_.empty()) {
        auto running = std::make_unique<Running>(queue_.front(), free_regions.back(), *this);
        queue_.pop_front();
        free_regions.pop_back();
        admitted.push_back(std::move(running));
      }
      stats_.queued = static_cast<int64_t>(queue_.size());
    }
    for (auto& running : admitted) {
      running->started_at = Clock::now();
      active.push_back(std::move(running));
    }
    try {
      step(active);
    } catch (const std::exception& e) {
      // A failure inside a pass (out of memory, ...) ends the jobs in it, not the server.
      for (auto& running : active) free_regions.push_back(running->region);
      finish_all(active, StopReason::Cancelled, e.what());
    }
    for (auto& running : active) {
      if (running->done) free_regions.push_back(running->region);
    }
    std::erase_if(active, [](const std::unique_ptr<Running>& running) { return running->done; });
    std::lock_guard lock(mutex_);
    stats_.active = static_cast<int64_t>(active.size());
  }
}

void BatchEngine::step(std::vector<std::unique_ptr<Running>>& active) {
  const ModelState& impl = model_state(model_);
  const int64_t vocab = impl.config.vocab_size;
  const int64_t ctx = context_length_;

  // Reports a job whose sequence has ended.
  const auto finish = [&](Running& r, std::string error = {}) {
    r.result.stop_reason = r.sequence.stop_reason();
    r.result.error = std::move(error);
    r.result.queue_seconds = seconds_between(r.job->submitted_at, r.started_at);
    if (r.sequence.produced() > 0) r.result.generate_seconds = seconds_between(r.first_token_at, Clock::now());
    r.done = true;
    if (r.job->on_done) r.job->on_done(r.result);
  };
  // Ends a job before its sequence would (the client went away, or the request cannot run).
  const auto cancel = [&](Running& r, std::string error = {}) {
    r.sequence.cancel();
    finish(r, std::move(error));
  };

  struct Row {
    Running* owner;
    int64_t position;  // of the token whose logits these are
  };
  std::vector<int32_t> tokens;
  std::vector<TokenPlacement> placements;
  std::vector<int64_t> logit_rows;
  std::vector<Row> rows;
  int64_t budget = kPrefillBudget;
  for (auto& running : active) {
    Running& r = *running;
    const JobSpec& spec = r.job->spec;
    if (r.job->cancelled) {
      cancel(r);
      continue;
    }
    const auto prompt_length = static_cast<int64_t>(spec.prompt.size());
    if (r.fed == 0 && r.sequence.produced() == 0) {  // not started: check what the pass cannot
      if (prompt_length == 0) {
        cancel(r, "the prompt is empty");
        continue;
      }
      if (prompt_length > ctx || (prompt_length == ctx && spec.max_tokens != 0)) {
        cancel(r, fmt::format("the prompt has {} tokens but the context holds {}", prompt_length, ctx));
        continue;
      }
      const auto bad =
          std::find_if(spec.prompt.begin(), spec.prompt.end(), [&](int32_t id) { return id < 0 || id >= vocab; });
      if (bad != spec.prompt.end()) {
        cancel(r, fmt::format("token id {} is outside the vocabulary (0..{})", *bad, vocab - 1));
        continue;
      }
    }
    const int64_t base = r.region * ctx;
    if (r.fed < prompt_length) {
      const int64_t take = std::min(prompt_length - r.fed, budget);
      if (take <= 0) continue;  // this pass's prompt budget is spent; next pass
      budget -= take;
      for (int64_t i = r.fed; i < r.fed + take; ++i) {
        if (spec.prompt_logprobs || i == prompt_length - 1) {
          logit_rows.push_back(static_cast<int64_t>(tokens.size()));
          rows.push_back({&r, i});
        }
        placements.push_back({i, base + i, 0, 0, base});
        tokens.push_back(spec.prompt[static_cast<size_t>(i)]);
      }
      r.fed += take;
    } else {
      const int64_t position = prompt_length + r.sequence.produced() - 1;
      logit_rows.push_back(static_cast<int64_t>(tokens.size()));
      rows.push_back({&r, position});
      placements.push_back({position, base + position, 0, 0, base});
      tokens.push_back(r.last);
    }
  }
  if (tokens.empty()) return;

  State& s = *state_;
  s.logits.resize(logit_rows.size() * static_cast<size_t>(vocab));
  impl.transformer->forward_placed(tokens, placements, s.cache, s.scratch, *impl.pool, logit_rows, s.logits.data());
  {
    std::lock_guard lock(mutex_);
    ++stats_.passes;
    stats_.prompt_tokens += kPrefillBudget - budget;
  }

  for (size_t k = 0; k < rows.size(); ++k) {
    Running& r = *rows[k].owner;
    if (r.done) continue;
    const JobSpec& spec = r.job->spec;
    const float* row_logits = s.logits.data() + k * static_cast<size_t>(vocab);
    const auto prompt_length = static_cast<int64_t>(spec.prompt.size());
    const int64_t position = rows[k].position;
    if (position + 1 < prompt_length) {  // predicts the next prompt token
      r.result.prompt.push_back(
          token_logprob(row_logits, vocab, spec.prompt[static_cast<size_t>(position + 1)], spec.top_logprobs));
      continue;
    }
    if (position + 1 == prompt_length) r.result.prompt_seconds = seconds_between(r.started_at, Clock::now());
    const SequenceDecoder::Step step = r.sequence.next(std::span<const float>(row_logits, static_cast<size_t>(vocab)));
    std::span<const TokenLogprob> generated;
    if (step.token >= 0) {
      if (r.sequence.produced() == 1) r.first_token_at = Clock::now();
      r.last = step.token;
      {
        std::lock_guard lock(mutex_);
        ++stats_.generated_tokens;
      }
      r.result.tokens.push_back(token_logprob(row_logits, vocab, step.token, spec.top_logprobs));
      generated = std::span<const TokenLogprob>(&r.result.tokens.back(), 1);
    }
    r.result.text += step.text;
    const bool news = step.token >= 0 || !step.text.empty();
    if (news && r.job->on_text && !r.job->on_text(step.text, generated)) r.sequence.cancel();
    if (r.sequence.done()) finish(r);
  }
}

}  // namespace medllm
