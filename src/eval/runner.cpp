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
#include <optional>
#include <set>
#include <span>

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
#include "eval/results.hpp"
#include "templating/chat_template.hpp"

namespace medllm::eval {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Bumped whenever prompts, tokenization or scoring change, so cached per-item results from an
// older medllm are not reused. 2: pubmedqa_hard's template; IgakuQA's acc by its answer key; MMLU
// questions stripped as lm-eval strips them; shots from the dev split.
constexpr int kScoringVersion = 2;

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
          {"correct", prediction_correct(item, prediction)},
          {"correct_norm", prediction_correct(item, prediction_norm)},
          {"correct_bytes", prediction_correct(item, prediction_bytes)},
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
      const std::vector<Item> shots = pick_shots(bench, item, options.shots);
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
    const std::vector<Item> shots = pick_shots(bench, *item, options.shots);
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
               {"correct", prediction_correct(*item, best)},
               {"prompt_tokens", tokens.size()}});
    progress.advance();
  }
}

// The scoring record of a benchmark: which prompt format and how answers are scored.
void describe_scoring(BenchmarkResult& out, const std::string& benchmark, const Item& first_item,
                      const EvalOptions& options) {
  if (options.method == "loglik") {
    const PromptFormat format = loglik_format(benchmark, first_item);
    out.prompt_format = format.name;
    out.scoring = format.scoring + "; acc: highest log-likelihood, acc_norm: per character, acc_bytes: per byte";
  } else {
    out.prompt_format =
        "chat template + instruction" + std::string(options.chain_of_thought ? " (chain of thought)" : "");
    out.scoring = fmt::format("exact match of the extracted answer; {} sample(s) voted", options.self_consistency);
  }
}

BenchmarkResult summarize(const Benchmark& bench, const std::vector<json>& samples, const EvalOptions& options,
                          std::span<const Item* const> items) {
  const Item& first_item = *items.front();
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
  BenchmarkResult out{.name = bench.name,
                      .n = static_cast<int64_t>(samples.size()),
                      .language = first_item.language,
                      .description = bench.description,
                      .source = bench.source,
                      .metrics = {{"acc", Estimate::of(acc)}},
                      .primary_metric = "acc",
                      .skipped = skipped};
  if (options.method == "loglik") {
    out.metrics.emplace_back("acc_norm", Estimate::of(acc_norm));
    out.metrics.emplace_back("acc_bytes", Estimate::of(acc_bytes));
  }
  for (const auto& [subject, p] : per_subject) out.per_subject.push_back({subject, p.total, p.value()});
  out.chance = chance_level(items);
  describe_scoring(out, bench.name, first_item, options);
  if (options.shots > 0)
    out.scoring = out.scoring.value_or("") + fmt::format("; {} shots: {}", options.shots, bench.shot_source);
  if (!samples.empty() && samples.front().contains("prompt"))
    out.example_prompt = samples.front()["prompt"].get<std::string>();
  return out;
}

// The exam view of IgakuQA predictions for the evaluated questions: points per year and
// booklet, the required section against its 80% threshold, 禁忌肢 chosen, and the published
// baselines scored the same way on the same questions.
ExamResult igakuqa_exam(const Benchmark& bench, const std::vector<json>& samples, const std::string& data_root) {
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
  return exam_result(summary);
}

}  // namespace

namespace {

// The SHA-256 of "<name> <sha256>\n" over config.json and every weight file, in name order, then
// of the checkpoint and adapter files in load order.
std::string model_hash(const Model& model, std::set<std::string> files, const std::vector<std::string>& update_files) {
  Sha256 combined;
  const fs::path config_path = fs::is_directory(model.path()) ? fs::path(model.path()) / "config.json" : fs::path();
  if (!config_path.empty() && fs::exists(config_path)) files.insert(config_path.string());
  for (const auto& file : files) combined.update(fs::path(file).filename().string() + " " + sha256_file(file) + "\n");
  for (const auto& file : update_files) combined.update("update " + sha256_file(file) + "\n");
  return combined.hex_digest();
}

}  // namespace

ModelIdentity model_identity(const Model& model, bool hash) {
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
  ModelIdentity identity{.path = model.path(),
                         .format = model.format(),
                         .model_type = config.model_type,
                         .architecture = config.architecture,
                         .parameters = parameters,
                         .dtype = dtype};
  // Weights changed at load are part of the model: without them in the identity a cached result
  // of the base model would be reused.
  std::vector<std::string> update_files;
  if (!model.checkpoint().empty()) {
    identity.checkpoint = model.checkpoint();
    const fs::path file = fs::is_directory(model.checkpoint()) ? fs::path(model.checkpoint()) / "model.safetensors"
                                                               : fs::path(model.checkpoint());
    update_files.push_back(file.string());
  }
  for (const auto& adapter : model.lora_adapters()) {
    identity.lora.push_back({adapter.path, adapter.scale});
    update_files.push_back((fs::path(adapter.path) / "adapter_model.safetensors").string());
  }
  if (hash) identity.sha256 = model_hash(model, std::move(files), update_files);
  return identity;
}

namespace {

EvalConfig config_of(const Model& model, const EvalOptions& options) {
  return {.method = options.method,
          .shots = options.shots,
          .limit = options.limit > 0 ? Nullable<int64_t>::of(options.limit) : Nullable<int64_t>::none(),
          .batch_size = options.batch_size,
          .threads = model.threads(),
          .add_bos = options.add_bos,
          .data_root = options.data_root,
          .seed = options.sampling.seed,
          .temperature = options.sampling.temperature,
          .max_tokens = options.max_tokens,
          .chain_of_thought = options.chain_of_thought,
          .self_consistency = options.self_consistency,
          .scoring_version = kScoringVersion,
          .chat_template =
              options.method == "generate" ? Nullable<std::string>::of("the model's") : Nullable<std::string>::none()};
}

// What determines a per-item result: the model, the method and its settings; not the batch size,
// thread count, item limit, data location or the chat template's description (the method decides
// it), which never change an item's score.
std::string scoring_fingerprint(const ModelIdentity& model, const EvalConfig& config) {
  nlohmann::ordered_json settings = to_json(config);
  for (const char* key : {"batch_size", "threads", "limit", "data_root", "chat_template"}) settings.erase(key);
  // The identity as results.json recorded it before it was typed: keys in name order.
  const std::string identity =
      model.sha256 ? *model.sha256 : json(to_json(model)).dump(-1, ' ', false, json::error_handler_t::replace);
  return sha256_hex(identity + settings.dump(-1, ' ', false, json::error_handler_t::replace));
}

// The benchmark's items up to the limit, each scored now or taken from the cache.
BenchmarkResult run_benchmark(const Model& model, const Tokenizer& tokenizer, const EvalOptions& options,
                              const std::string& name, const std::string& fingerprint, std::vector<json>& all_samples) {
  const auto started = std::chrono::steady_clock::now();
  const Benchmark bench = name == "igakuqa" ? load_igakuqa(options.data_root, options.igakuqa_years)
                                            : load_benchmark(name, options.data_root);
  if (bench.items.empty()) fail("{}: the benchmark has no items", name);
  // Shots that cannot be drawn fail now, before any item is scored.
  std::set<std::string> subjects;
  for (const Item& item : bench.items) {
    if (options.shots > 0 && subjects.insert(item.subject).second) pick_shots(bench, item, options.shots);
  }
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
  BenchmarkResult result = summarize(bench, samples, options, items);
  result.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  result.resumed_items = static_cast<int64_t>(items.size() - todo.size());
  if (name == "igakuqa") result.exam = igakuqa_exam(bench, samples, options.data_root);
  all_samples.insert(all_samples.end(), samples.begin(), samples.end());
  return result;
}

}  // namespace

EvalResults run_eval(const Model& model, const Tokenizer& tokenizer, const EvalOptions& options) {
  if (options.method != "loglik" && options.method != "generate") {
    fail("unknown method '{}' (loglik, generate)", options.method);
  }
  if (options.benchmarks.empty()) fail("no benchmark given (known: {})", fmt::join(benchmark_names(), ", "));
  const auto started = std::chrono::steady_clock::now();
  EvalResults results{.medllm_version = "0.1.0", .created = utc_now()};
  results.model = model_identity(model, options.hash_model);
  results.config = config_of(model, options);
  const std::string fingerprint = scoring_fingerprint(results.model, results.config);
  std::vector<json> all_samples;
  for (const auto& name : options.benchmarks)
    results.benchmarks.push_back(run_benchmark(model, tokenizer, options, name, fingerprint, all_samples));
  results.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  if (!options.out_dir.empty()) {
    fs::create_directories(options.out_dir);
    std::string lines;
    for (const json& sample : all_samples) lines += sample.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    write_file_atomically((fs::path(options.out_dir) / "samples.jsonl").string(), lines);
    write_file_atomically((fs::path(options.out_dir) / "results.json").string(),
                          to_json(results).dump(2, ' ', false, json::error_handler_t::replace) + "\n");
  }
  return results;
}

}  // namespace medllm::eval
