#include "eval/prompts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <regex>

#include "core/error.hpp"
#include "core/utf8.hpp"

namespace medllm::eval {

namespace {

enum class Style { MedQA, MedMCQA, PubMedQA, Mmlu, OptionText };

Style style_of(const std::string& benchmark, const Item& item) {
  // MedAgentsBench's PubMedQA items hold the abstract inside the question and the answers as
  // options A-C (yes/no/maybe): the MedQA style lists them, as for medqa_hard.
  if (benchmark == "pubmedqa_hard") return Style::MedQA;
  if (benchmark.rfind("medqa", 0) == 0) return Style::MedQA;
  if (benchmark.rfind("medmcqa", 0) == 0) return Style::MedMCQA;
  if (benchmark.rfind("pubmedqa", 0) == 0) return Style::PubMedQA;
  if (benchmark.rfind("mmlu", 0) == 0) return Style::Mmlu;
  if (item.language == "ja") return Style::OptionText;
  return Style::MedQA;
}

std::string subject_words(std::string subject) {
  std::replace(subject.begin(), subject.end(), '_', ' ');
  return subject;
}

// The question part of an item, ending where the answer starts ("...Answer:").
std::string question_block(Style style, const Item& item) {
  std::string text;
  switch (style) {
    case Style::MedQA:
      text = "Question: " + item.question + "\n";
      for (const auto& c : item.choices) text += c.label + ". " + c.text + "\n";
      return text + "Answer:";
    case Style::MedMCQA:
      text = "Question: " + item.question + "\nChoices:\n";
      for (const auto& c : item.choices) text += c.label + ". " + c.text + "\n";
      return text + "Answer:";
    case Style::PubMedQA:
      return "Abstract: " + item.meta.value("context", std::string()) + "\nQuestion: " + item.question + "\nAnswer:";
    case Style::Mmlu:  // lm-eval's mmlu template: {{question.strip()}}
      text = std::string(utf8::trim_python_whitespace(item.question)) + "\n";
      for (const auto& c : item.choices) text += c.label + ". " + c.text + "\n";
      return text + "Answer:";
    case Style::OptionText:
      text = "質問: " + item.question + "\n選択肢:\n";
      for (const auto& c : item.choices) text += c.label + ". " + c.text + "\n";
      return text + "答え:";
  }
  return text;
}

// What is scored for each choice: the label (lm-eval letter tasks), the word (PubMedQA) or the
// option text (Japanese sets).
std::string scored_choice(Style style, const Choice& choice) {
  return style == Style::OptionText ? choice.text : choice.label;
}

size_t index_of_label(const Item& item, const std::string& label) {
  for (size_t i = 0; i < item.choices.size(); ++i) {
    if (item.choices[i].label == label) return i;
  }
  fail("item {}: gold answer '{}' is not one of its choice labels", item.id, label);
}

}  // namespace

PromptFormat loglik_format(const std::string& benchmark, const Item& item) {
  switch (style_of(benchmark, item)) {
    case Style::MedQA:
      if (benchmark == "pubmedqa_hard") {
        return {"lm-eval medqa_4options template on MedAgentsBench options (A-C = yes/no/maybe)",
                "log-likelihood of ' A' / ' B' / ' C' after 'Answer:'"};
      }
      if (benchmark.rfind("medqa_5options", 0) == 0) {
        return {"lm-eval medqa_4options template with 5 options", "log-likelihood of ' A' ... ' E' after 'Answer:'"};
      }
      return {"lm-eval medqa_4options", "log-likelihood of ' A' ... ' D' after 'Answer:'"};
    case Style::MedMCQA:
      return {"lm-eval medmcqa", "log-likelihood of ' A' ... ' D' after 'Answer:'"};
    case Style::PubMedQA:
      return {"lm-eval pubmedqa", "log-likelihood of ' yes' / ' no' / ' maybe' after 'Answer:'"};
    case Style::Mmlu:
      if (benchmark.rfind("mmlu_pro", 0) == 0) {
        return {"lm-eval's mmlu template over MMLU-Pro's options (medllm's own; lm-eval's mmlu_pro generates)",
                "log-likelihood of ' A' ... after 'Answer:'"};
      }
      return {"lm-eval mmlu (per-subject description)", "log-likelihood of ' A' ... after 'Answer:'"};
    case Style::OptionText:
      return {"medllm ja option-text (medllm's own; not JMedBench's harness)",
              "log-likelihood of ' <option text>' after '答え:'"};
  }
  return {};
}

LoglikTask build_loglik_task(const std::string& benchmark, const Item& item, std::span<const Item> shots) {
  const Style style = style_of(benchmark, item);
  LoglikTask task;
  if (style == Style::Mmlu) {
    task.context = fmt::format("The following are multiple choice questions (with answers) about {}.\n\n",
                               subject_words(item.subject));
  }
  for (const Item& shot : shots) {
    if (shot.choices.empty() || shot.answers.empty()) continue;
    const Choice& answer = shot.choices[index_of_label(shot, shot.answers.front())];
    task.context += question_block(style, shot) + " " + scored_choice(style, answer) + "\n\n";
  }
  task.context += question_block(style, item);
  for (const Choice& choice : item.choices) {
    task.choices.push_back(scored_choice(style, choice));
    task.continuations.push_back(" " + task.choices.back());
  }
  if (!item.choices.empty()) {
    for (const auto& label : item.answers) task.gold.push_back(index_of_label(item, label));
  }
  task.pick = answers_to_pick(item);
  return task;
}

namespace {

std::string top_labels(const Item& item, const std::vector<double>& scores, size_t k) {
  std::vector<size_t> order(scores.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  std::vector<std::string> labels;
  for (size_t i = 0; i < std::min(k, order.size()); ++i) labels.push_back(item.choices[order[i]].label);
  std::sort(labels.begin(), labels.end());
  std::string out;
  for (const auto& label : labels) out += (out.empty() ? "" : ",") + label;
  return out;
}

}  // namespace

ChoicePredictions predict_choices(const Item& item, const LoglikTask& task, const std::vector<double>& loglik) {
  if (loglik.size() != task.choices.size() || loglik.size() != item.choices.size()) {
    fail("item {}: {} scores for {} choices", item.id, loglik.size(), task.choices.size());
  }
  std::vector<double> per_character, per_byte;
  for (size_t c = 0; c < loglik.size(); ++c) {
    size_t characters = 0;
    for (unsigned char ch : task.choices[c]) characters += (ch & 0xC0) != 0x80;
    per_character.push_back(loglik[c] / static_cast<double>(std::max<size_t>(1, characters)));
    per_byte.push_back(loglik[c] / static_cast<double>(std::max<size_t>(1, task.choices[c].size())));
  }
  return {top_labels(item, loglik, task.pick), top_labels(item, per_character, task.pick),
          top_labels(item, per_byte, task.pick)};
}

std::vector<Item> pick_shots(const Benchmark& benchmark, const Item& item, int k) {
  std::vector<Item> shots;
  if (k <= 0) return shots;
  if (benchmark.shots.empty()) {
    fail(
        "{}: --shots {}: its reference harness draws few-shot examples from a training or dev split that the "
        "data does not hold; evaluate it with --shots 0",
        benchmark.name, k);
  }
  for (const Item& candidate : benchmark.shots) {
    if (static_cast<int>(shots.size()) < k && candidate.subject == item.subject) shots.push_back(candidate);
  }
  if (static_cast<int>(shots.size()) < k) {
    fail("{}: --shots {}: only {} examples of subject '{}' ({})", benchmark.name, k, shots.size(), item.subject,
         benchmark.shot_source);
  }
  return shots;
}

namespace {

std::string user_text(const Item& item) {
  const bool japanese = item.language == "ja";
  std::string text = (japanese ? "問題: " : "Question: ") + item.question + "\n";
  if (item.meta.contains("context") && item.meta["context"].is_string()) {
    text = (japanese ? "文献: " : "Abstract: ") + item.meta["context"].get<std::string>() + "\n" + text;
  }
  for (const auto& c : item.choices) text += c.label + ". " + c.text + "\n";
  return text;
}

std::string instruction(const Item& item, bool chain_of_thought) {
  if (item.language == "ja") {
    std::string text =
        "あなたは医師です。以下の問題に答えてください。選択肢の記号で答え、複数選ぶ問題では「b,e」のように"
        "カンマで区切ってください。計算問題では数値のみを答えてください。";
    text += chain_of_thought ? "まず順を追って考え、最後に「答え: 記号」と書いてください。"
                             : "「答え: 記号」の形式で答えだけを書いてください。";
    return text;
  }
  std::string text =
      "You are a physician. Answer the following multiple-choice question with the label of the correct option.";
  text += chain_of_thought ? " Think step by step, then end with 'Answer: <label>'."
                           : " Reply with 'Answer: <label>' only.";
  return text;
}

}  // namespace

nlohmann::ordered_json generation_messages(const Item& item, std::span<const Item> shots, bool chain_of_thought) {
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  messages.push_back({{"role", "system"}, {"content", instruction(item, chain_of_thought)}});
  const std::string marker = item.language == "ja" ? "答え: " : "Answer: ";
  for (const Item& shot : shots) {
    messages.push_back({{"role", "user"}, {"content", user_text(shot)}});
    messages.push_back({{"role", "assistant"}, {"content", marker + gold_answer(shot)}});
  }
  messages.push_back({{"role", "user"}, {"content", user_text(item)}});
  return messages;
}

size_t answers_to_pick(const Item& item) {
  const auto n = item.meta.find("n_answers");
  size_t k = std::max<size_t>(1, item.answers.size());
  if (n != item.meta.end() && n->is_number_integer() && n->get<int64_t>() >= 1) k = n->get<size_t>();
  return item.choices.empty() ? k : std::min(k, item.choices.size());
}

std::string gold_answer(const Item& item) {
  std::vector<std::string> answers = item.answers;
  std::sort(answers.begin(), answers.end());
  std::string out;
  for (const auto& a : answers) out += (out.empty() ? "" : ",") + a;
  return out;
}

Extraction extract_answer(const Item& item, const std::string& reply) {
  std::string text = reply;
  std::string rule = "whole reply";
  for (const char* marker :
       {"Answer:", "answer:", "ANSWER:", "答え:", "答え：", "解答:", "解答：", "正解:", "正解："}) {
    const size_t at = reply.rfind(marker);
    if (at != std::string::npos) {
      text = reply.substr(at + std::string_view(marker).size());
      rule = std::string("after last '") + marker + "'";
      break;
    }
  }
  if (item.choices.empty()) {  // numeric answer: the first number
    static const std::regex number(R"([-+]?\d+(?:\.\d+)?)");
    std::smatch match;
    if (std::regex_search(text, match, number)) return {match.str(), rule + ", first number"};
    return {"", rule + ", no number"};
  }
  // Labels standing alone (not inside a word): "b", "(b)", "b.", "b,e"; case-insensitive.
  const size_t pick = answers_to_pick(item);
  std::vector<std::string> found;
  for (size_t i = 0; i < text.size() && found.size() < pick; ++i) {
    for (const auto& choice : item.choices) {
      const std::string& label = choice.label;
      if (label.size() > text.size() - i) continue;
      bool same = true;
      for (size_t k = 0; k < label.size() && same; ++k)
        same =
            std::tolower(static_cast<unsigned char>(text[i + k])) == std::tolower(static_cast<unsigned char>(label[k]));
      if (!same) continue;
      // ASCII letters and digits only: Japanese text around a label ("答えはbです") is a boundary.
      const auto is_word = [](unsigned char c) { return std::isalnum(c) != 0; };
      const bool before = i == 0 || !is_word(static_cast<unsigned char>(text[i - 1]));
      const bool after =
          i + label.size() >= text.size() || !is_word(static_cast<unsigned char>(text[i + label.size()]));
      if (before && after && std::find(found.begin(), found.end(), label) == found.end()) {
        found.push_back(label);
        i += label.size() - 1;
        break;
      }
    }
  }
  std::sort(found.begin(), found.end());
  std::string answer;
  for (const auto& label : found) answer += (answer.empty() ? "" : ",") + label;
  return {answer, rule + fmt::format(", first {} standalone choice label(s)", pick)};
}

}  // namespace medllm::eval
