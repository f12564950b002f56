#pragma once
// The charts of the evaluation page (report/charts.hpp drawn from the eval views).

#include <string>
#include <vector>

#include "report/eval_view.hpp"

namespace medllm::report {

// Each benchmark's primary metric with its 95% interval and chance level.
std::string accuracy_chart(const std::vector<BenchView>& benches);

// Accuracy per subject (or specialty) of one benchmark, sorted, with Wilson whiskers from each
// subject's n and the benchmark's overall accuracy as a reference line.
std::string subject_chart(const BenchView& bench);

// An exam's points per year, the model beside the baselines; "" when nobody has points.
std::string points_chart(const BenchView& bench, const std::vector<BaselineView>& baselines,
                         const std::string& model_label);

// The model's required-section (必修) rate per year against the 80% pass line; "" without rates.
std::string required_chart(const BenchView& bench, const std::string& model_label);

}  // namespace medllm::report
