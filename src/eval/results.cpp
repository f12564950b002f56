#include "eval/results.hpp"

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/error.hpp"
#include "eval/exam_scoring.hpp"
#include "eval/lm_eval_view.hpp"
#include "eval/metrics.hpp"

namespace medllm::eval {
namespace {

using Json = nlohmann::ordered_json;

// ---- Lenient reading: a field of the wrong type reads as absent (see results.hpp).

// The member `key` of `object`; nullptr when object is not an object, or the member is absent or null.
const Json* member(const Json* object, std::string_view key) {
  if (object == nullptr || !object->is_object()) return nullptr;
  const auto it = object->find(std::string(key));
  return it == object->end() || it->is_null() ? nullptr : &*it;
}

const Json* object_member(const Json* object, std::string_view key) {
  const Json* value = member(object, key);
  return value != nullptr && value->is_object() ? value : nullptr;
}

void read_value(const Json& value, std::optional<std::string>& out) {
  if (value.is_string()) out = value.get<std::string>();
}

void read_value(const Json& value, std::optional<bool>& out) {
  if (value.is_boolean()) out = value.get<bool>();
}

void read_value(const Json& value, std::optional<double>& out) {
  if (value.is_number() && std::isfinite(value.get<double>())) out = value.get<double>();
}

// Integers, or floats holding a whole number (a hand-written 1273.0).
void read_value(const Json& value, std::optional<int64_t>& out) {
  if (value.is_number_unsigned()) {
    if (value.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      out = static_cast<int64_t>(value.get<uint64_t>());
  } else if (value.is_number_integer()) {
    out = value.get<int64_t>();
  } else if (value.is_number_float()) {
    const double number = value.get<double>();
    if (std::isfinite(number) && std::floor(number) == number && std::fabs(number) < 9e15)
      out = static_cast<int64_t>(number);
  }
}

void read_value(const Json& value, std::optional<uint64_t>& out) {
  if (value.is_number_unsigned()) {
    out = value.get<uint64_t>();
    return;
  }
  std::optional<int64_t> number;
  read_value(value, number);
  if (number && *number >= 0) out = static_cast<uint64_t>(*number);
}

void read_value(const Json& value, std::vector<AdapterIdentity>& out) {
  if (!value.is_array()) return;
  for (const Json& entry : value) {
    std::optional<std::string> path;
    std::optional<double> scale;
    if (const Json* p = member(&entry, "path")) read_value(*p, path);
    if (const Json* s = member(&entry, "scale")) read_value(*s, scale);
    if (path) out.push_back({*path, scale.value_or(1.0)});
  }
}

template <class T>
void read_field(const Json* object, std::string_view key, T& out) {
  if (const Json* value = member(object, key)) read_value(*value, out);
}

template <class T>
void read_field(const Json* object, std::string_view key, Nullable<T>& out) {
  if (object == nullptr || !object->is_object() || !object->contains(std::string(key))) return;
  const Json& value = object->at(std::string(key));
  out.present = true;
  if (!value.is_null()) read_value(value, out.value);
  if (!value.is_null() && !out.value) out.present = false;  // of another type: absent
}

// ---- Writing: absent fields are left out.

template <class T>
void write_field(Json& object, std::string_view key, const std::optional<T>& value) {
  if (value) object[std::string(key)] = *value;
}

template <class T>
void write_field(Json& object, std::string_view key, const Nullable<T>& value) {
  if (value.present) object[std::string(key)] = value.value ? Json(*value.value) : Json(nullptr);
}

void write_field(Json& object, std::string_view key, const std::vector<AdapterIdentity>& adapters) {
  if (adapters.empty()) return;
  Json list = Json::array();
  for (const AdapterIdentity& adapter : adapters) list.push_back({{"path", adapter.path}, {"scale", adapter.scale}});
  object[std::string(key)] = list;
}

template <class Record>
Json record_to_json(const Record& record) {
  Json out = Json::object();
  Record::visit(record, [&](std::string_view key, const auto& field) { write_field(out, key, field); });
  return out;
}

template <class Record>
Record record_from_json(const Json* object) {
  Record record;
  Record::visit(record, [&](std::string_view key, auto& field) { read_field(object, key, field); });
  return record;
}

// ---- Exam.

Json tally_to_json(const ExamTally& tally) {
  Json out = Json::object();
  write_field(out, "accuracy", tally.accuracy);
  write_field(out, "points", tally.points);
  write_field(out, "possible", tally.possible);
  write_field(out, "questions", tally.questions);
  return out;
}

ExamTally tally_from_json(const Json* object) {
  ExamTally tally;
  read_field(object, "accuracy", tally.accuracy);
  read_field(object, "points", tally.points);
  read_field(object, "possible", tally.possible);
  read_field(object, "questions", tally.questions);
  return tally;
}

Json tallies_to_json(const std::vector<std::pair<std::string, ExamTally>>& tallies) {
  Json out = Json::object();
  for (const auto& [name, tally] : tallies) out[name] = tally_to_json(tally);
  return out;
}

// Entries that are not objects carry no tally and are left out.
std::vector<std::pair<std::string, ExamTally>> tallies_from_json(const Json* object) {
  std::vector<std::pair<std::string, ExamTally>> out;
  if (object == nullptr || !object->is_object()) return out;
  for (auto it = object->begin(); it != object->end(); ++it) {
    if (it->is_object()) out.emplace_back(it.key(), tally_from_json(&*it));
  }
  return out;
}

}  // namespace

namespace {

Json year_to_json(const ExamYear& year) {
  Json out = tally_to_json(year.total);
  write_field(out, "required_points", year.required_points);
  write_field(out, "required_possible", year.required_possible);
  write_field(out, "required_rate", year.required_rate);
  write_field(out, "required_pass", year.required_pass);
  write_field(out, "kinki_chosen", year.kinki_chosen);
  write_field(out, "partial", year.partial);
  if (year.text_only) out["text_only"] = tally_to_json(*year.text_only);
  if (year.with_images) out["with_images"] = tally_to_json(*year.with_images);
  out["booklets"] = tallies_to_json(year.booklets);
  return out;
}

ExamYear year_from_json(const std::string& key, const Json* object) {
  ExamYear year{.year = key, .total = tally_from_json(object)};
  read_field(object, "required_points", year.required_points);
  read_field(object, "required_possible", year.required_possible);
  read_field(object, "required_rate", year.required_rate);
  read_field(object, "required_pass", year.required_pass);
  if (const Json* kinki = member(object, "kinki_chosen"); kinki != nullptr && kinki->is_array()) {
    year.kinki_chosen = static_cast<int64_t>(kinki->size());  // older files: the questions themselves
  } else {
    read_field(object, "kinki_chosen", year.kinki_chosen);
  }
  read_field(object, "partial", year.partial);
  if (const Json* part = object_member(object, "text_only")) year.text_only = tally_from_json(part);
  if (const Json* part = object_member(object, "with_images")) year.with_images = tally_from_json(part);
  year.booklets = tallies_from_json(object_member(object, "booklets"));
  return year;
}

// system -> year map, or {"label", "years"} when the baseline has a label.
Json baselines_to_json(const std::vector<ExamBaseline>& baselines) {
  Json out = Json::object();
  for (const ExamBaseline& baseline : baselines) {
    const Json years = tallies_to_json(baseline.years);
    out[baseline.system] = baseline.label ? Json{{"label", *baseline.label}, {"years", years}} : years;
  }
  return out;
}

ExamBaseline baseline_from_json(std::string system, const Json& value) {
  ExamBaseline baseline{.system = std::move(system)};
  read_field(&value, "label", baseline.label);
  baseline.years = tallies_from_json(value.contains("years") ? object_member(&value, "years") : &value);
  return baseline;
}

// An object (system -> years) or, in older files, a list of {system, label, years}.
std::vector<ExamBaseline> baselines_from_json(const Json* baselines) {
  std::vector<ExamBaseline> out;
  if (baselines != nullptr && baselines->is_object()) {
    for (auto it = baselines->begin(); it != baselines->end(); ++it) {
      if (it->is_object()) out.push_back(baseline_from_json(it.key(), *it));
    }
  } else if (baselines != nullptr && baselines->is_array()) {
    for (const Json& entry : *baselines) {
      std::optional<std::string> system;
      read_field(&entry, "system", system);
      if (!system) read_field(&entry, "label", system);
      if (system) out.push_back(baseline_from_json(*system, entry));
    }
  }
  return out;
}

Json exam_to_json(const ExamResult& exam) {
  Json years = Json::object();
  for (const ExamYear& year : exam.years) years[year.year] = year_to_json(year);
  Json out = {{"years", years}, {"baselines", baselines_to_json(exam.baselines)}};
  if (!exam.detail.is_null()) out["detail"] = Json(exam.detail);
  return out;
}

ExamResult exam_from_json(const Json* object) {
  ExamResult exam;
  if (const Json* years = object_member(object, "years")) {
    for (auto it = years->begin(); it != years->end(); ++it) exam.years.push_back(year_from_json(it.key(), &*it));
  }
  exam.baselines = baselines_from_json(member(object, "baselines"));
  if (const Json* detail = member(object, "detail")) exam.detail = nlohmann::json(*detail);
  return exam;
}

// ---- Benchmarks.

Json estimate_to_json(const Estimate& estimate) {
  Json out = Json::object();
  write_field(out, "value", estimate.value);
  if (estimate.low && estimate.high) out["ci95"] = {*estimate.low, *estimate.high};
  write_field(out, "correct", estimate.correct);
  write_field(out, "n", estimate.n);
  return out;
}

// {"value", "ci95", ...}, or a bare number (older files).
Estimate estimate_from_json(const Json& value) {
  Estimate estimate;
  if (value.is_number()) {
    read_value(value, estimate.value);
    return estimate;
  }
  read_field(&value, "value", estimate.value);
  const Json* ci = member(&value, "ci95");
  if (ci != nullptr && ci->is_array() && ci->size() == 2) {
    std::optional<double> a, b;
    read_value((*ci)[0], a), read_value((*ci)[1], b);
    if (a && b) estimate.low = std::min(*a, *b), estimate.high = std::max(*a, *b);
  }
  read_field(&value, "correct", estimate.correct);
  read_field(&value, "n", estimate.n);
  return estimate;
}

Json subjects_to_json(const std::vector<SubjectResult>& subjects) {
  Json out = Json::object();
  for (const SubjectResult& subject : subjects) {
    Json entry = Json::object();
    write_field(entry, "n", subject.n);
    write_field(entry, "acc", subject.accuracy);
    out[subject.name] = entry;
  }
  return out;
}

// name -> {"n", "acc"} (or "accuracy"), or name -> accuracy.
std::vector<SubjectResult> subjects_from_json(const Json* object) {
  std::vector<SubjectResult> out;
  if (object == nullptr || !object->is_object()) return out;
  for (auto it = object->begin(); it != object->end(); ++it) {
    SubjectResult subject{.name = it.key()};
    read_value(*it, subject.accuracy);
    read_field(&*it, "n", subject.n);
    if (!subject.accuracy) read_field(&*it, "acc", subject.accuracy);
    if (!subject.accuracy) read_field(&*it, "accuracy", subject.accuracy);
    out.push_back(std::move(subject));
  }
  return out;
}

Json benchmark_to_json(const BenchmarkResult& bench) {
  Json out = Json::object();
  write_field(out, "n", bench.n);
  write_field(out, "items_total", bench.items_total);
  write_field(out, "language", bench.language);
  write_field(out, "description", bench.description);
  write_field(out, "source", bench.source);
  write_field(out, "method", bench.method);
  Json metrics = Json::object();
  for (const auto& [name, estimate] : bench.metrics) metrics[name] = estimate_to_json(estimate);
  out["metrics"] = metrics;
  write_field(out, "primary_metric", bench.primary_metric);
  out["per_subject"] = subjects_to_json(bench.per_subject);
  write_field(out, "skipped", bench.skipped);
  write_field(out, "chance", bench.chance);
  write_field(out, "prompt_format", bench.prompt_format);
  write_field(out, "scoring", bench.scoring);
  write_field(out, "example_prompt", bench.example_prompt);
  write_field(out, "duration_s", bench.duration_s);
  write_field(out, "resumed_items", bench.resumed_items);
  if (bench.exam) out["exam"] = exam_to_json(*bench.exam);
  return out;
}

BenchmarkResult benchmark_from_json(const std::string& name, const Json* object) {
  BenchmarkResult bench{.name = name};
  read_field(object, "n", bench.n);
  read_field(object, "items_total", bench.items_total);
  read_field(object, "language", bench.language);
  read_field(object, "description", bench.description);
  read_field(object, "source", bench.source);
  read_field(object, "method", bench.method);
  if (const Json* metrics = object_member(object, "metrics")) {
    for (auto it = metrics->begin(); it != metrics->end(); ++it)
      bench.metrics.emplace_back(it.key(), estimate_from_json(*it));
  }
  read_field(object, "primary_metric", bench.primary_metric);
  bench.per_subject = subjects_from_json(object_member(object, "per_subject"));
  read_field(object, "skipped", bench.skipped);
  read_field(object, "chance", bench.chance);
  std::optional<double> choices;
  read_field(object, "num_choices", choices);  // older files
  if (!bench.chance && choices && *choices >= 1) bench.chance = 1 / *choices;
  read_field(object, "prompt_format", bench.prompt_format);
  read_field(object, "scoring", bench.scoring);
  read_field(object, "example_prompt", bench.example_prompt);
  read_field(object, "duration_s", bench.duration_s);
  read_field(object, "resumed_items", bench.resumed_items);
  if (const Json* exam = object_member(object, "exam")) bench.exam = exam_from_json(exam);
  return bench;
}

const Json& benchmarks_of(const Json& document) {
  if (!document.is_object()) fail("results: expected a JSON object, got {}", document.type_name());
  const Json* benchmarks = member(&document, "benchmarks");
  if (benchmarks == nullptr) fail("results: missing the required field \"benchmarks\"");
  if (!benchmarks->is_object()) {
    fail("results: field \"benchmarks\": expected an object (name -> result), got {}", benchmarks->type_name());
  }
  return *benchmarks;
}

ExamTally tally_of(const Tally& tally) {
  return {.accuracy = tally.accuracy(),
          .points = tally.points_earned,
          .possible = tally.points_possible,
          .questions = tally.questions};
}

// The years of one population of items (text only, needing an image), by year.
std::optional<ExamTally> tally_of_year(const ExamBreakdown& part, int year) {
  for (const YearResult& result : part.years) {
    if (result.year == year) return tally_of(result.total);
  }
  return std::nullopt;
}

ExamYear year_of(const ExamSummary& summary, const YearResult& result) {
  ExamYear year{.year = std::to_string(result.year), .total = tally_of(result.total)};
  year.required_points = result.required.points_earned;
  year.required_possible = result.required.points_possible;
  year.required_rate = result.required.points_rate();
  // No required-section question evaluated: no verdict.
  year.required_pass =
      result.required.points_possible == 0 ? Nullable<bool>::none() : Nullable<bool>::of(result.required_pass);
  year.kinki_chosen = result.total.kinki_questions;
  year.partial = result.partial;
  year.text_only = tally_of_year(summary.text_only, result.year);
  year.with_images = tally_of_year(summary.needs_image, result.year);
  const std::string exam = std::to_string(result.exam);
  for (const auto& [name, tally] : summary.all.booklets) {
    if (name.starts_with(exam)) year.booklets.emplace_back(name.substr(exam.size()), tally_of(tally));
  }
  return year;
}

}  // namespace

Estimate Estimate::of(const Proportion& proportion) {
  const auto [low, high] = proportion.wilson95();
  return {
      .value = proportion.value(), .low = low, .high = high, .correct = proportion.successes, .n = proportion.total};
}

const Estimate* BenchmarkResult::metric(std::string_view metric_name) const {
  for (const auto& [key, estimate] : metrics) {
    if (key == metric_name) return &estimate;
  }
  return nullptr;
}

ExamResult exam_result(const ExamSummary& summary) {
  ExamResult exam;
  for (const YearResult& year : summary.all.years) exam.years.push_back(year_of(summary, year));
  for (const BaselineColumn& column : summary.baselines) {
    ExamBaseline baseline{.system = column.system, .label = column.label};
    for (const YearResult& year : column.years)
      baseline.years.emplace_back(std::to_string(year.year), tally_of(year.total));
    exam.baselines.push_back(std::move(baseline));
  }
  exam.detail = summary.to_json(false);
  return exam;
}

nlohmann::ordered_json to_json(const ModelIdentity& model) {
  return record_to_json(model);
}

nlohmann::ordered_json to_json(const EvalConfig& config) {
  return record_to_json(config);
}

nlohmann::ordered_json to_json(const EvalResults& results) {
  Json out = Json::object();
  write_field(out, "medllm_version", results.medllm_version);
  write_field(out, "created", results.created);
  out["model"] = to_json(results.model);
  out["config"] = to_json(results.config);
  Json benchmarks = Json::object();
  for (const BenchmarkResult& bench : results.benchmarks) benchmarks[bench.name] = benchmark_to_json(bench);
  out["benchmarks"] = benchmarks;
  if (!results.groups.empty()) out["benchmark_groups"] = results.groups;
  write_field(out, "duration_s", results.duration_s);
  // lm-eval's own keys, derived from the fields above (a reader of medllm's fields ignores them).
  const Json lm_eval = lm_eval_view(results);
  for (const auto& [key, value] : lm_eval.items()) out[key] = value;
  out["config"]["model"] = "medllm";
  out["config"]["model_args"] = results.model.path ? "pretrained=" + *results.model.path : "";
  return out;
}

EvalResults results_from_json(const nlohmann::ordered_json& document) {
  const Json& benchmarks = benchmarks_of(document);
  EvalResults results;
  read_field(&document, "medllm_version", results.medllm_version);
  read_field(&document, "created", results.created);
  results.model = record_from_json<ModelIdentity>(object_member(&document, "model"));
  results.config = record_from_json<EvalConfig>(object_member(&document, "config"));
  for (auto it = benchmarks.begin(); it != benchmarks.end(); ++it)
    results.benchmarks.push_back(benchmark_from_json(it.key(), &*it));
  if (const Json* groups = member(&document, "benchmark_groups"); groups != nullptr && groups->is_array()) {
    for (const Json& group : *groups) {
      if (group.is_string()) results.groups.push_back(group.get<std::string>());
    }
  }
  read_field(&document, "duration_s", results.duration_s);
  return results;
}

EvalResults results_from_json(const nlohmann::json& document) {
  return results_from_json(Json(document));
}

EvalResults read_results_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot open {}", path);
  std::ostringstream text;
  text << in.rdbuf();
  return with_context(path, [&] {
    Json document;
    try {
      document = Json::parse(text.str());
    } catch (const nlohmann::json::exception& e) {
      fail("not valid JSON: {}", e.what());
    }
    return results_from_json(document);
  });
}

}  // namespace medllm::eval
