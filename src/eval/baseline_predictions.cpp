#include "eval/baseline_predictions.hpp"

#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>

#include "core/error.hpp"
#include "core/json_fields.hpp"
#include "eval/benchmarks.hpp"
#include "eval/igakuqa_loader.hpp"

namespace medllm::eval {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// "112-A_gpt4.jsonl" → "gpt4"; "" when the name does not follow the baseline pattern.
std::string system_of_file(const fs::path& path) {
  const std::string name = path.filename().string();
  const std::string suffix = ".jsonl";
  if (name.size() < 7 + suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return {};
  const bool pattern = std::isdigit(static_cast<unsigned char>(name[0])) &&
                       std::isdigit(static_cast<unsigned char>(name[1])) &&
                       std::isdigit(static_cast<unsigned char>(name[2])) && name[3] == '-' && name[4] >= 'A' &&
                       name[4] <= 'F' && name[5] == '_';
  if (!pattern) return {};
  return name.substr(6, name.size() - 6 - suffix.size());
}

void read_file_into(const std::string& path, std::vector<Prediction>& out) {
  loader::for_each_jsonl(path, [&](const json& value, const loader::Where& where) {
    const std::string at = where.str();
    Prediction prediction;
    prediction.source = at;
    prediction.problem_id = required_text(value, "problem_id", at);
    const json& answer = required_field(value, "prediction", at);
    if (answer.is_string()) {
      prediction.prediction = answer.get<std::string>();
    } else if (answer.is_number()) {
      prediction.prediction = answer.dump();
    } else {
      fail_value(field_name(at, "prediction"), "a string or a number", answer);
    }
    if (auto explanation = value.find("explanation"); explanation != value.end() && explanation->is_string()) {
      prediction.explanation = explanation->get<std::string>();
    }
    out.push_back(std::move(prediction));
  });
}

}  // namespace

const std::vector<BaselineSystem>& igakuqa_baseline_systems() {
  static const std::vector<BaselineSystem> systems = {
      {"gpt4", "GPT-4"},
      {"chatgpt", "ChatGPT"},
      {"gpt3", "GPT-3"},
      {"student-majority", "Students (majority)"},
      {"translate_chatgpt-en", "ChatGPT (EN translation)"},
  };
  return systems;
}

std::string baseline_label(const std::string& system) {
  for (const BaselineSystem& known : igakuqa_baseline_systems()) {
    if (known.name == system) return known.label;
  }
  return system;
}

std::vector<Prediction> read_baseline_predictions(const std::string& path, const std::string& system) {
  std::vector<Prediction> predictions;
  if (fs::is_directory(path)) {
    std::vector<fs::path> files;
    std::set<std::string> systems;
    for (const auto& entry : fs::recursive_directory_iterator(path)) {
      if (!entry.is_regular_file() || entry.path().extension() != ".jsonl") continue;
      files.push_back(entry.path());
      systems.insert(system_of_file(entry.path()));
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) fail("{}: no .jsonl prediction files in this directory", path);
    if (!system.empty()) {
      std::erase_if(files, [&](const fs::path& file) { return system_of_file(file) != system; });
      if (files.empty()) {
        fail("{}: no files of system '{}' (<exam>-<booklet>_{}.jsonl); systems present: {}", path, system, system,
             fmt::join(systems, ", "));
      }
    } else if (systems.size() > 1) {
      fail("{}: predictions of several systems ({}); name one (for the CLI: --system)", path, fmt::join(systems, ", "));
    }
    for (const fs::path& file : files) read_file_into(file.string(), predictions);
  } else if (fs::exists(path)) {
    read_file_into(path, predictions);
  } else {
    fail("{}: no such file or directory", path);
  }

  std::map<std::string, const Prediction*> seen;
  for (const Prediction& prediction : predictions) {
    auto [it, inserted] = seen.emplace(prediction.problem_id, &prediction);
    if (!inserted) {
      fail("{}: field 'problem_id': '{}' was already given at {}", prediction.source, prediction.problem_id,
           it->second->source);
    }
  }
  return predictions;
}

std::vector<int> igakuqa_years_of(const std::vector<Prediction>& predictions) {
  std::set<int> years;
  for (const Prediction& prediction : predictions) {
    const std::string& id = prediction.problem_id;
    const bool shape = id.size() >= 5 &&
                       std::all_of(id.begin(), id.begin() + 3, [](char c) { return c >= '0' && c <= '9'; }) &&
                       id[3] >= 'A' && id[3] <= 'F' &&
                       std::all_of(id.begin() + 4, id.end(), [](char c) { return c >= '0' && c <= '9'; });
    const int year = shape ? igakuqa_year_of_exam(std::stoi(id.substr(0, 3))) : 0;
    if (year == 0) {
      fail("{}: field 'problem_id': '{}' is not an IgakuQA question id (112A1 … 116F75, exams 112–116)",
           prediction.source, id);
    }
    years.insert(year);
  }
  return {years.begin(), years.end()};
}

ExamSummary score_predictions(const Benchmark& bench, const std::vector<Prediction>& predictions, PredictionRule rule) {
  std::set<std::string_view> ids;
  for (const Item& item : bench.items) ids.insert(item.id);
  std::map<std::string, std::string> answers;
  for (const Prediction& prediction : predictions) {
    if (!ids.count(prediction.problem_id)) {
      fail("{}: field 'problem_id': '{}' is not a question of {} ({})", prediction.source, prediction.problem_id,
           bench.name, bench.description);
    }
    answers[prediction.problem_id] = prediction.prediction;
  }
  return score_exam(bench, answers, rule);
}

void add_baseline_comparisons(ExamSummary& summary, const Benchmark& bench, const std::string& baseline_dir,
                              const std::vector<std::string>& systems, PredictionRule rule) {
  std::set<std::string_view> ids;
  for (const Item& item : bench.items) ids.insert(item.id);
  for (const std::string& system : systems) {
    std::vector<Prediction> predictions = read_baseline_predictions(baseline_dir, system);
    std::erase_if(predictions, [&](const Prediction& prediction) { return !ids.count(prediction.problem_id); });
    const ExamSummary scored = score_predictions(bench, predictions, rule);
    BaselineColumn column;
    column.system = system;
    column.label = baseline_label(system);
    column.total = scored.all.total;
    column.years = scored.all.years;
    summary.baselines.push_back(std::move(column));
  }
}

ExamSummary score_igakuqa_predictions(const std::string& predictions_path, const std::string& igakuqa_root,
                                      const PredictionScoring& options) {
  const std::vector<Prediction> predictions = read_baseline_predictions(predictions_path, options.system);
  if (predictions.empty()) fail("{}: no predictions", predictions_path);
  const std::vector<int> years = options.years.empty() ? igakuqa_years_of(predictions) : options.years;
  const Benchmark bench = load_igakuqa(igakuqa_root, years);
  ExamSummary summary = score_predictions(bench, predictions, options.rule);
  if (!options.compare_with.empty()) {
    const std::string baseline_dir =
        options.baseline_dir.empty() ? (fs::path(igakuqa_root) / "baseline_results").string() : options.baseline_dir;
    add_baseline_comparisons(summary, bench, baseline_dir, options.compare_with, options.rule);
  }
  return summary;
}

}  // namespace medllm::eval
