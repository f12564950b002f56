#include "eval/jmed_llm.hpp"

#include <algorithm>
#include <array>
#include <set>

#include "core/error.hpp"

namespace medllm::eval::jmed_llm {

namespace {

// src/utils.py get_evaluation_messages, byte for byte.
constexpr std::string_view kChoiceSystemPrompt =
    "与えられた医学に関する質問と選択肢から、最も適切な回答を選択してください。なお、回答には選択肢のアルファベット"
    "（例：A）のみを含め、他には何も含めないことを厳守してください。";
constexpr std::string_view kEntitySystemPrompt =
    "与えられた医学に関する質問から、最も適切な回答をしてください。なお、回答にはPythonのリスト形式（例：['回答1', "
    "'回答2']）のみを含め、他には何も含めないことを厳守してください。";
constexpr std::string_view kChoiceLetters = "ABCDEF";

const std::array<Task, 6>& all_tasks() {
  // evaluator.py: kappa with weights="linear" for crade (and jcsts, whose data is not staged).
  static const std::array<Task, 6> tasks = {{
      {"jmmlu_med", false, KappaWeights::None},
      {"crade", false, KappaWeights::Linear},
      {"rrtnm", false, KappaWeights::None},
      {"smdis", false, KappaWeights::None},
      {"mrner_disease", true, KappaWeights::None},
      {"mrner_medicine", true, KappaWeights::None},
  }};
  return tasks;
}

std::set<PythonValue> as_set(std::span<const PythonValue> values) {
  return {values.begin(), values.end()};
}

// (2 * recall * precision) / (recall + precision), 0 when both are 0; Python's order of operations.
double f1_of(double shared, size_t gold, size_t predicted) {
  const double recall = gold == 0 ? 0.0 : shared / static_cast<double>(gold);
  const double precision = predicted == 0 ? 0.0 : shared / static_cast<double>(predicted);
  return recall + precision != 0.0 ? (2 * recall * precision) / (recall + precision) : 0.0;
}

nlohmann::json to_json(std::span<const PythonValue> values) {
  nlohmann::json out = nlohmann::json::array();
  for (const PythonValue& value : values) {
    if (value.kind == PythonValue::Kind::String) out.push_back(value.text);
    if (value.kind == PythonValue::Kind::Number) out.push_back(value.number);
    if (value.kind == PythonValue::Kind::None) out.push_back(nullptr);
  }
  return out;
}

std::vector<PythonValue> gold_entities(const Item& item) {
  std::vector<PythonValue> gold;
  for (const std::string& answer : item.answers) gold.push_back({PythonValue::Kind::String, answer, 0});
  return gold;
}

// The mean of a per-item value over the samples, as the reference sums and divides.
Estimate mean_of(std::span<const nlohmann::json> samples, const char* key) {
  double sum = 0.0;
  for (const nlohmann::json& sample : samples) sum += sample.value(key, 0.0);
  const auto n = static_cast<int64_t>(samples.size());
  return {.value = n > 0 ? std::optional<double>(sum / static_cast<double>(n)) : std::nullopt, .n = n};
}

}  // namespace

std::optional<Task> task_of(std::string_view benchmark) {
  constexpr std::string_view prefix = "jmed_llm_";
  if (benchmark.substr(0, prefix.size()) != prefix) return std::nullopt;
  for (const Task& task : all_tasks()) {
    if (benchmark.substr(prefix.size()) == task.name) return task;
  }
  return std::nullopt;
}

nlohmann::ordered_json messages(const Task& task, const Item& item, bool use_system_role) {
  std::string system, user;
  if (task.entities) {
    system = kEntitySystemPrompt;
    user = item.question;
  } else {
    system = kChoiceSystemPrompt;
    user = "質問: " + item.question + "\n選択肢:\n";
    for (const Choice& choice : item.choices) user += choice.label + ". " + choice.text + "\n";
  }
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  if (use_system_role) {
    out.push_back({{"role", "system"}, {"content", system}});
    out.push_back({{"role", "user"}, {"content", user}});
  } else {
    out.push_back({{"role", "user"}, {"content", system + "\n\n" + user}});
  }
  return out;
}

std::string first_uppercase_choice(std::string_view reply) {
  // Bytes of multi-byte UTF-8 characters are all >= 0x80, so a byte scan finds the same first
  // ASCII letter as the reference's scan of characters.
  const size_t at = reply.find_first_of(kChoiceLetters);
  return at == std::string_view::npos ? "None" : std::string(1, reply[at]);
}

std::vector<PythonValue> entity_list(std::string_view reply) {
  return parse_python_list(reply).value_or(std::vector<PythonValue>{});
}

double exact_f1(std::span<const PythonValue> gold, std::span<const PythonValue> predicted) {
  const std::set<PythonValue> answer = as_set(gold), predict = as_set(predicted);
  size_t shared = 0;
  for (const PythonValue& value : answer) shared += predict.count(value);
  return f1_of(static_cast<double>(shared), answer.size(), predict.size());
}

double partial_f1(std::span<const PythonValue> gold, std::span<const PythonValue> predicted) {
  const std::set<PythonValue> answer = as_set(gold), predict = as_set(predicted);
  size_t count = 0;
  for (const PythonValue& answer_value : answer) {
    for (const PythonValue& predict_value : predict) {
      if (predict.count(answer_value) || answer.count(predict_value)) {
        ++count;
        break;
      }
    }
  }
  return f1_of(static_cast<double>(count), answer.size(), predict.size());
}

nlohmann::json score_reply(const Task& task, const Item& item, const std::string& reply) {
  if (!task.entities) {
    const std::string prediction = first_uppercase_choice(reply);
    const std::string gold = item.answers.empty() ? std::string() : item.answers.front();
    return {{"prediction", prediction},
            {"extraction_rule", "JMED-LLM: first of A-F in the reply, else None"},
            {"gold", gold},
            {"correct", prediction == gold}};
  }
  const std::vector<PythonValue> gold = gold_entities(item), predicted = entity_list(reply);
  return {{"entities", to_json(predicted)},
          {"extraction_rule", "JMED-LLM: the reply as a Python list literal, else []"},
          {"gold_entities", to_json(gold)},
          {"exact_f1", exact_f1(gold, predicted)},
          {"partial_f1", partial_f1(gold, predicted)}};
}

std::vector<std::pair<std::string, Estimate>> metrics(const Task& task, std::span<const nlohmann::json> samples) {
  if (task.entities)
    return {{"partial_f1", mean_of(samples, "partial_f1")}, {"exact_f1", mean_of(samples, "exact_f1")}};
  std::vector<std::string> gold, predicted;
  Proportion accuracy;
  for (const nlohmann::json& sample : samples) {
    gold.push_back(sample.value("gold", ""));
    predicted.push_back(sample.value("prediction", ""));
    accuracy.total++;
    accuracy.successes += gold.back() == predicted.back();
  }
  const auto n = static_cast<int64_t>(samples.size());
  return {{"kappa", {.value = cohen_kappa(gold, predicted, task.kappa_weights), .n = n}},
          {"acc", Estimate::of(accuracy)}};
}

}  // namespace medllm::eval::jmed_llm
