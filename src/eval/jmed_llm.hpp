#pragma once
// JMED-LLM's evaluation protocol, as its harness builds prompts and scores replies
// (sociocom/JMED-LLM @ 3774a34e: src/utils.py get_evaluation_messages,
// get_first_uppercase_alphabet, get_list_from_string, exact_f1_score, partial_f1_score;
// src/evaluator.py; configs/config_template.yaml). Every task is zero-shot generation with the
// model's chat template: the multiple-choice tasks are scored by accuracy and Cohen's kappa
// (linear weights for CRADE), the named-entity tasks by exact and "partial" F1 averaged over
// items. The leaderboard's headline is kappa, and partial F1 for the entity tasks.

#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eval/item.hpp"
#include "eval/metrics.hpp"
#include "eval/python_literal.hpp"
#include "eval/results.hpp"

namespace medllm::eval::jmed_llm {

struct Task {
  std::string name;            // the harness's task name: "crade"; the benchmark is "jmed_llm_crade"
  bool entities = false;       // the reply is a Python list of entities (mrner_*), else one letter
  KappaWeights kappa_weights;  // choice tasks: linear for crade, none for the others
};

// The JMED-LLM task a benchmark runs, or nullopt for every other benchmark.
std::optional<Task> task_of(std::string_view benchmark);

// The reference's generation settings (config_template.yaml): at most 512 new tokens.
constexpr int32_t kMaxNewTokens = 512;

// The chat messages of an item: the task's system prompt and the user prompt
// ("質問: {question}\n選択肢:\nA. {option}\n..." or the entity question itself). Without the system
// role (use_system_role: False, for chat templates that refuse one) a single user message
// "{system}\n\n{user}".
nlohmann::ordered_json messages(const Task& task, const Item& item, bool use_system_role);

// get_first_uppercase_alphabet: the first of A-F anywhere in the reply (full-width letters and
// lowercase do not count), else "None", which then counts as a label of its own.
std::string first_uppercase_choice(std::string_view reply);

// get_list_from_string: the reply's elements when the whole reply is a Python list literal, else
// an empty list.
std::vector<PythonValue> entity_list(std::string_view reply);

// One item's F1 between the gold and predicted entity sets, as the reference's loop body computes
// it (0 when nothing is predicted). Exact: the intersection. "Partial", as the reference's code has
// it: an answer entity counts when it is among the predictions or any prediction is among the
// answers (set membership, not substrings). So the count is 0 when the sets share nothing and every
// answer otherwise, and the "precision" |gold| / |predicted| can exceed 1 (as can the item's F1).
double exact_f1(std::span<const PythonValue> gold, std::span<const PythonValue> predicted);
double partial_f1(std::span<const PythonValue> gold, std::span<const PythonValue> predicted);

// The per-item record added to samples.jsonl: "prediction", "correct" (choice tasks) or
// "entities", "gold_entities", "exact_f1", "partial_f1" (entity tasks).
nlohmann::json score_reply(const Task& task, const Item& item, const std::string& reply);

// The task's metrics over the scored samples, the leaderboard's headline first (the primary
// metric): kappa then acc, or partial_f1 then exact_f1.
std::vector<std::pair<std::string, Estimate>> metrics(const Task& task, std::span<const nlohmann::json> samples);

}  // namespace medllm::eval::jmed_llm
