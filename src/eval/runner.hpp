#pragma once
// `medllm eval`: runs benchmarks on a model and writes results.json (eval/results.hpp) and
// samples.jsonl. Per-item results are cached as they are computed, so an interrupted run resumes
// where it stopped; every score is independent of batch size and thread count. The human-facing
// reports are drawn from the returned results by the caller (report/eval_report.hpp).

#include <cstdint>
#include <medllm/generate.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/events.hpp"
#include "eval/results.hpp"

namespace medllm {
class Model;
class Tokenizer;
}  // namespace medllm

namespace medllm::eval {

struct EvalOptions {
  std::vector<std::string> benchmarks;
  std::string data_root;
  // "loglik", "generate", or "auto": each benchmark's own protocol (generation for JMED-LLM's tasks,
  // igakuqa_paper and mmlu_pro_health, log-likelihood for the others).
  std::string method = "auto";
  int shots = 0;
  int64_t limit = 0;   // items per benchmark; 0: all
  int batch_size = 8;  // items per forward pass (loglik)
  // Plain-text prompts (adds_bos): "on" adds the tokenizer's special tokens (its BOS where its config adds
  // one, as Hugging Face's add_special_tokens=True), "off" none, "auto" what lm-eval_version does
  // (adds_bos).
  std::string bos = "auto";
  std::string lm_eval_version = "0.4.12";  // the lm-evaluation-harness release "auto" follows
  bool chain_of_thought = false;
  int32_t max_tokens = 0;   // generate: reply length; 0: the protocol's (JMED-LLM 512, else 256)
  bool system_role = true;  // JMED-LLM's use_system_role: false puts its instruction in the user message
  SamplingParams sampling = greedy_sampling();
  int self_consistency = 1;  // generate: samples voted per item
  std::string out_dir;
  bool resume = true;
  bool hash_model = true;
  std::vector<int> igakuqa_years = {2018, 2019, 2020, 2021, 2022};
  ProgressCallback progress;  // per benchmark; empty: none

  static SamplingParams greedy_sampling() {
    SamplingParams params;
    params.temperature = 0.0f;
    return params;
  }
};

// Whether plain-text prompts (log-likelihood tasks, lm-eval's mmlu_pro generation) get the
// tokenizer's special tokens: bos "on"/"off", or under "auto" as lm-evaluation-harness's Hugging
// Face models do in that release: from v0.4.9.2 always (the tokenizer's default); before, only
// Gemma (v0.4.4-v0.4.9.1: model_type containing "gemma"; v0.4.2-v0.4.3: model_type "gemma"; never
// before v0.4.2). An Error for a version that is not dotted numbers or a mode other than auto/on/off.
bool adds_bos(const EvalOptions& options, const std::string& model_type);

// Runs everything and returns the results (also written to out_dir as results.json when set).
EvalResults run_eval(const Model& model, const Tokenizer& tokenizer, const EvalOptions& options);

// The model's identity for results: path, format, type, parameter count, and a SHA-256 of its
// files (config and weights) when hash is true.
ModelIdentity model_identity(const Model& model, bool hash);

}  // namespace medllm::eval
