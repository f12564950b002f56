#pragma once
// lm-evaluation-harness's mmlu_pro_health task (version 3.1; lm_eval/tasks/mmlu_pro/
// _default_template_yaml, mmlu_pro_health.yaml and utils.py at lm-evaluation-harness 4e7e0d47):
// a plain completion prompt, no chat template. The task's description (the subject's instruction
// to think step by step and end with "the answer is (X)"), then "Question:\n{question}\nOptions:\n"
// with each option stripped as "A. {option}\n", then "Answer: Let's think step by step."; greedy
// generation until "Question:"; the answer is the first match of 'answer is \(?([ABCDEFGHIJ])\)?'
// (else "[invalid]"), scored by exact_match ignoring case and punctuation. lm-eval puts 5
// chain-of-thought examples from MMLU-Pro's validation split in front; the data here has no
// validation split, so medllm runs it 0-shot and says so.

#include <nlohmann/json.hpp>
#include <string>

#include "eval/item.hpp"

namespace medllm::eval::lm_eval_mmlu_pro {

constexpr const char* kBenchmark = "mmlu_pro_health";
constexpr const char* kStop = "Question:";  // generation_kwargs.until
constexpr int32_t kMaxNewTokens = 2048;     // generation_kwargs.max_gen_toks

// The 0-shot context: description + doc_to_text.
std::string context(const Item& item);

// The custom-extract filter: the letter of the first "answer is (X)", else "[invalid]".
std::string extract(const std::string& reply);

// The per-item record for samples.jsonl: "prediction", "gold", "correct" (exact_match).
nlohmann::json score_reply(const Item& item, const std::string& reply);

}  // namespace medllm::eval::lm_eval_mmlu_pro
