#pragma once
// Sampling and text generation.

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace medllm {

class Model;
class Tokenizer;

// Defaults and order follow llama.cpp: repetition penalty, top-k, top-p, min-p, then temperature
// and a draw. temperature <= 0 is greedy (argmax, lowest id on ties).
struct SamplingParams {
  float temperature = 0.8f;
  int32_t top_k = 40;           // <= 0: off
  float top_p = 0.95f;          // >= 1: off
  float min_p = 0.05f;          // <= 0: off; keeps tokens with p >= min_p * p_max
  float repeat_penalty = 1.0f;  // 1: off; divides positive logits, multiplies negative ones
  int32_t repeat_last_n = 64;   // how many recent tokens the penalty looks at
  uint64_t seed = 0;
  // Added to a token's logit before the penalty and sampling (OpenAI's logit_bias): -100 all but
  // bans a token, 100 all but forces it. Ids outside the vocabulary are an Error at sampling.
  std::vector<std::pair<int32_t, float>> logit_bias = {};
};

class Sampler {
 public:
  explicit Sampler(const SamplingParams& params);
  // Picks the next token from logits [vocab]; history holds the tokens so far (prompt included).
  int32_t sample(std::span<const float> logits, std::span<const int32_t> history);

 private:
  struct Candidate {
    int32_t id;
    float logit;
  };
  SamplingParams params_;
  std::mt19937_64 rng_;
  std::vector<Candidate> candidates_;
  std::vector<float> penalized_;
};

enum class StopReason { Eos, StopString, Length, Context, Cancelled };
const char* stop_reason_name(StopReason reason);

struct GenerateOptions {
  int32_t max_tokens = 128;  // < 0: until EOS or the context is full
  SamplingParams sampling;
  std::vector<std::string> stop;  // generation ends before the first occurrence of any of them
  bool ignore_eos = false;
  bool add_special = true;     // add the tokenizer's BOS to the prompt
  int64_t context_length = 0;  // 0: the model's maximum
};

struct GenerateResult {
  std::string text;  // generated text only, stop string excluded
  std::vector<int32_t> prompt_tokens;
  std::vector<int32_t> tokens;  // generated token ids
  StopReason stop_reason = StopReason::Length;
  double prompt_seconds = 0.0;
  double generate_seconds = 0.0;
};

// Receives text as it becomes final (never a split UTF-8 character, never part of a stop
// string); returning false cancels generation.
using TextCallback = std::function<bool(std::string_view text)>;

GenerateResult generate(const Model& model, const Tokenizer& tokenizer, std::string_view prompt,
                        const GenerateOptions& options, const TextCallback& on_text = {});
GenerateResult generate(const Model& model, const Tokenizer& tokenizer, std::span<const int32_t> prompt_tokens,
                        const GenerateOptions& options, const TextCallback& on_text = {});

}  // namespace medllm
