#include "report/eval_tables.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "report/escape.hpp"
#include "report/format.hpp"

namespace medllm::report {
namespace {

std::optional<double> as_double(std::optional<int64_t> value) {
  return value ? std::optional<double>(static_cast<double>(*value)) : std::nullopt;
}

std::string pass_text(const eval::Nullable<bool>& pass) {
  if (!pass.present || !pass.value) return std::string(kNa);
  return *pass.value ? "pass" : "fail";
}

std::vector<std::string> exam_year_cells(const std::string& key, const eval::ExamYear* year, bool detailed) {
  const auto part = [](const std::optional<eval::ExamTally>& tally) {
    return percent(tally ? tally->accuracy : std::nullopt);
  };
  if (year == nullptr) {
    std::vector<std::string> row(detailed ? 8 : 7, std::string(kNa));
    row[0] = clean_text(key);
    return row;
  }
  std::vector<std::string> row = {
      clean_text(key),      percent(year->total.accuracy),  points_text(&year->total),
      required_text(year),  pass_text(year->required_pass), count(as_double(year->kinki_chosen)),
      part(year->text_only)};
  if (detailed) row.push_back(part(year->with_images));
  return row;
}

std::string booklet_cell(const eval::ExamTally* tally) {
  if (tally == nullptr) return std::string(kNa);
  const std::string points = points_text(tally);
  return tally->accuracy && tally->points ? fmt::format("{} · {}%", points, percent(tally->accuracy)) : points;
}

}  // namespace

Table summary_table(const std::vector<BenchView>& benches, bool detailed) {
  Table table;
  if (detailed) {
    table.header = {"benchmark", "language", "n",   "primary metric (95% CI)", "acc", "acc_norm",
                    "acc_bytes", "skipped",  "time"};
    table.columns = {Column::text,   Column::text,   Column::number, Column::number, Column::number,
                     Column::number, Column::number, Column::number, Column::number};
  } else {
    table.header = {"benchmark", "n", "primary metric (95% CI)", "acc", "acc_norm", "acc_bytes"};
    table.columns = {Column::text, Column::number, Column::text, Column::number, Column::number, Column::number};
  }
  for (const BenchView& bench : benches) {
    const eval::BenchmarkResult& result = *bench.result;
    std::vector<std::string> row = {bench.name};
    if (detailed) row.push_back(bench.language.empty() ? std::string(kNa) : clean_text(bench.language));
    row.push_back(count(as_double(result.n)));
    row.push_back(bench.primary_estimate.value
                      ? bench.primary + " " + metric_text(bench.primary, bench.primary_estimate)
                      : std::string(kNa));
    for (const char* metric : {"acc", "acc_norm", "acc_bytes"}) row.push_back(percent(bench.metric(metric).value));
    if (detailed) {
      row.push_back(count(as_double(result.skipped)));
      row.push_back(duration(result.duration_s));
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

Table exam_table(const BenchView& bench, const std::vector<BaselineView>& baselines, bool detailed) {
  Table table;
  if (detailed) {
    table.header = {"year",  "accuracy",      "points",    "required (必修)",
                    "≥ 80%", "禁忌肢 chosen", "text only", "with images"};
  } else {
    table.header = {"year",          "accuracy",          "points", "required (必修)", "required ≥ 80%",
                    "禁忌肢 chosen", "text-only accuracy"};
  }
  table.columns = {Column::text, Column::number, Column::number, Column::number,
                   Column::text, Column::number, Column::number};
  if (detailed) table.columns.push_back(Column::number);
  for (const BaselineView& baseline : baselines) {
    table.header.push_back(detailed ? baseline.label : baseline.label + " points");
    table.columns.push_back(Column::number);
  }
  const eval::ExamResult& exam = *bench.result->exam;
  for (const std::string& year : exam_years(exam, baselines)) {
    std::vector<std::string> row = exam_year_cells(year, find_year(exam, year), detailed);
    for (const BaselineView& baseline : baselines) row.push_back(points_text(find_tally(baseline.years, year)));
    table.rows.push_back(std::move(row));
  }
  return table;
}

Table booklet_table(const BenchView& bench) {
  Table table;
  std::vector<const eval::ExamYear*> years;
  for (const eval::ExamYear& year : bench.result->exam->years) years.push_back(&year);
  std::stable_sort(years.begin(), years.end(),
                   [](const auto* a, const auto* b) { return year_before(a->year, b->year); });
  std::set<std::string> booklets;
  for (const eval::ExamYear* year : years) {
    for (const auto& [booklet, tally] : year->booklets) booklets.insert(booklet);
  }
  if (booklets.empty()) return table;
  table.header = {"year"};
  table.columns = {Column::text};
  for (const std::string& booklet : booklets) {
    table.header.push_back("booklet " + booklet);
    table.columns.push_back(Column::number);
  }
  for (const eval::ExamYear* year : years) {
    std::vector<std::string> row = {clean_text(year->year)};
    for (const std::string& booklet : booklets) row.push_back(booklet_cell(find_tally(&year->booklets, booklet)));
    table.rows.push_back(std::move(row));
  }
  return table;
}

Table scoring_table(const std::vector<BenchView>& benches) {
  Table table;
  table.header = {"benchmark", "prompt format", "scoring", "primary metric", "skipped", "time"};
  table.columns = {Column::text, Column::text, Column::text, Column::text, Column::number, Column::number};
  for (const BenchView& bench : benches) {
    const eval::BenchmarkResult& result = *bench.result;
    table.rows.push_back({bench.name, clean_text(result.prompt_format.value_or(std::string(kNa))),
                          clean_text(result.scoring.value_or(std::string(kNa))), clean_text(bench.primary),
                          count(as_double(result.skipped)), duration(result.duration_s)});
  }
  return table;
}

std::vector<std::string> method_notes(const eval::EvalResults& results, const std::vector<BenchView>& benches) {
  std::vector<std::string> notes;
  // The methods the benchmarks were scored with (under "auto" each benchmark's own); results from
  // before benchmarks recorded theirs fall back on the run's.
  const std::string run_method = results.config.method.value_or("");
  const auto used = [&](const char* method) {
    for (const BenchView& bench : benches) {
      if (bench.result->method.value_or(run_method) == method) return true;
    }
    return false;
  };
  if (used("loglik")) {
    notes.push_back(
        "Method loglik: each choice is scored by the log-likelihood of its continuation after the prompt; the "
        "highest wins (lm-evaluation-harness multiple-choice rules). acc: the choice with the highest summed "
        "log-likelihood; acc_norm: log-likelihood divided by the continuation's length in characters; acc_bytes: "
        "divided by its length in UTF-8 bytes.");
  }
  if (used("generate")) {
    notes.push_back(
        "Method generate: the model writes an answer, which is extracted and compared with the key as each "
        "benchmark's protocol says (see its scoring below); acc: the share answered correctly.");
  }
  if (!used("loglik") && !used("generate"))
    notes.push_back("Method: " + (run_method.empty() ? std::string(kNa) : clean_text(run_method)) + ".");
  if (const auto k = results.config.self_consistency; k && *k > 1) {
    notes.push_back(fmt::format("Self-consistency: the majority answer of {} samples per question.", *k));
  }
  notes.push_back("Accuracies are in %.");
  notes.push_back(
      "95% confidence intervals: Wilson score interval for a binomial proportion (z = 1.96) over the n scored "
      "items; per-subject whiskers are computed the same way from each subject's n and accuracy.");
  const auto any = [&](auto&& predicate) { return std::any_of(benches.begin(), benches.end(), predicate); };
  if (any([](const BenchView& b) { return !is_proportion(b.primary); })) {
    notes.push_back(
        "kappa: Cohen's kappa between the answer key and the predictions (scikit-learn's definition; linear weights "
        "for CRADE); partial_f1 / exact_f1: JMED-LLM's entity F1 per text, averaged. These are shown as they are, "
        "not in %.");
  }
  if (any([](const BenchView& b) { return b.result->chance.has_value(); }))
    notes.push_back(
        "Chance level: the mean over questions of the chance of guessing the answer (1 / C(n, k) for k of n "
        "choices), where the results give it.");
  if (any([](const BenchView& b) { return b.result->exam.has_value(); })) {
    notes.push_back(
        "Exam scoring (IgakuQA): accuracy = correct questions / all questions; a multi-answer question is right "
        "only for the exact set; points per question as the exam gives them (1, 3 for required clinical "
        "questions, 0 for dropped ones); the required section (必修) passes at ≥ 80% of its points; 禁忌肢 "
        "chosen = questions where a contraindicated choice was chosen. Baselines (GPT-4, ChatGPT, GPT-3, "
        "student majority) are the figures recorded in results.json.");
  }
  return notes;
}

}  // namespace medllm::report
