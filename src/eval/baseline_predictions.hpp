#pragma once
// Predictions in the IgakuQA baseline format, and `medllm eval --score-predictions FILE --bench
// igakuqa`: scoring another system's answers (an API model, a person) with the exam rules.
//
// Format (jungokasai/IgakuQA baseline_results): JSON Lines, one object per question,
//   {"problem_id": "112A1", "prediction": "e", "explanation": "..."}
// `prediction` holds the answer letters, comma-separated for several ("b,c"), or the number for
// a calculation question; `explanation` is optional. A file may hold one booklet or many; a
// directory is read recursively (*.jsonl, in path order).

#include <string>
#include <vector>

#include "eval/exam_scoring.hpp"
#include "eval/item.hpp"

namespace medllm::eval {

struct Prediction {
  std::string problem_id;
  std::string prediction;
  std::string explanation;
  std::string source;  // "file:line"
};

// The systems published with IgakuQA (file suffix _<name>.jsonl) and their display labels:
// gpt4, chatgpt, gpt3, student-majority, translate_chatgpt-en.
struct BaselineSystem {
  std::string name;
  std::string label;
};
const std::vector<BaselineSystem>& igakuqa_baseline_systems();
std::string baseline_label(const std::string& system);  // the label, or the name itself

// Reads a file, or every *.jsonl under a directory. Files named like the baselines
// (<exam>-<X>_<system>.jsonl) carry a system name: `system` keeps only that system's files, and
// a directory with several systems and no `system` is an Error listing them. A problem_id given
// twice is an Error naming both places; so is a line without problem_id or prediction.
std::vector<Prediction> read_baseline_predictions(const std::string& path, const std::string& system = "");

// The IgakuQA years (2018–2022) the predictions' ids belong to, sorted. An id that is not an
// IgakuQA question id ("112A1") of those exams is an Error naming its file:line.
std::vector<int> igakuqa_years_of(const std::vector<Prediction>& predictions);

struct PredictionScoring {
  PredictionRule rule = PredictionRule::Paper;  // paper: reproduces the published numbers
  std::string system;                           // for a directory holding several systems
  std::vector<int> years;                       // empty: the years of the ids present
  std::vector<std::string> compare_with;        // baseline systems to put beside, e.g. gpt4
  std::string baseline_dir;                     // default: <igakuqa_root>/baseline_results
};

// Scores the predictions at `predictions_path` against load_igakuqa(igakuqa_root, years): every
// question of those years counts (one without a prediction is wrong and counted as missing); a
// prediction for a question outside them is an Error.
ExamSummary score_igakuqa_predictions(const std::string& predictions_path, const std::string& igakuqa_root,
                                      const PredictionScoring& options = {});

// Scores predictions (any source) against a benchmark: unknown ids are Errors naming file:line.
ExamSummary score_predictions(const Benchmark& bench, const std::vector<Prediction>& predictions, PredictionRule rule);

// Adds a comparison column per system: its baseline predictions (from `baseline_dir`) scored on
// the same questions as `bench`, with the same rule.
void add_baseline_comparisons(ExamSummary& summary, const Benchmark& bench, const std::string& baseline_dir,
                              const std::vector<std::string>& systems, PredictionRule rule);

}  // namespace medllm::eval
