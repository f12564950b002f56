#pragma once
// The IgakuQA paper's generation protocol, as its baselines were produced (jungokasai/IgakuQA @
// 2bc4c3d1: scripts/generation/chatgpt.py create_input and dict2problem, scripts/baseline_main.py,
// scripts/evaluate_main.py): the system message "医師国家試験を解きます。", the paper's three solved
// questions from the 100th exam (scripts/prompts/prompt.jsonl, staged in
// igakuqa/paper_prompts/) as user/assistant turns, then the question. A reply is folded from
// full-width to ASCII and lowercased (the paper's mojimoji.zen_to_han(answer).lower()) and scored
// by the paper's rule: split on ",", sorted, equal to the key.

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "eval/item.hpp"

namespace medllm::eval::igakuqa_paper {

constexpr const char* kBenchmark = "igakuqa_paper";

// IgakuQA's questions of the given years (all when empty) with the paper's examples as the shots.
Benchmark load(const std::string& data_root, const std::vector<int>& years = {});

// The three examples of igakuqa/paper_prompts/prompt.jsonl under the data root, in file order;
// an Error names the file and field when they cannot be read.
std::vector<Item> load_shots(const std::string& data_root);

// "問題: {text}\na: {choice}\n...\n必ずa,b,c,d,eの中からちょうど{k}個選んでください。\n答え:" with k the number
// of key answers; a question without choices is "問題: {text}" alone.
std::string user_turn(const Item& item);

// The system message, each shot as a user turn and an assistant turn (its answers joined by ","),
// then the question.
nlohmann::ordered_json messages(const Item& item, std::span<const Item> shots);

// The reply as the paper records it: full-width forms folded to ASCII, ASCII letters lowercased.
std::string prediction_of(const std::string& reply);

// The per-item record for samples.jsonl: "prediction", "gold", "correct" by the paper's rule.
nlohmann::json score_reply(const Item& item, const std::string& reply);

}  // namespace medllm::eval::igakuqa_paper
