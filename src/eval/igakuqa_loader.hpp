#pragma once
// IgakuQA (Japanese National Medical Licensing Examination, 医師国家試験) loaders.
//
// load_igakuqa: jungokasai/IgakuQA, the 112th–116th exams (2018–2022), 400 questions each in six
// booklets A–F. `data_root` is the shared data folder (holding igakuqa/), the IgakuQA folder
// (holding data/<year>/) or its data/ folder.
// Every question is joined with its row of <exam>-<X>_metadata.jsonl.
//   Item.id        problem id as published, e.g. "112A1"
//   Item.choices   labelled a, b, c, ... (5 normally, 6 or 8 for a few; empty: numeric answer)
//   Item.answers   the gold letters (several for "2つ選べ"/"3つ選べ"), or the number as written
//                  in the answer key (e.g. "21" for a ①.② answer of 2.1; see numeric_value)
//   Item.subject   the metadata `category` (specialty, e.g. "循環器")
//   Item.language  "ja"
//   Item.meta:
//     year, exam, booklet ("A".."F"), number (question number in the booklet)
//     points      int: 1, 3 (必修 clinical questions) or 0 (excluded from scoring by MHLW)
//     required    bool: booklets B and E are the 必修 (required) section
//     text_only   bool: false when the question refers to an image that is not in the data
//     numeric     bool: a calculation question without choices
//     n_answers   how many choices the examinee must mark (1 for "any_of" questions)
//     answer_mode "all_of" (exact set match) or "any_of" (any single listed answer is accepted:
//                 112B30, whose key reads "a or d")
//     kinki       contraindicated choices (禁忌肢), lowercase letters; kinki_reason: why
//     human_accuracy  percentage of examinees answering correctly, or null (excluded questions)
//     breakdown   percentage of examinees choosing each option (empty for numeric/excluded ones)
//     numeric questions only: answer_template (the boxes after 解答：, e.g. "①.②") and
//                 numeric_value (the number the key denotes, e.g. "2.1")
//     scoring_exception  set on 112B30 and 116A71: the official answer-key exception (the
//                 scorer applies it by id, see exam_scoring.hpp)
//     source      "file:line" of the question
//
// load_igakuqa119: docto-rin/IgakuQA119, the 119th exam (2025). `data_root` is the shared data
// folder (holding igakuqa119/) or the IgakuQA119 folder (questions/, results/correct_answers.csv).
// Same meta fields except kinki, human_accuracy and breakdown (not published); text_only =
// !has_image; points follow the exam's rule (B/E 1–25: 1, B/E 26–50: 3, other booklets: 1) with
// meta points_derived = true; 119E28 (key "ac": a or c accepted) has answer_mode "any_of".
// Question and choice texts are trimmed and the "a. " prefixes dropped. Known OCR defects of the
// source (choices merged into one string, choices left inside the stem) are repaired, each only
// when the text has exactly the known defective form (meta repaired says what was done); 119C18,
// whose stem the source lost, is kept with an empty question and meta defect.

#include <string>
#include <vector>

#include "eval/item.hpp"

namespace medllm::eval {

// The IgakuQA years (2018–2022) and the exam number of a year (2018 → 112).
const std::vector<int>& igakuqa_years();
int igakuqa_exam_of_year(int year);
int igakuqa_year_of_exam(int exam);  // 0 when the exam is not an IgakuQA year

// `years` empty = all five years. Errors name file:line:field.
Benchmark load_igakuqa(const std::string& data_root, const std::vector<int>& years = {});

Benchmark load_igakuqa119(const std::string& data_root);

// The `text_only` filter: only the questions answerable without an image (meta text_only true or
// absent); the description says how many were left out. Scores of such a subset keep the
// questions needing images out entirely (their years are marked partial).
Benchmark text_only_subset(Benchmark bench);

}  // namespace medllm::eval
