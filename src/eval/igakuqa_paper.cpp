#include "eval/igakuqa_paper.hpp"

#include <fmt/format.h>

#include "eval/benchmarks.hpp"
#include "eval/exam_scoring.hpp"
#include "eval/igakuqa_loader.hpp"
#include "eval/prompts.hpp"

namespace medllm::eval::igakuqa_paper {

using namespace loader;

std::vector<Item> load_shots(const std::string& data_root) {
  const std::string path = path_in(data_root, "igakuqa/paper_prompts/prompt.jsonl");
  std::vector<Item> shots;
  for_each_jsonl(path, [&](const nlohmann::json& record, const Where& where) {
    Item item;
    item.id = require_id(record, "problem_id", where);
    item.question = require_text(record, "problem_text", where);
    item.language = "ja";
    const nlohmann::json& choices = require_field(record, "choices", where);
    if (!choices.is_array()) fail_field(where, "choices", "is not a list");
    for (const nlohmann::json& choice : choices) {
      if (!choice.is_string()) fail_field(where, "choices", "holds a non-string");
      item.choices.push_back({std::string(1, static_cast<char>('a' + item.choices.size())), choice.get<std::string>()});
    }
    const nlohmann::json& answer = require_field(record, "answer", where);
    if (!answer.is_array()) fail_field(where, "answer", "is not a list");
    for (const nlohmann::json& letter : answer) {
      if (!letter.is_string()) fail_field(where, "answer", "holds a non-string");
      item.answers.push_back(letter.get<std::string>());
    }
    validate_item(item, where);
    shots.push_back(std::move(item));
  });
  if (shots.size() != 3) fail("{}: the paper's prompt has 3 examples, this file {}", path, shots.size());
  return shots;
}

Benchmark load(const std::string& data_root, const std::vector<int>& years) {
  Benchmark bench = load_igakuqa(data_root, years);
  bench.name = kBenchmark;
  bench.description = bench.description + "; the IgakuQA paper's prompt with its 3 examples from the 100th exam";
  bench.shots = load_shots(data_root);
  bench.shot_source = "the paper's scripts/prompts/prompt.jsonl (100E5, 100A60, 100A1)";
  return bench;
}

std::string user_turn(const Item& item) {
  std::string problem = "問題: " + item.question;
  if (item.choices.empty()) return problem;
  for (const Choice& choice : item.choices) problem += "\n" + choice.label + ": " + choice.text;
  // The paper asks for len(answer) letters; an "a or d" question's key is one answer.
  problem += fmt::format("\n必ずa,b,c,d,eの中からちょうど{}個選んでください。", answers_to_pick(item));
  return problem + "\n答え:";
}

nlohmann::ordered_json messages(const Item& item, std::span<const Item> shots) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  out.push_back({{"role", "system"}, {"content", "医師国家試験を解きます。"}});
  for (const Item& shot : shots) {
    std::string answer;
    for (const std::string& letter : shot.answers) answer += (answer.empty() ? "" : ",") + letter;
    out.push_back({{"role", "user"}, {"content", user_turn(shot)}});
    out.push_back({{"role", "assistant"}, {"content", answer}});
  }
  out.push_back({{"role", "user"}, {"content", user_turn(item)}});
  return out;
}

std::string prediction_of(const std::string& reply) {
  std::string out = fold_fullwidth(reply);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

nlohmann::json score_reply(const Item& item, const std::string& reply) {
  const std::string prediction = prediction_of(reply);
  return {{"prediction", prediction},
          {"extraction_rule", "IgakuQA paper: the reply folded to half-width and lowercased, split on ','"},
          {"gold", gold_answer(item)},
          {"correct", score_item(item, prediction, PredictionRule::Paper).correct}};
}

}  // namespace medllm::eval::igakuqa_paper
