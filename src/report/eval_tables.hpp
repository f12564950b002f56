#pragma once
// The tables and notes of the evaluation pages, built once from the views and rendered by both
// summary.md and report.html (report/table.hpp).

#include <string>
#include <vector>

#include "report/eval_view.hpp"
#include "report/table.hpp"

namespace medllm::report {

// detailed: the HTML versions (more columns, shorter headings explained in a note under them).
Table summary_table(const std::vector<BenchView>& benches, bool detailed);
Table exam_table(const BenchView& bench, const std::vector<BaselineView>& baselines, bool detailed);
Table booklet_table(const BenchView& bench);  // no rows when no year has booklets
Table scoring_table(const std::vector<BenchView>& benches);

// How the numbers were computed: the method, the metrics, the intervals, chance and exam rules.
std::vector<std::string> method_notes(const eval::EvalResults& results, const std::vector<BenchView>& benches);

}  // namespace medllm::report
