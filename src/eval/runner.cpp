#include "eval/runner.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <medllm/model.hpp>
#include <medllm/scoring.hpp>
#include <medllm/tokenizer.hpp>
#include <set>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/progress.hpp"
#include "core/sha256.hpp"
#include "eval/baseline_predictions.hpp"
#include "eval/benchmarks.hpp"
#include "eval/exam_scoring.hpp"
#include "eval/igakuqa_loader.hpp"
#include "eval/metrics.hpp"
#include "eval/prompts.hpp"
#include "eval/report.hpp"
#include "templating/chat_template.hpp"

namespace medllm::eval {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Bumped whenever prompts, tokenization or scoring change, so cached per-item results from an
// older medllm are not reused.
constexpr int kScoringVersion = 1;

std::string utc_now() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                     fmt::gmtime(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())));
}

struct Encoded {
  std::vector<int32_t> context;
  std::vector<std::vector<int32_t>> continuations;
  bool truncated = false;
};

// lm-evaluation-harness's tokenization of a (context, continuation) pair: the continuation's
// tokens are those of context + continuation after the context's own tokens; trailing spaces of
// the context move into the continuation; too long inputs lose tokens on the left.
Encoded encode_task(const Tokenizer& tokenizer, const LoglikTask& task, bool add_bos, int64_t max_positions) {
  Encoded out;
  std::string context = task.context;
  size_t spaces = 0;
  while (spaces < context.size() && context[context.size() - 1 - spaces] == ' ') ++spaces;
  const std::string moved = context.substr(context.size() - spaces);
  context.resize(context.size() - spaces);
  out.context = tokenizer.encode(context, add_bos);
  size_t longest = 0;
  for (const auto& continuation : task.continuations) {
    const std::vector<int32_t> whole = tokenizer.encode(context + moved + continuation, add_bos);
    const size_t start = std::min(out.context.size(), whole.size());
    out.continuations.emplace_back(whole.begin() + static_cast<std::ptrdiff_t>(start), whole.end());
    longest = std::max(longest, out.continuations.back().size());
  }
  const auto limit = static_cast<size_t>(max_positions);
  if (out.context.size() + longest > limit) {
    const size_t keep = limit > longest ? limit - longest : 1;
    out.context.erase(out.context.begin(),
                      out.context.end() - static_cast<std::ptrdiff_t>(std::min(keep, out.context.size())));
    out.truncated = true;
  }
  return out;
}

json loglik_sample(const std::string& benchmark, const Item& item, const LoglikTask& task, const Encoded& encoded,
                   const std::vector<ContinuationScore>& scores) {
  std::vector<double> loglik;
  std::vector<size_t> tokens;
  std::vector<bool> greedy;
  json continuation_ids = json::array();
  for (size_t c = 0; c < scores.size(); ++c) {
    const double value = scores[c].logprob();
    loglik.push_back(value);
    tokens.push_back(encoded.continuations[c].size());
    continuation_ids.push_back(encoded.continuations[c]);
    greedy.push_back(scores[c].greedy);
  }
  const std::string gold = gold_answer(item);
  const ChoicePredictions predicted = predict_choices(item, task, loglik);
  const std::string& prediction = predicted.by_loglik;
  const std::string& prediction_norm = predicted.by_characters;
  const std::string& prediction_bytes = predicted.by_bytes;
  json choices = json::array();
  for (const auto& c : item.choices) choices.push_back(c.label);
  return {{"benchmark", benchmark},
          {"id", item.id},
          {"subject", item.subject},
          {"prompt", task.context},
          {"choices", choices},
          {"continuations", task.continuations},
          {"loglik", loglik},
          {"continuation_tokens", tokens},
          {"continuation_token_ids", continuation_ids},
          {"greedy", greedy},
          {"prediction", prediction},
          {"prediction_norm", prediction_norm},
          {"prediction_bytes", prediction_bytes},
          {"gold", gold},
          {"correct", prediction == gold},
          {"correct_norm", prediction_norm == gold},
          {"correct_bytes", prediction_bytes == gold},
          {"context_tokens", encoded.context.size()},
          {"truncated", encoded.truncated}};
}

json skipped_sample(const std::string& benchmark, const Item& item, const std::string& reason) {
  return {{"benchmark", benchmark},    {"id", item.id},    {"subject", item.subject}, {"prediction", ""},
          {"gold", gold_answer(item)}, {"correct", false}, {"correct_norm", false},   {"correct_bytes", false},
          {"skipped", reason}};
}

class ResultCache {
 public:
  ResultCache(const std::string& out_dir, const std::string& benchmark, const std::string& fingerprint, bool resume) {
    if (out_dir.empty()) return;
    const fs::path dir = fs::path(out_dir) / "cache";
    fs::create_directories(dir);
    path_ = (dir / fmt::format("{}-{}.jsonl", benchmark, fingerprint.substr(0, 16))).string();
    if (resume && fs::exists(path_)) {
      std::ifstream in(path_);
      for (std::string line; std::getline(in, line);) {
        const json sample = json::parse(line, nullptr, false);
        // A line cut off by an interrupted write is ignored and recomputed.
        if (sample.is_object() && sample.contains("id")) samples_[sample["id"].get<std::string>()] = sample;
      }
    } else if (fs::exists(path_)) {
      fs::remove(path_);
    }
    out_.open(path_, std::ios::app);
    if (!out_) fail("{}: cannot write the result cache", path_);
  }
  const json* find(const std::string& id) const {
    auto it = samples_.find(id);
    return it == samples_.end() ? nullptr : &it->second;
  }
  void add(const json& sample) {
    samples_[sample["id"].get<std::string>()] = sample;
    if (out_.is_open()) {
      out_ << sample.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
      out_.flush();
    }
  }
  size_t size() const { return samples_.size(); }

 private:
  std::string path_;
  std::map<std::string, json> samples_;
  std::ofstream out_;
};

void run_loglik(const Model& model, const Tokenizer& tokenizer, const EvalOptions& options, const Benchmark& bench,
                const std::vector<const Item*>& todo, ResultCache& cache, Progress& progress) {
  Scorer scorer(model);
  const int64_t max_positions = model.config().max_position_embeddings;
  for (size_t begin = 0; begin < todo.size(); begin += static_cast<size_t>(std::max(1, options.batch_size))) {
    const size_t end = std::min(todo.size(), begin + static_cast<size_t>(std::max(1, options.batch_size)));
    std::vector<ScoreRequest> requests;
    std::vector<LoglikTask> tasks;
    std::vector<Encoded> encoded;
    std::vector<const Item*> scored;
    for (size_t i = begin; i < end; ++i) {
      const Item& item = *todo[i];
      if (item.choices.empty()) {
        cache.add(
            skipped_sample(bench.name, item, "no choices: log-likelihood scoring cannot answer numeric questions"));
        progress.advance();
        continue;
      }
      const std::vector<Item> shots = pick_shots(bench.items, item, options.shots);
      tasks.push_back(build_loglik_task(bench.name, item, shots));
      encoded.push_back(encode_task(tokenizer, tasks.back(), options.add_bos, max_positions));
      requests.push_back({encoded.back().context, encoded.back().continuations});
      scored.push_back(&item);
    }
    const auto scores = scorer.score(requests);
    for (size_t i = 0; i < scored.size(); ++i) {
      cache.add(loglik_sample(bench.name, *scored[i], tasks[i], encoded[i], scores[i]));
      progress.advance();
    }
  }
}

void run_generate(const Model& model, const Tokenizer& tokenizer, const EvalOptions& options, const Benchmark& bench,
                  const std::vector<const Item*>& todo, ResultCache& cache, Progress& progress) {
  const ChatTemplate chat = ChatTemplate::from_path(model.path());
  ChatTemplateOptions template_options;
  template_options.add_generation_prompt = true;
  for (const Item* item : todo) {
    const std::vector<Item> shots = pick_shots(bench.items, *item, options.shots);
    const std::string prompt =
        chat.render(generation_messages(*item, shots, options.chain_of_thought), template_options);
    const std::vector<int32_t> tokens = tokenizer.encode(prompt, false);
    GenerateOptions generate_options;
    generate_options.max_tokens = options.max_tokens;
    generate_options.sampling = options.sampling;
    json replies = json::array(), extracted = json::array();
    std::map<std::string, int> votes;
    std::string rule;
    std::string best;
    int best_votes = 0;
    for (int sample = 0; sample < std::max(1, options.self_consistency); ++sample) {
      generate_options.sampling.seed = options.sampling.seed + static_cast<uint64_t>(sample);
      const GenerateResult result = generate(model, tokenizer, tokens, generate_options);
      const Extraction answer = extract_answer(*item, result.text);
      replies.push_back(result.text);
      extracted.push_back(answer.answer);
      rule = answer.rule;
      // Majority vote; ties go to the answer that reached the count first.
      if (!answer.answer.empty() && ++votes[answer.answer] > best_votes) {
        best_votes = votes[answer.answer];
        best = answer.answer;
      }
    }
    const std::string gold = gold_answer(*item);
    cache.add({{"benchmark", bench.name},
               {"id", item->id},
               {"subject", item->subject},
               {"prompt", prompt},
               {"replies", replies},
               {"extracted", extracted},
               {"prediction", best},
               {"extraction_rule", rule},
               {"gold", gold},
               {"correct", best == gold},
               {"prompt_tokens", tokens.size()}});
    progress.advance();
  }
}

json summarize(const Benchmark& bench, const std::vector<json>& samples, const EvalOptions& options,
               const Item& first_item) {
  Proportion acc, acc_norm, acc_bytes;
  std::map<std::string, Proportion> per_subject;
  int64_t skipped = 0;
  for (const json& s : samples) {
    const bool correct = s.value("correct", false);
    acc.total++, acc.successes += correct;
    acc_norm.total++, acc_norm.successes += s.value("correct_norm", false);
    acc_bytes.total++, acc_bytes.successes += s.value("correct_bytes", false);
    skipped += s.contains("skipped");
    if (const std::string subject = s.value("subject", ""); !subject.empty()) {
      per_subject[subject].total++;
      per_subject[subject].successes += correct;
    }
  }
  json metrics = {{"acc", acc.to_json()}};
  if (options.method == "loglik") {
    metrics["acc_norm"] = acc_norm.to_json();
    metrics["acc_bytes"] = acc_bytes.to_json();
  }
  json subjects = json::object();
  for (const auto& [subject, p] : per_subject) subjects[subject] = {{"n", p.total}, {"acc", p.value()}};
  const PromptFormat format = loglik_format(bench.name, first_item);
  json out = {{"n", samples.size()},
              {"language", first_item.language},
              {"description", bench.description},
              {"source", bench.source},
              {"metrics", metrics},
              {"primary_metric", "acc"},
              {"per_subject", subjects},
              {"skipped", skipped}};
  if (!first_item.choices.empty()) out["chance"] = 1.0 / static_cast<double>(first_item.choices.size());
  if (options.method == "loglik") {
    out["prompt_format"] = format.name;
    out["scoring"] = format.scoring + "; acc: highest log-likelihood, acc_norm: per character, acc_bytes: per byte";
  } else {
    out["prompt_format"] =
        "chat template + instruction" + std::string(options.chain_of_thought ? " (chain of thought)" : "");
    out["scoring"] = fmt::format("exact match of the extracted answer; {} sample(s) voted", options.self_consistency);
  }
  if (!samples.empty() && samples.front().contains("prompt")) out["example_prompt"] = samples.front()["prompt"];
  return out;
}

// The exam view of IgakuQA predictions: points per year and booklet, the required section against
// its 80% threshold, 禁忌肢 chosen, and the published baselines scored the same way beside.
json tally_view(const json& tally) {
  return {{"accuracy", tally.value("accuracy", 0.0)},
          {"points", tally.value("points_earned", 0)},
          {"possible", tally.value("points_possible", 0)},
          {"questions", tally.value("questions", 0)}};
}

// The report's per-year view of an exam summary (see eval/report.hpp).
json exam_report_view(const json& summary) {
  json years = json::object();
  const auto year_entries = [&](const char* part) {
    std::map<std::string, json> out;
    for (const json& year : summary[part]["years"]) out[std::to_string(year["year"].get<int>())] = year;
    return out;
  };
  const auto text_only = year_entries("text_only");
  const auto with_images = year_entries("needs_image");
  for (const auto& [key, year] : year_entries("all")) {
    json view = tally_view(year["total"]);
    const json& required = year["required"];
    view["required_points"] = required.value("points_earned", 0);
    view["required_possible"] = required.value("points_possible", 0);
    view["required_rate"] = required.value("points_rate", 0.0);
    view["required_pass"] = view["required_possible"] == 0
                                ? json(nullptr)  // no required-section question was evaluated
                                : json(year.value("criteria", json::object()).value("required_pass", false));
    view["kinki_chosen"] = year["total"].value("kinki_questions", 0);
    view["partial"] = year.value("partial", false);
    if (text_only.contains(key)) view["text_only"] = tally_view(text_only.at(key)["total"]);
    if (with_images.contains(key)) view["with_images"] = tally_view(with_images.at(key)["total"]);
    json booklets = json::object();
    for (const auto& [name, tally] : summary["all"]["booklets"].items()) {
      if (name.rfind(std::to_string(year["exam"].get<int>()), 0) == 0) booklets[name.substr(3)] = tally_view(tally);
    }
    view["booklets"] = booklets;
    years[key] = view;
  }
  json baselines = json::object();
  for (const json& column : summary.value("baselines", json::array())) {
    json per_year = json::object();
    for (const json& year : column["years"])
      per_year[std::to_string(year["year"].get<int>())] = tally_view(year["total"]);
    baselines[column["system"].get<std::string>()] = per_year;
  }
  return {{"years", years}, {"baselines", baselines}};
}

// The exam view of IgakuQA predictions for the evaluated questions: points per year and
// booklet, the required section against its 80% threshold, 禁忌肢 chosen, and the published
// baselines scored the same way on the same questions.
json igakuqa_exam_json(const Benchmark& bench, const std::vector<json>& samples, const std::string& data_root) {
  std::map<std::string, std::string> predictions;
  for (const json& sample : samples) predictions[sample["id"].get<std::string>()] = sample.value("prediction", "");
  Benchmark evaluated = bench;
  std::erase_if(evaluated.items, [&](const Item& item) { return !predictions.contains(item.id); });
  ExamSummary summary = score_exam(evaluated, predictions, PredictionRule::Lenient);
  const fs::path baselines = fs::path(data_root) / "igakuqa" / "baseline_results";
  if (fs::exists(baselines)) {
    add_baseline_comparisons(summary, evaluated, baselines.string(), {"gpt4", "chatgpt", "gpt3", "student-majority"},
                             PredictionRule::Lenient);
  }
  json view = exam_report_view(summary.to_json(false));
  view["detail"] = summary.to_json(false);
  return view;
}

}  // namespace

json model_identity(const Model& model, bool hash) {
  const ModelConfig& config = model.config();
  int64_t parameters = 0;
  std::map<std::string, int64_t> dtype_counts;
  std::set<std::string> files;
  for (const auto& tensor : model.tensors()) {
    files.insert(tensor.file);
    if (!tensor.used) continue;
    int64_t numel = 1;
    for (int64_t d : tensor.shape) numel *= d;
    parameters += numel;
    dtype_counts[tensor.dtype] += numel;
  }
  std::string dtype;
  int64_t most = -1;
  for (const auto& [name, count] : dtype_counts) {
    if (count > most) most = count, dtype = name;
  }
  json identity = {{"path", model.path()},
                   {"format", model.format()},
                   {"model_type", config.model_type},
                   {"architecture", config.architecture},
                   {"parameters", parameters},
                   {"dtype", dtype}};
  // Weights changed at load are part of the model: without them in the identity a cached result
  // of the base model would be reused.
  std::vector<std::string> update_files;
  if (!model.checkpoint().empty()) {
    identity["checkpoint"] = model.checkpoint();
    const fs::path file = fs::is_directory(model.checkpoint()) ? fs::path(model.checkpoint()) / "model.safetensors"
                                                               : fs::path(model.checkpoint());
    update_files.push_back(file.string());
  }
  for (const auto& adapter : model.lora_adapters()) {
    identity["lora"].push_back({{"path", adapter.path}, {"scale", adapter.scale}});
    update_files.push_back((fs::path(adapter.path) / "adapter_model.safetensors").string());
  }
  if (hash) {
    // The SHA-256 of "<name> <sha256>\n" over config.json and every weight file, in name order,
    // then of the checkpoint and adapter files in load order.
    Sha256 combined;
    const fs::path config_path = fs::is_directory(model.path()) ? fs::path(model.path()) / "config.json" : fs::path();
    if (!config_path.empty() && fs::exists(config_path)) files.insert(config_path.string());
    for (const auto& file : files) combined.update(fs::path(file).filename().string() + " " + sha256_file(file) + "\n");
    for (const auto& file : update_files) combined.update("update " + sha256_file(file) + "\n");
    identity["sha256"] = combined.hex_digest();
  }
  return identity;
}

nlohmann::ordered_json run_eval(const Model& model, const Tokenizer& tokenizer, const EvalOptions& options) {
  if (options.method != "loglik" && options.method != "generate") {
    fail("unknown method '{}' (loglik, generate)", options.method);
  }
  if (options.benchmarks.empty()) fail("no benchmark given (known: {})", fmt::join(benchmark_names(), ", "));
  const auto started = std::chrono::steady_clock::now();
  // Ordered, so results.json and the reports list benchmarks in the order they were run.
  nlohmann::ordered_json results = {{"medllm_version", "0.1.0"}, {"created", utc_now()}};
  results["model"] = nlohmann::ordered_json::parse(
      model_identity(model, options.hash_model).dump(-1, ' ', false, json::error_handler_t::replace));
  results["config"] = {{"method", options.method},
                       {"shots", options.shots},
                       {"limit", options.limit > 0 ? json(options.limit) : json(nullptr)},
                       {"batch_size", options.batch_size},
                       {"threads", model.threads()},
                       {"add_bos", options.add_bos},
                       {"data_root", options.data_root},
                       {"seed", options.sampling.seed},
                       {"temperature", options.sampling.temperature},
                       {"max_tokens", options.max_tokens},
                       {"chain_of_thought", options.chain_of_thought},
                       {"self_consistency", options.self_consistency},
                       {"scoring_version", kScoringVersion}};
  // What determines a per-item result: the model, the method and its settings; not the batch
  // size, thread count, item limit or data location, which never change an item's score.
  nlohmann::ordered_json scoring_settings = results["config"];
  for (const char* key : {"batch_size", "threads", "limit", "data_root"}) scoring_settings.erase(key);
  const std::string fingerprint = sha256_hex(
      (results["model"].contains("sha256") ? results["model"]["sha256"].get<std::string>()
                                           : results["model"].dump(-1, ' ', false, json::error_handler_t::replace)) +
      scoring_settings.dump(-1, ' ', false, json::error_handler_t::replace));
  nlohmann::ordered_json benchmarks = nlohmann::ordered_json::object();
  std::vector<json> all_samples;
  for (const auto& name : options.benchmarks) {
    const auto bench_started = std::chrono::steady_clock::now();
    const Benchmark bench = name == "igakuqa" ? load_igakuqa(options.data_root, options.igakuqa_years)
                                              : load_benchmark(name, options.data_root);
    if (bench.items.empty()) fail("{}: the benchmark has no items", name);
    std::vector<const Item*> items;
    for (const Item& item : bench.items) {
      if (options.limit > 0 && static_cast<int64_t>(items.size()) >= options.limit) break;
      items.push_back(&item);
    }
    ResultCache cache(options.out_dir, name, sha256_hex(fingerprint + name), options.resume);
    std::vector<const Item*> todo;
    for (const Item* item : items) {
      if (cache.find(item->id) == nullptr) todo.push_back(item);
    }
    Progress progress(name, static_cast<int64_t>(todo.size()), "items", options.progress);
    if (options.method == "loglik") {
      run_loglik(model, tokenizer, options, bench, todo, cache, progress);
    } else {
      run_generate(model, tokenizer, options, bench, todo, cache, progress);
    }
    if (!todo.empty()) progress.finish();
    std::vector<json> samples;
    for (const Item* item : items) samples.push_back(*cache.find(item->id));
    json summary = summarize(bench, samples, options, *items.front());
    summary["duration_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - bench_started).count();
    summary["resumed_items"] = items.size() - todo.size();
    if (name == "igakuqa") summary["exam"] = igakuqa_exam_json(bench, samples, options.data_root);
    benchmarks[name] = nlohmann::ordered_json::parse(summary.dump(-1, ' ', false, json::error_handler_t::replace));
    all_samples.insert(all_samples.end(), samples.begin(), samples.end());
  }
  results["benchmarks"] = benchmarks;
  results["duration_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  if (!options.out_dir.empty()) {
    fs::create_directories(options.out_dir);
    std::string lines;
    for (const json& sample : all_samples) lines += sample.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    write_file_atomically((fs::path(options.out_dir) / "samples.jsonl").string(), lines);
    write_file_atomically((fs::path(options.out_dir) / "results.json").string(),
                          results.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
    write_reports(results, options.out_dir);
  }
  return results;
}

}  // namespace medllm::eval
