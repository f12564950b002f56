#include "eval/exam_scoring.hpp"

#include "eval/prompts.hpp"

#include <fmt/ranges.h>

#include <algorithm>
#include <set>

#include "core/error.hpp"
#include "core/utf8.hpp"

namespace medllm::eval {

using nlohmann::json;

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string trim(std::string_view text) {
  return std::string(utf8::trim_ascii(text));
}

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  for (size_t pos = 0; (pos = text.find(from, pos)) != std::string::npos; pos += to.size()) {
    text.replace(pos, from.size(), to);
  }
}

int meta_int(const Item& item, const char* name, int fallback) {
  auto it = item.meta.find(name);
  return it != item.meta.end() && it->is_number_integer() ? it->get<int>() : fallback;
}

bool meta_bool(const Item& item, const char* name, bool fallback) {
  auto it = item.meta.find(name);
  return it != item.meta.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

std::string meta_string(const Item& item, const char* name) {
  auto it = item.meta.find(name);
  return it != item.meta.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Python's str.split(','), sorted: the paper's reading of a prediction.
std::vector<std::string> paper_tokens(std::string_view prediction) {
  std::vector<std::string> tokens;
  size_t start = 0;
  while (true) {
    const size_t comma = prediction.find(',', start);
    tokens.emplace_back(
        prediction.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  std::sort(tokens.begin(), tokens.end());
  return tokens;
}

std::string lower_ascii(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "1,130" / "12,345.6": thousands separators → "1130"; anything else unchanged.
std::string drop_thousands_separators(const std::string& text) {
  const size_t dot = text.find('.');
  const std::string whole = text.substr(0, dot);
  if (whole.find(',') == std::string::npos) return text;
  size_t first = whole.find(',');
  if (first == 0 || first > 3 || !all_digits(whole.substr(0, first))) return text;
  for (size_t pos = first; pos < whole.size(); pos += 4) {
    if (whole[pos] != ',' || pos + 4 > whole.size() || !all_digits(whole.substr(pos + 1, 3))) return text;
  }
  std::string out;
  for (char c : whole) {
    if (c != ',') out += c;
  }
  return dot == std::string::npos ? out : out + text.substr(dot);
}

constexpr int kQuestionsPerExam = 400;

}  // namespace

std::string_view rule_name(PredictionRule rule) {
  return rule == PredictionRule::Paper ? "paper" : "lenient";
}

PredictionRule parse_rule_name(std::string_view name) {
  if (name == "paper") return PredictionRule::Paper;
  if (name == "lenient") return PredictionRule::Lenient;
  fail("unknown answer rule '{}' (expected paper or lenient)", name);
}

std::string fold_fullwidth(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    if ((b0 == 0xEF || b0 == 0xE3) && i + 2 < text.size()) {
      const auto b1 = static_cast<unsigned char>(text[i + 1]);
      const auto b2 = static_cast<unsigned char>(text[i + 2]);
      if ((b1 & 0xC0) == 0x80 && (b2 & 0xC0) == 0x80) {
        const char32_t cp =
            (static_cast<char32_t>(b0 & 0x0F) << 12) | (static_cast<char32_t>(b1 & 0x3F) << 6) | (b2 & 0x3F);
        if (cp >= 0xFF01 && cp <= 0xFF5E) {
          out += static_cast<char>(cp - 0xFEE0);
          i += 2;
          continue;
        }
        if (cp == 0x3000) {
          out += ' ';
          i += 2;
          continue;
        }
      }
    }
    out += text[i];
  }
  return out;
}

std::string canonical_decimal(std::string_view text) {
  const size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (whole.empty() && fraction.empty()) return {};
  if ((!whole.empty() && !all_digits(whole)) || (dot != std::string_view::npos && !all_digits(fraction))) return {};
  while (whole.size() > 1 && whole.front() == '0') whole.remove_prefix(1);
  while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
  std::string out = whole.empty() ? "0" : std::string(whole);
  if (!fraction.empty()) out += "." + std::string(fraction);
  return out;
}

std::vector<std::string> ParsedAnswer::normalized() const {
  if (kind == Kind::Letters) return letters;
  if (kind == Kind::Number) return {number};
  return {};
}

ParsedAnswer parse_prediction(std::string_view text) {
  std::string s = fold_fullwidth(text);
  replace_all(s, "、", ",");
  replace_all(s, "・", ",");
  s = lower_ascii(trim(s));
  ParsedAnswer parsed;
  if (s.empty()) return parsed;

  const std::string number_text = drop_thousands_separators(s);
  if (std::string number = canonical_decimal(number_text); !number.empty()) {
    parsed.kind = ParsedAnswer::Kind::Number;
    parsed.number = std::move(number);
    parsed.number_text = number_text;
    return parsed;
  }

  std::vector<std::string> tokens;
  std::string current;
  for (char c : s) {
    if (c == ',' || c == ';' || c == '/' || c == '&' || c == '+' || is_space(c)) {
      if (!current.empty()) tokens.push_back(std::move(current));
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) tokens.push_back(std::move(current));

  std::set<std::string> letters;
  for (std::string token : tokens) {
    while (!token.empty() && (token.front() == '(' || token.front() == '[')) token.erase(0, 1);
    while (!token.empty() &&
           (token.back() == ')' || token.back() == ']' || token.back() == '.' || token.back() == ':')) {
      token.pop_back();
    }
    if (token.empty()) return parsed;
    if (token == "and" && tokens.size() > 1) continue;
    if (!std::all_of(token.begin(), token.end(), [](char c) { return c >= 'a' && c <= 'z'; })) return parsed;
    if (token.size() == 1) {
      letters.insert(token);
      continue;
    }
    // Concatenated letters ("bd", IgakuQA119's key style): only as the whole answer, a..h, distinct.
    if (tokens.size() != 1 || token.size() > 8) return parsed;
    for (char c : token) {
      if (c > 'h' || !letters.insert(std::string(1, c)).second) return parsed;
    }
  }
  if (letters.empty()) return parsed;
  parsed.kind = ParsedAnswer::Kind::Letters;
  parsed.letters.assign(letters.begin(), letters.end());
  return parsed;
}

const std::vector<AnswerKeyException>& answer_key_exceptions() {
  static const std::vector<AnswerKeyException> exceptions = {
      {"116A71",
       true,
       {},
       "116A71: counted as correct for every examinee (official answer key; IgakuQA evaluate_main.py)"},
      {"112B30", false, {"a", "d"}, "112B30: either a or d is correct (official answer key; IgakuQA evaluate_main.py)"},
      {"119E28", false, {"a", "c"}, "119E28: either a or c is correct (IgakuQA119 grade_answers.py)"},
  };
  return exceptions;
}

const AnswerKeyException* find_answer_key_exception(std::string_view id) {
  for (const AnswerKeyException& exception : answer_key_exceptions()) {
    if (exception.id == id) return &exception;
  }
  return nullptr;
}

ItemScore score_item(const Item& item, std::optional<std::string_view> prediction, PredictionRule rule) {
  ItemScore score;
  score.id = item.id;
  score.year = meta_int(item, "year", 0);
  score.exam = meta_int(item, "exam", 0);
  score.booklet = meta_string(item, "booklet");
  score.subject = item.subject;
  score.required = meta_bool(item, "required", false);
  score.text_only = meta_bool(item, "text_only", true);
  score.numeric = meta_bool(item, "numeric", item.choices.empty());
  score.points = meta_int(item, "points", 1);
  if (score.points < 0) fail("{}: meta.points is negative ({})", item.id, score.points);
  score.answers = item.answers;
  score.has_prediction = prediction.has_value();
  if (prediction) score.prediction = std::string(*prediction);

  const ParsedAnswer parsed = prediction ? parse_prediction(*prediction) : ParsedAnswer{};
  score.parsed = parsed.normalized();
  const bool any_of = meta_string(item, "answer_mode") == "any_of";

  const auto single_of = [&](const std::vector<std::string>& accepted) {
    if (!prediction) return false;
    if (rule == PredictionRule::Paper) {
      const std::vector<std::string> tokens = paper_tokens(*prediction);
      return tokens.size() == 1 && std::find(accepted.begin(), accepted.end(), tokens[0]) != accepted.end();
    }
    if (parsed.kind != ParsedAnswer::Kind::Letters || parsed.letters.size() != 1) return false;
    return std::any_of(accepted.begin(), accepted.end(),
                       [&](const std::string& answer) { return lower_ascii(answer) == parsed.letters[0]; });
  };

  if (const AnswerKeyException* exception = find_answer_key_exception(item.id)) {
    score.exception = exception->note;
    score.correct = exception->counts_for_everyone || single_of(exception->accept_one_of);
  } else if (!prediction) {
    score.correct = false;
  } else if (any_of) {
    score.correct = single_of(item.answers);
  } else if (rule == PredictionRule::Paper) {
    std::vector<std::string> key = item.answers;
    std::sort(key.begin(), key.end());
    score.correct = paper_tokens(*prediction) == key;
  } else if (score.numeric) {
    if (item.answers.size() != 1) fail("{}: a numeric question needs exactly one answer", item.id);
    std::string value = meta_string(item, "numeric_value");
    if (value.empty()) value = canonical_decimal(item.answers[0]);
    score.correct =
        parsed.kind == ParsedAnswer::Kind::Number && (parsed.number == value || parsed.number_text == item.answers[0]);
  } else {
    std::set<std::string> key;
    for (const std::string& answer : item.answers) key.insert(lower_ascii(answer));
    score.correct = parsed.kind == ParsedAnswer::Kind::Letters &&
                    std::vector<std::string>(key.begin(), key.end()) == parsed.letters;
  }
  score.points_earned = score.correct ? score.points : 0;

  if (auto kinki = item.meta.find("kinki"); kinki != item.meta.end() && kinki->is_array()) {
    score.kinki_known = true;
    if (parsed.kind == ParsedAnswer::Kind::Letters) {
      for (const json& letter : *kinki) {
        if (!letter.is_string()) continue;
        const std::string choice = lower_ascii(letter.get<std::string>());
        if (std::binary_search(parsed.letters.begin(), parsed.letters.end(), choice)) {
          score.kinki_chosen.push_back(choice);
        }
      }
    }
  }
  return score;
}

json ItemScore::to_json() const {
  json out = {{"id", id},
              {"year", year},
              {"exam", exam},
              {"booklet", booklet},
              {"subject", subject},
              {"required", required},
              {"text_only", text_only},
              {"numeric", numeric},
              {"prediction", has_prediction ? json(prediction) : json(nullptr)},
              {"parsed", parsed},
              {"answers", answers},
              {"correct", correct},
              {"points", points},
              {"points_earned", points_earned}};
  if (kinki_known) out["kinki_chosen"] = kinki_chosen;
  if (!exception.empty()) out["exception"] = exception;
  return out;
}

void Tally::add(const ItemScore& score) {
  ++questions;
  if (score.correct) ++correct;
  if (!score.has_prediction) ++missing;
  if (score.has_prediction && score.parsed.empty()) ++unreadable;
  if (score.points > 0) {
    ++scored_questions;
    if (score.correct) ++scored_correct;
    points_possible += score.points;
    points_earned += score.points_earned;
  }
  if (score.kinki_known) ++kinki_data;
  if (!score.kinki_chosen.empty()) ++kinki_questions;
  kinki_choices += static_cast<int>(score.kinki_chosen.size());
}

double Tally::accuracy() const {
  return questions ? static_cast<double>(correct) / questions : 0.0;
}

double Tally::points_rate() const {
  return points_possible ? static_cast<double>(points_earned) / points_possible : 0.0;
}

json Tally::to_json() const {
  return {{"questions", questions},
          {"correct", correct},
          {"accuracy", accuracy()},
          {"missing", missing},
          {"unreadable", unreadable},
          {"scored_questions", scored_questions},
          {"scored_correct", scored_correct},
          {"points_earned", points_earned},
          {"points_possible", points_possible},
          {"points_rate", points_rate()},
          {"kinki_data", kinki_data},
          {"kinki_questions", kinki_questions},
          {"kinki_choices", kinki_choices}};
}

const PassCriteria* official_pass_criteria(int exam) {
  // MHLW 医師国家試験の合格発表 (合格基準), as quoted in: 112 roadtodoctor.com / savingdoctor.com,
  // 113 jmedj.co.jp (2019), 114 医学界新聞 (2020-04-13) / ishiyaku-k.com, 115 newtongym8.com,
  // 116 doctor.mynavi.jp (2022-03-16), 119 mama.smt.docomo.ne.jp (secondary; 禁忌肢 limit not
  // found). 必修: 一般 1 point, 臨床 3 points; the rest 1 point each; 禁忌肢: at most 3 questions.
  static const std::vector<PassCriteria> criteria = {
      {112, 200, 208, 299, 3}, {113, 200, 209, 296, 3}, {114, 197, 217, 299, 3},
      {115, 200, 209, 300, 3}, {116, 197, 214, 297, 3}, {119, 200, 221, 300, std::nullopt},
  };
  for (const PassCriteria& c : criteria) {
    if (c.exam == exam) return &c;
  }
  return nullptr;
}

namespace {

void finish_year(YearResult& year) {
  year.partial = year.total.questions != kQuestionsPerExam;
  const int possible = year.required.points_possible;
  year.required_threshold = (4 * possible + 4) / 5;
  year.required_pass = year.required.points_earned * 5 >= possible * 4;
  if (const PassCriteria* criteria = official_pass_criteria(year.exam)) {
    const long long general_possible = year.general.points_possible;
    if (general_possible > 0) {
      const long long needed = static_cast<long long>(criteria->general_threshold) * general_possible;
      year.general_threshold = static_cast<int>((needed + criteria->general_points - 1) / criteria->general_points);
      year.general_pass = static_cast<long long>(year.general.points_earned) * criteria->general_points >= needed;
    }
    year.kinki_max = criteria->kinki_max;
    if (criteria->kinki_max && year.total.kinki_data == year.total.questions && year.total.questions > 0) {
      year.kinki_pass = year.total.kinki_questions <= *criteria->kinki_max;
    }
  }
  if (!year.required_pass || year.general_pass == false || year.kinki_pass == false) {
    year.passed = false;
  } else if (year.general_pass && year.kinki_pass) {
    year.passed = true;
  }
}

template <typename T>
json optional_json(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

json years_json(const std::vector<YearResult>& years) {
  json out = json::array();
  for (const YearResult& year : years) out.push_back(year.to_json());
  return out;
}

}  // namespace

json YearResult::to_json() const {
  return {{"year", year},
          {"exam", exam},
          {"partial", partial},
          {"total", total.to_json()},
          {"required", required.to_json()},
          {"general", general.to_json()},
          {"criteria",
           {{"required_threshold", required_threshold},
            {"required_pass", required_pass},
            {"general_threshold", optional_json(general_threshold)},
            {"general_pass", optional_json(general_pass)},
            {"kinki_max", optional_json(kinki_max)},
            {"kinki_pass", optional_json(kinki_pass)},
            {"passed", optional_json(passed)}}}};
}

json ExamBreakdown::to_json() const {
  json booklet_json = json::object(), subject_json = json::object();
  for (const auto& [name, tally] : booklets) booklet_json[name] = tally.to_json();
  for (const auto& [name, tally] : subjects) subject_json[name] = tally.to_json();
  return {
      {"total", total.to_json()}, {"years", years_json(years)}, {"booklets", booklet_json}, {"subjects", subject_json}};
}

json BaselineColumn::to_json() const {
  return {{"system", system}, {"label", label}, {"total", total.to_json()}, {"years", years_json(years)}};
}

json ExamSummary::to_json(bool with_items) const {
  json exceptions = json::array();
  for (const AnswerKeyException& exception : answer_key_exceptions()) exceptions.push_back(exception.note);
  json out = {
      {"benchmark", benchmark},
      {"scoring",
       {{"rule", rule_name(rule)},
        {"match", rule == PredictionRule::Paper
                      ? "prediction split on ',' and sorted, compared as strings with the sorted key (IgakuQA paper)"
                      : "letters as a set (case, width, spaces, separators normalised); numbers by value"},
        {"accuracy", "correct / questions; 0-point questions included (IgakuQA paper)"},
        {"points", "points of correct questions / points of all questions; 0-point questions add nothing"},
        {"exceptions", exceptions},
        {"required_pass", "必修 (booklets B, E) points >= 80% of possible"},
        {"kinki", "questions where a contraindicated choice (禁忌肢) was chosen"}}},
      {"all", all.to_json()},
      {"text_only", text_only.to_json()},
      {"needs_image", needs_image.to_json()}};
  if (!baselines.empty()) {
    json columns = json::array();
    for (const BaselineColumn& column : baselines) columns.push_back(column.to_json());
    out["baselines"] = columns;
  }
  if (with_items) {
    json list = json::array();
    for (const ItemScore& item : items) list.push_back(item.to_json());
    out["items"] = list;
  }
  return out;
}

namespace {

struct BreakdownBuilder {
  ExamBreakdown breakdown;
  std::map<int, YearResult> years;  // by exam number

  void add(const ItemScore& score) {
    breakdown.total.add(score);
    YearResult& year = years[score.exam];
    year.year = score.year;
    year.exam = score.exam;
    year.total.add(score);
    (score.required ? year.required : year.general).add(score);
    breakdown.booklets[fmt::format("{}{}", score.exam ? std::to_string(score.exam) : "", score.booklet)].add(score);
    breakdown.subjects[score.subject].add(score);
  }

  ExamBreakdown finish() {
    for (auto& [exam, year] : years) {
      finish_year(year);
      breakdown.years.push_back(std::move(year));
    }
    return std::move(breakdown);
  }
};

}  // namespace

ExamSummary summarize_exam(std::string benchmark, PredictionRule rule, std::vector<ItemScore> items) {
  ExamSummary summary;
  summary.benchmark = std::move(benchmark);
  summary.rule = rule;
  BreakdownBuilder all, text_only, needs_image;
  for (const ItemScore& score : items) {
    all.add(score);
    (score.text_only ? text_only : needs_image).add(score);
  }
  summary.all = all.finish();
  summary.text_only = text_only.finish();
  summary.needs_image = needs_image.finish();
  summary.items = std::move(items);
  return summary;
}

ExamSummary score_exam(const Benchmark& bench, const std::map<std::string, std::string>& predictions,
                       PredictionRule rule) {
  std::set<std::string_view> ids;
  std::vector<ItemScore> scores;
  scores.reserve(bench.items.size());
  for (const Item& item : bench.items) {
    ids.insert(item.id);
    auto it = predictions.find(item.id);
    scores.push_back(
        score_item(item, it == predictions.end() ? std::nullopt : std::optional<std::string_view>(it->second), rule));
  }
  for (const auto& [id, prediction] : predictions) {
    if (!ids.count(id))
      fail("prediction for '{}', which is not a question of {} ({})", id, bench.name, bench.description);
  }
  return summarize_exam(bench.name, rule, std::move(scores));
}

namespace {

// Three decimals of the double, as Python's "{:.3f}" prints it (the IgakuQA tables' convention:
// 205/400 = 0.5125 prints as 0.512).
std::string accuracy_text(const Tally& tally) {
  return tally.questions ? fmt::format("{:.3f}", tally.accuracy()) : "—";
}

std::string points_text(const Tally& tally) {
  return fmt::format("{}/{}", tally.points_earned, tally.points_possible);
}

std::string exam_label(const YearResult& year) {
  if (year.exam == 0) return "(no exam)";
  return year.year ? fmt::format("{} ({}th)", year.year, year.exam) : fmt::format("{}th", year.exam);
}

std::string verdict_text(const YearResult& year) {
  std::vector<std::string> failed;
  if (!year.required_pass) failed.push_back("必修");
  if (year.general_pass == false) failed.push_back("一般・臨床");
  if (year.kinki_pass == false) failed.push_back("禁忌肢");
  std::string text;
  if (year.passed == true) {
    text = "pass";
  } else if (year.passed == false) {
    text = fmt::format("fail ({})", fmt::join(failed, ", "));
  } else {
    text = "必修 pass; rest unknown";
  }
  return year.partial ? text + " *" : text;
}

const YearResult* find_year(const std::vector<YearResult>& years, int exam) {
  for (const YearResult& year : years) {
    if (year.exam == exam) return &year;
  }
  return nullptr;
}

std::string baseline_cell(const Tally* tally) {
  if (!tally || tally->questions == 0) return "—";
  return fmt::format("{} · {}", accuracy_text(*tally), points_text(*tally));
}

}  // namespace

std::string format_exam_summary_markdown(const ExamSummary& summary) {
  std::string out;
  std::string header = "| Exam | Questions | Accuracy | Points | 必修 (required) | Pass | 禁忌肢 |";
  std::string rule = "|---|---:|---:|---:|---:|---|---:|";
  for (const BaselineColumn& column : summary.baselines) {
    header += fmt::format(" {} |", column.label);
    rule += "---:|";
  }
  out += header + "\n" + rule + "\n";
  bool any_partial = false;
  for (const YearResult& year : summary.all.years) {
    any_partial = any_partial || year.partial;
    const std::string required = year.required.points_possible
                                     ? fmt::format("{:.1f}% ({}/{})", 100.0 * year.required.points_rate(),
                                                   year.required.points_earned, year.required.points_possible)
                                     : "—";
    const std::string kinki =
        year.total.kinki_data == year.total.questions ? std::to_string(year.total.kinki_questions) : "—";
    out += fmt::format("| {} | {} | {} | {} | {} | {} | {} |", exam_label(year), year.total.questions,
                       accuracy_text(year.total), points_text(year.total), required, verdict_text(year), kinki);
    for (const BaselineColumn& column : summary.baselines) {
      const YearResult* other = find_year(column.years, year.exam);
      out += fmt::format(" {} |", baseline_cell(other ? &other->total : nullptr));
    }
    out += "\n";
  }
  if (summary.all.years.size() > 1) {
    const Tally& total = summary.all.total;
    const std::string kinki = total.kinki_data == total.questions ? std::to_string(total.kinki_questions) : "—";
    out += fmt::format("| Total | {} | {} | {} | | | {} |", total.questions, accuracy_text(total), points_text(total),
                       kinki);
    for (const BaselineColumn& column : summary.baselines) out += fmt::format(" {} |", baseline_cell(&column.total));
    out += "\n";
  }

  out += "\n| Exam | Text-only questions | Accuracy | Points | Needing an image | Accuracy | Points |\n";
  out += "|---|---:|---:|---:|---:|---:|---:|\n";
  const auto split_row = [&](const std::string& label, const Tally* text, const Tally* image) {
    const Tally empty;
    const Tally& t = text ? *text : empty;
    const Tally& i = image ? *image : empty;
    out += fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", label, t.questions, accuracy_text(t), points_text(t),
                       i.questions, accuracy_text(i), points_text(i));
  };
  for (const YearResult& year : summary.all.years) {
    const YearResult* text = find_year(summary.text_only.years, year.exam);
    const YearResult* image = find_year(summary.needs_image.years, year.exam);
    split_row(exam_label(year), text ? &text->total : nullptr, image ? &image->total : nullptr);
  }
  if (summary.all.years.size() > 1) split_row("Total", &summary.text_only.total, &summary.needs_image.total);

  out += fmt::format(
      "\nScoring rule: {}. Accuracy counts every question (0-point ones included); points leave out questions MHLW "
      "excluded. Pass: 必修 ≥ 80 % of its points, the rest against MHLW's published threshold, 禁忌肢 questions within "
      "the limit.\n",
      rule_name(summary.rule));
  if (any_partial) out += "* fewer than the exam's 400 questions were scored: the verdict is indicative only.\n";
  return out;
}

bool prediction_correct(const Item& item, const std::string& prediction) {
  if (item.meta.contains("answer_mode") || find_answer_key_exception(item.id) != nullptr) {
    return score_item(item, prediction, PredictionRule::Lenient).correct;
  }
  return prediction == gold_answer(item);
}

double chance_of_guess(const Item& item) {
  if (item.choices.empty()) return 0.0;
  const size_t n = item.choices.size(), k = answers_to_pick(item);
  double ways = 1.0;  // C(n, k): exact in a double for the sizes of exam questions
  for (size_t i = 1; i <= k; ++i) ways = ways * static_cast<double>(n - k + i) / static_cast<double>(i);
  size_t accepted = 1;
  if (const AnswerKeyException* exception = find_answer_key_exception(item.id)) {
    if (exception->counts_for_everyone) return 1.0;
    if (k == 1) accepted = exception->accept_one_of.size();
  } else if (meta_string(item, "answer_mode") == "any_of" && k == 1) {
    accepted = item.answers.size();
  }
  return static_cast<double>(accepted) / ways;
}

}  // namespace medllm::eval
