#pragma once
// Scoring a licensing exam the way the exam is scored (IgakuQA; ../shared/DESIGN.md "Evaluation
// semantics"): exact set match for multi-answer questions, numeric answers, per-question points
// (0-point questions are excluded from both earned and possible points), the official answer-key
// exceptions, contraindicated choices (禁忌肢) chosen, and per-year / per-booklet / per-specialty
// totals with the MHLW pass criteria, everything also split by text_only.
//
// Accuracy is the IgakuQA paper's: correct / questions over every question, 0-point ones included
// (jungokasai/IgakuQA scripts/evaluate_main.py). Items are read through their `meta` as
// load_igakuqa / load_igakuqa119 fill it (year, exam, booklet, points, required, text_only,
// numeric, kinki, answer_mode, numeric_value); absent fields mean: points 1, not required,
// text_only true, no kinki data.

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eval/item.hpp"

namespace medllm::eval {

// How a prediction string is compared with the key.
enum class PredictionRule {
  // The paper's scorer, byte for byte: prediction.split(','), sorted, compared as strings with the
  // sorted key (no trimming, so "b, c" is wrong). Reproduces the published IgakuQA numbers.
  Paper,
  // parse_prediction's reading: case, full-width forms, spaces and separators normalised
  // ("b, c" = "C,B" = "bc"), numbers compared by value ("7.2" = "7.20").
  Lenient,
};
std::string_view rule_name(PredictionRule rule);        // "paper" / "lenient"
PredictionRule parse_rule_name(std::string_view name);  // Error for anything else

// Full-width ASCII forms (U+FF01..U+FF5E) and the ideographic space folded to ASCII.
std::string fold_fullwidth(std::string_view text);

// A decimal written plainly ("007.20", "26", ".5") in canonical form ("7.2", "26", "0.5");
// empty when the text is not such a number.
std::string canonical_decimal(std::string_view text);

// The lenient reading of a prediction string ("b,c", "C", "b, c", "26", " e ", "bd", "(a)",
// "1,130"). Free text ("the answer is b") is not read: extracting an answer from a generation is
// the prompt format's job, not the scorer's.
struct ParsedAnswer {
  enum class Kind { None, Letters, Number };
  Kind kind = Kind::None;
  std::vector<std::string> letters;  // sorted, unique, lowercase
  std::string number;                // canonical decimal
  std::string number_text;           // the number as written (thousands separators removed)
  // letters, or {number}, or {} when nothing could be read
  std::vector<std::string> normalized() const;
};
ParsedAnswer parse_prediction(std::string_view text);

// One official answer-key exception (keyed by problem id; applied whatever the item's answers).
struct AnswerKeyException {
  std::string id;
  bool counts_for_everyone = false;        // every examinee gets the question right
  std::vector<std::string> accept_one_of;  // any single one of these letters is correct
  std::string note;                        // where it comes from
};
// 116A71 (counts for everyone), 112B30 (a or d), 119E28 (a or c).
const std::vector<AnswerKeyException>& answer_key_exceptions();
const AnswerKeyException* find_answer_key_exception(std::string_view id);

struct ItemScore {
  std::string id;
  int year = 0;
  int exam = 0;
  std::string booklet;  // "A".."F"; empty when the item has none
  std::string subject;
  bool required = false;
  bool text_only = true;
  bool numeric = false;
  bool has_prediction = false;       // a prediction was given for this item
  std::string prediction;            // as given
  std::vector<std::string> parsed;   // the lenient reading (letters or the number); empty: unreadable
  std::vector<std::string> answers;  // the key
  bool correct = false;
  int points = 1;                         // the question's points; 0 = excluded from scoring
  int points_earned = 0;                  // points if correct, else 0
  bool kinki_known = false;               // the item carries 禁忌肢 data
  std::vector<std::string> kinki_chosen;  // contraindicated choices among `parsed`
  std::string exception;                  // the answer-key exception that decided it, if any
  nlohmann::json to_json() const;
};

// `prediction` absent = no prediction for this item (wrong, except where the key counts the
// question for everyone). The contraindicated choices are read with the lenient reading under
// either rule (the paper did not count them).
ItemScore score_item(const Item& item, std::optional<std::string_view> prediction, PredictionRule rule);

// Whether a benchmark prediction is right (the `acc` of every benchmark): for items with an answer
// key of their own (IgakuQA: meta answer_mode, the answer-key exceptions) as score_item's lenient
// reading scores them (so the exceptions count, as in the IgakuQA paper's accuracy); otherwise the
// prediction equals gold_answer.
bool prediction_correct(const Item& item, const std::string& prediction);
// The chance that answers_to_pick(item) of its choices picked at random are right as
// prediction_correct scores them: 1 / C(n, k), the alternatives' count / n for an "a or d"
// question, 1 for a question counted correct for everyone. 0 for an item without choices.
double chance_of_guess(const Item& item);

// Sums over a set of scored items.
struct Tally {
  int questions = 0;
  int correct = 0;
  int missing = 0;           // no prediction given
  int unreadable = 0;        // a prediction was given but the lenient reading found no answer
  int scored_questions = 0;  // points > 0
  int scored_correct = 0;
  int points_earned = 0;
  int points_possible = 0;
  int kinki_data = 0;       // questions carrying 禁忌肢 data
  int kinki_questions = 0;  // questions where at least one contraindicated choice was chosen
  int kinki_choices = 0;    // contraindicated choices chosen, in total
  void add(const ItemScore& score);
  double accuracy() const;     // correct / questions (0 when empty)
  double points_rate() const;  // points_earned / points_possible (0 when none possible)
  nlohmann::json to_json() const;
};

// The official MHLW pass criteria of one exam (合格基準), from the published announcements.
struct PassCriteria {
  int exam = 0;
  int required_points = 0;       // 必修 points possible after exclusions (pass: 80 % of them)
  int general_threshold = 0;     // 必修以外 (一般+臨床) points needed ...
  int general_points = 0;        // ... out of these
  std::optional<int> kinki_max;  // most 禁忌肢 questions allowed; nullopt where not found
};
// 112–116 and 119; nullptr for other exams.
const PassCriteria* official_pass_criteria(int exam);

// One exam (year) within one population of items.
struct YearResult {
  int year = 0;
  int exam = 0;
  Tally total;
  Tally required;  // 必修: booklets B and E
  Tally general;   // everything else (一般 + 臨床)
  // 必修 passes with at least 80 % of its possible points (MHLW: "総点数の80%以上").
  int required_threshold = 0;  // ceil(0.8 × required.points_possible)
  bool required_pass = false;
  // Against the official criteria when known; for a partial exam the thresholds are scaled to
  // the points present (same rate), and the verdict is indicative only.
  std::optional<int> general_threshold;
  std::optional<bool> general_pass;
  std::optional<int> kinki_max;
  std::optional<bool> kinki_pass;  // needs the kinki data (IgakuQA 2018–2022 has it)
  // false if any known criterion fails; true only when all three are known and pass.
  std::optional<bool> passed;
  bool partial = false;  // fewer than 400 questions of this exam were scored
  nlohmann::json to_json() const;
};

// One population of items (all, text-only, or those needing an image).
struct ExamBreakdown {
  Tally total;
  std::vector<YearResult> years;          // by year
  std::map<std::string, Tally> booklets;  // "112A", ...
  std::map<std::string, Tally> subjects;  // specialty
  nlohmann::json to_json() const;
};

// Another system's results on the same items, for comparison columns.
struct BaselineColumn {
  std::string system;  // "gpt4", "student-majority", ...
  std::string label;   // "GPT-4", "Students (majority)", ...
  Tally total;
  std::vector<YearResult> years;
  nlohmann::json to_json() const;
};

struct ExamSummary {
  std::string benchmark;  // "igakuqa", "igakuqa119"
  PredictionRule rule = PredictionRule::Paper;
  ExamBreakdown all;
  ExamBreakdown text_only;    // questions answerable from the text
  ExamBreakdown needs_image;  // questions referring to an image that is not in the data
  std::vector<ItemScore> items;
  std::vector<BaselineColumn> baselines;
  // Everything, with the scoring rule written in; items only when asked.
  nlohmann::json to_json(bool with_items = true) const;
};

ExamSummary summarize_exam(std::string benchmark, PredictionRule rule, std::vector<ItemScore> items);

// Scores every item of `bench` (an item absent from `predictions` counts as missing). A
// prediction whose id is not in the benchmark is an Error.
ExamSummary score_exam(const Benchmark& bench, const std::map<std::string, std::string>& predictions,
                       PredictionRule rule);

// The result as a Markdown table: one row per year (accuracy, points/possible, 必修 %, pass/fail,
// 禁忌肢 count, then each baseline's accuracy and points), a total row, and the text-only /
// needs-image split.
std::string format_exam_summary_markdown(const ExamSummary& summary);

}  // namespace medllm::eval
