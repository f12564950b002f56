#include "eval/runner.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <medllm/model.hpp>
#include <medllm/scoring.hpp>
#include <medllm/tokenizer.hpp>
#include <memory>
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
#include "eval/igakuqa_paper.hpp"
#include "eval/jmed_llm.hpp"
#include "eval/lm_eval_mmlu_pro.hpp"
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
// questions stripped as lm-eval strips them; shots from the dev split. 3: JMED-LLM's protocol.
constexpr int kScoringVersion = 3;

constexpr int32_t kDefaultMaxTokens = 256;

// The reference whose generation protocol a benchmark follows ("JMED-LLM", "the IgakuQA paper",
// "lm-eval mmlu_pro"), or "" for benchmarks scored by medllm's own generation prompt.
std::string generation_reference(const std::string& benchmark) {
  if (jmed_llm::task_of(benchmark)) return "JMED-LLM";
  if (benchmark == igakuqa_paper::kBenchmark) return "the IgakuQA paper";
  if (benchmark == lm_eval_mmlu_pro::kBenchmark) return "lm-eval mmlu_pro";
  return "";
}

// Benchmarks whose reference scores only generated replies (mmlu_pro_health may also be scored by
// log-likelihood in the MMLU template, medllm's own).
bool generation_only(const std::string& benchmark) {
  return jmed_llm::task_of(benchmark) || benchmark == igakuqa_paper::kBenchmark;
}

// The method a benchmark is evaluated with: its protocol's under "auto".
std::string method_of(const std::string& benchmark, const EvalOptions& options) {
  if (options.method == "auto") return generation_reference(benchmark).empty() ? "loglik" : "generate";
  if (generation_only(benchmark) && options.method != "generate") {
    fail("{}: {}'s protocol scores generated replies and has no log-likelihood form; use --method generate or auto",
         benchmark, generation_reference(benchmark));
  }
  return options.method;
}

int32_t max_tokens_of(const std::string& benchmark, const EvalOptions& options) {
  if (options.max_tokens > 0) return options.max_tokens;
  if (jmed_llm::task_of(benchmark)) return jmed_llm::kMaxNewTokens;
  if (benchmark == lm_eval_mmlu_pro::kBenchmark) return lm_eval_mmlu_pro::kMaxNewTokens;
  return kDefaultMaxTokens;
}

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

void run_loglik(const Model& model, const Tokenizer& tokenizer, const EvalOptions& options, bool add_bos,
                const Benchmark& bench, const std::vector<const Item*>& todo, ResultCache& cache, Progress& progress) {
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
      encoded.push_back(encode_task(tokenizer, tasks.back(), add_bos, max_positions));
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

// Why a generation prompt cannot run: it leaves no room for a reply in the model's context. The
// item is then recorded as skipped (and scored as unanswered) instead of ending the run.
std::optional<std::string> prompt_too_long(const Model& model, size_t prompt_tokens) {
  const int64_t context = model.config().max_position_embeddings;
  if (static_cast<int64_t>(prompt_tokens) < context) return std::nullopt;
  return fmt::format("the prompt has {} tokens and the model's context holds {}: no room for a reply", prompt_tokens,
                     context);
}

// A reference harness's generation protocol: the text the model continues for an item, how it is
// tokenized, where generation stops, and its scoring of the reply (the fields it adds to the
// item's sample).
struct GenerationProtocol {
  std::function<std::string(const Item&)> prompt;
  // A chat prompt is tokenized as transformers' apply_chat_template does: the template writes any
  // BOS itself. A plain prompt gets the --bos rule, as lm-eval's generate_until tokenizes.
  bool chat = true;
  std::vector<std::string> stop;
  std::function<json(const Item&, const std::string&)> score;
};

// Renders chat messages with the model's template (read once, when a protocol first needs it).
std::function<std::string(const nlohmann::ordered_json&)> chat_renderer(const Model& model) {
  const auto chat = std::make_shared<ChatTemplate>(ChatTemplate::from_path(model.path()));
  return [chat](const nlohmann::ordered_json& messages) {
    ChatTemplateOptions template_options;
    template_options.add_generation_prompt = true;
    return chat->render(messages, template_options);
  };
}

std::optional<GenerationProtocol> generation_protocol(const Model& model, const Benchmark& bench,
                                                      const EvalOptions& options) {
  if (bench.name == lm_eval_mmlu_pro::kBenchmark) {  // a plain prompt: no chat template needed
    return GenerationProtocol{
        lm_eval_mmlu_pro::context, false, {lm_eval_mmlu_pro::kStop}, lm_eval_mmlu_pro::score_reply};
  }
  if (const auto task = jmed_llm::task_of(bench.name)) {
    const bool system_role = options.system_role;
    const auto render = chat_renderer(model);
    return GenerationProtocol{
        [=](const Item& item) { return render(jmed_llm::messages(*task, item, system_role)); },
        true,
        {},
        [task](const Item& item, const std::string& reply) { return jmed_llm::score_reply(*task, item, reply); }};
  }
  if (bench.name == igakuqa_paper::kBenchmark) {
    const std::vector<Item> shots = bench.shots;
    const auto render = chat_renderer(model);
    return GenerationProtocol{[=](const Item& item) { return render(igakuqa_paper::messages(item, shots)); },
                              true,
                              {},
                              igakuqa_paper::score_reply};
  }
  return std::nullopt;
}

// One reply per item under a reference's protocol; an item whose prompt leaves no room for a reply is
// recorded as skipped and scored as an empty reply.
void run_protocol(const Model& model, const Tokenizer& tokenizer, const EvalOptions& options, const Benchmark& bench,
                  const GenerationProtocol& protocol, const std::vector<const Item*>& todo, ResultCache& cache,
                  Progress& progress) {
  GenerateOptions generate_options;
  generate_options.max_tokens = max_tokens_of(bench.name, options);
  generate_options.sampling = options.sampling;
  generate_options.stop = protocol.stop;
  const bool add_special = !protocol.chat && adds_bos(options, model.config().model_type);
  for (const Item* item : todo) {
    const std::string prompt = protocol.prompt(*item);
    const std::vector<int32_t> tokens = tokenizer.encode(prompt, add_special);
    const std::optional<std::string> skip = prompt_too_long(model, tokens.size());
    const std::string reply = skip ? "" : generate(model, tokenizer, tokens, generate_options).text;
    json sample = {{"benchmark", bench.name}, {"id", item->id},     {"subject", item->subject},
                   {"prompt", prompt},        {"replies", {reply}}, {"prompt_tokens", tokens.size()}};
    sample.update(protocol.score(*item, reply));
    if (skip) sample["skipped"] = *skip;
    cache.add(sample);
    progress.advance();
  }
}

void run_generate(const Model& model, const Tokenizer& tokenizer, const EvalOptions& options, const Benchmark& bench,
                  const std::vector<const Item*>& todo, ResultCache& cache, Progress& progress) {
  if (const auto protocol = generation_protocol(model, bench, options)) {
    return run_protocol(model, tokenizer, options, bench, *protocol, todo, cache, progress);
  }
  const ChatTemplate chat = ChatTemplate::from_path(model.path());
  ChatTemplateOptions template_options;
  template_options.add_generation_prompt = true;
  for (const Item* item : todo) {
    const std::vector<Item> shots = pick_shots(bench, *item, options.shots);
    const std::string prompt =
        chat.render(generation_messages(*item, shots, options.chain_of_thought), template_options);
    const std::vector<int32_t> tokens = tokenizer.encode(prompt, false);
    if (const auto skip = prompt_too_long(model, tokens.size())) {
      cache.add(skipped_sample(bench.name, *item, *skip));
      progress.advance();
      continue;
    }
    GenerateOptions generate_options;
    generate_options.max_tokens = max_tokens_of(bench.name, options);
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

std::string generation_settings(const std::string& benchmark, const EvalOptions& options) {
  return fmt::format("at most {} new tokens, temperature {}", max_tokens_of(benchmark, options),
                     options.sampling.temperature);
}

// The scoring record of a benchmark: which prompt format and how answers are scored.
void describe_scoring(BenchmarkResult& out, const std::string& benchmark, const Item& first_item,
                      const EvalOptions& options) {
  const std::string method = method_of(benchmark, options);
  if (const auto task = jmed_llm::task_of(benchmark)) {
    out.prompt_format =
        fmt::format("JMED-LLM (sociocom/JMED-LLM @ 3774a34e, src/utils.py): the model's chat template, {}, zero-shot",
                    options.system_role ? "its system prompt and the question"
                                        : "its instruction and the question in one user message");
    out.scoring =
        task->entities
            ? "the reply read as a Python list literal (else []); F1 per text averaged: partial_f1 (the reference's "
              "set-membership rule), exact_f1"
            : fmt::format("the first of A-F in the reply (else \"None\"); {}kappa (scikit-learn's), acc",
                          task->kappa_weights == KappaWeights::Linear ? "linear-weighted " : "");
    out.scoring = *out.scoring + "; " + generation_settings(benchmark, options);
  } else if (benchmark == igakuqa_paper::kBenchmark) {
    out.prompt_format =
        "the IgakuQA paper (jungokasai/IgakuQA @ 2bc4c3d1, scripts/generation/chatgpt.py): the model's chat template, "
        "system '医師国家試験を解きます。', its 3 examples from the 100th exam, 'a: {choice}' lines, "
        "'必ずa,b,c,d,eの中からちょうど{k}個選んでください。' and '答え:' lines";
    out.scoring =
        "the reply folded to half-width and lowercased, split on ',' and sorted, equal to the key (the paper's "
        "evaluate_main.py, with 116A71 and 112B30 as it scores them); " +
        generation_settings(benchmark, options);
  } else if (benchmark == lm_eval_mmlu_pro::kBenchmark && method == "generate") {
    out.prompt_format =
        "lm-eval mmlu_pro_health (v3.1, lm_eval/tasks/mmlu_pro): the subject's description, 'Question:\\n…"
        "\\nOptions:\\nA. …', 'Answer: Let\'s think step by step.', no chat template; 0-shot (lm-eval: 5 from the "
        "validation split, which the data lacks)";
    out.scoring =
        "exact_match (case and punctuation ignored) of the first 'answer is (X)'; generation until 'Question:'; " +
        generation_settings(benchmark, options);
  } else if (method == "loglik") {
    const PromptFormat format = loglik_format(benchmark, first_item);
    out.prompt_format = format.name;
    out.scoring = format.scoring + "; acc: highest log-likelihood, acc_norm: per character, acc_bytes: per byte";
  } else {
    out.prompt_format =
        "chat template + instruction" + std::string(options.chain_of_thought ? " (chain of thought)" : "");
    out.scoring = fmt::format("exact match of the extracted answer; {} sample(s) voted", options.self_consistency);
  }
}

// The metrics of a benchmark's samples and the primary one (first).
std::vector<std::pair<std::string, Estimate>> benchmark_metrics(const std::string& benchmark,
                                                                const std::vector<json>& samples,
                                                                const EvalOptions& options) {
  if (const auto task = jmed_llm::task_of(benchmark)) return jmed_llm::metrics(*task, samples);
  Proportion acc, acc_norm, acc_bytes;
  for (const json& s : samples) {
    acc.total++, acc.successes += s.value("correct", false);
    acc_norm.total++, acc_norm.successes += s.value("correct_norm", false);
    acc_bytes.total++, acc_bytes.successes += s.value("correct_bytes", false);
  }
  if (method_of(benchmark, options) != "loglik") return {{"acc", Estimate::of(acc)}};
  return {{"acc", Estimate::of(acc)}, {"acc_norm", Estimate::of(acc_norm)}, {"acc_bytes", Estimate::of(acc_bytes)}};
}

BenchmarkResult summarize(const Benchmark& bench, const std::vector<json>& samples, const EvalOptions& options,
                          std::span<const Item* const> items) {
  const Item& first_item = *items.front();
  std::map<std::string, Proportion> per_subject;
  int64_t skipped = 0;
  for (const json& s : samples) {
    skipped += s.contains("skipped");
    if (const std::string subject = s.value("subject", ""); !subject.empty() && s.contains("correct")) {
      per_subject[subject].total++;
      per_subject[subject].successes += s.value("correct", false);
    }
  }
  BenchmarkResult out{.name = bench.name,
                      .n = static_cast<int64_t>(samples.size()),
                      .items_total = static_cast<int64_t>(bench.items.size()),
                      .language = first_item.language,
                      .description = bench.description,
                      .source = bench.source,
                      .method = method_of(bench.name, options),
                      .metrics = benchmark_metrics(bench.name, samples, options),
                      .skipped = skipped};
  out.primary_metric = out.metrics.front().first;
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
// booklet, the required section against its 80% threshold, 禁忌肢 chosen, the pass rule where the
// exam's criteria are known, and (2018-2022) the published baselines scored the same way on the
// same questions.
ExamResult igakuqa_exam(const Benchmark& bench, const std::vector<json>& samples, const std::string& data_root,
                        PredictionRule rule) {
  std::map<std::string, std::string> predictions;
  for (const json& sample : samples) predictions[sample["id"].get<std::string>()] = sample.value("prediction", "");
  Benchmark evaluated = bench;
  std::erase_if(evaluated.items, [&](const Item& item) { return !predictions.contains(item.id); });
  ExamSummary summary = score_exam(evaluated, predictions, rule);
  const fs::path baselines = fs::path(data_root) / "igakuqa" / "baseline_results";
  const bool published = bench.name != "igakuqa119";  // the paper's baselines cover 2018-2022
  if (published && fs::exists(baselines)) {
    add_baseline_comparisons(summary, evaluated, baselines.string(), {"gpt4", "chatgpt", "gpt3", "student-majority"},
                             rule);
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
  // Every generation prompt but lm-eval's mmlu_pro (a plain completion) goes through the template.
  bool any_chat = false;
  for (const std::string& name : options.benchmarks)
    any_chat = any_chat || (method_of(name, options) == "generate" && name != lm_eval_mmlu_pro::kBenchmark);
  return {.method = options.method,
          .shots = options.shots,
          .limit = options.limit > 0 ? Nullable<int64_t>::of(options.limit) : Nullable<int64_t>::none(),
          .batch_size = options.batch_size,
          .threads = model.threads(),
          .add_bos = adds_bos(options, model.config().model_type),
          .data_root = options.data_root,
          .seed = options.sampling.seed,
          .temperature = options.sampling.temperature,
          .max_tokens = options.max_tokens,
          .chain_of_thought = options.chain_of_thought,
          .self_consistency = options.self_consistency,
          .scoring_version = kScoringVersion,
          .chat_template = any_chat ? Nullable<std::string>::of("the model's") : Nullable<std::string>::none(),
          .system_role = options.system_role,
          .bos = options.bos,
          .lm_eval_version = options.bos == "auto" ? Nullable<std::string>::of(options.lm_eval_version)
                                                   : Nullable<std::string>::none()};
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
                          : name == igakuqa_paper::kBenchmark
                              ? igakuqa_paper::load(options.data_root, options.igakuqa_years)
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
  if (method_of(name, options) == "loglik") {
    run_loglik(model, tokenizer, options, adds_bos(options, model.config().model_type), bench, todo, cache, progress);
  } else {
    run_generate(model, tokenizer, options, bench, todo, cache, progress);
  }
  if (!todo.empty()) progress.finish();
  std::vector<json> samples;
  for (const Item* item : items) samples.push_back(*cache.find(item->id));
  BenchmarkResult result = summarize(bench, samples, options, items);
  result.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  result.resumed_items = static_cast<int64_t>(items.size() - todo.size());
  if (name == "igakuqa" || name == "igakuqa119" || name == igakuqa_paper::kBenchmark) {
    result.exam = igakuqa_exam(bench, samples, options.data_root,
                               name == igakuqa_paper::kBenchmark ? PredictionRule::Paper : PredictionRule::Lenient);
  }
  all_samples.insert(all_samples.end(), samples.begin(), samples.end());
  return result;
}

}  // namespace

namespace {

std::vector<int> version_numbers(const std::string& version) {
  std::vector<int> numbers;
  size_t start = 0;
  while (true) {
    const size_t end = version.find('.', start);
    const std::string part = version.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (part.empty() || part.size() > 6 || part.find_first_not_of("0123456789") != std::string::npos)
      fail("--lm-eval-version '{}': expected a release number such as 0.4.9.1", version);
    numbers.push_back(std::stoi(part));
    if (end == std::string::npos) return numbers;
    start = end + 1;
  }
}

}  // namespace

bool adds_bos(const EvalOptions& options, const std::string& model_type) {
  if (options.bos == "on") return true;
  if (options.bos == "off") return false;
  if (options.bos != "auto") fail("--bos '{}': expected auto, on or off", options.bos);
  std::vector<int> version = version_numbers(options.lm_eval_version);
  version.resize(std::max<size_t>(version.size(), 4), 0);
  // lm-eval's HFLM: v0.4.9.2 made add_bos_token default to the tokenizer's own setting. Before,
  // models got no special tokens except Gemma: from v0.4.4 any model_type containing "gemma",
  // in v0.4.2-v0.4.3 model_type "gemma" exactly, before v0.4.2 none.
  if (version >= std::vector<int>{0, 4, 9, 2}) return true;
  if (version >= std::vector<int>{0, 4, 4, 0}) return model_type.find("gemma") != std::string::npos;
  if (version >= std::vector<int>{0, 4, 2, 0}) return model_type == "gemma";
  return false;
}

namespace {

// Settings a benchmark's protocol cannot honour are refused before anything runs.
void check_protocol_options(const EvalOptions& options) {
  if (options.method != "auto" && options.method != "loglik" && options.method != "generate") {
    fail("unknown method '{}' (auto, loglik, generate)", options.method);
  }
  if (options.benchmarks.empty()) fail("no benchmark given (known: {})", fmt::join(benchmark_names(), ", "));
  bool any_jmed_llm = false;
  for (const std::string& name : options.benchmarks) {
    method_of(name, options);
    const std::string reference = generation_reference(name);
    if (reference.empty() || method_of(name, options) != "generate") continue;
    any_jmed_llm = any_jmed_llm || jmed_llm::task_of(name).has_value();
    if (options.shots > 0) {
      fail("{}: {}'s protocol {}; --shots does not apply", name, reference,
           jmed_llm::task_of(name)             ? "is zero-shot"
           : name == igakuqa_paper::kBenchmark ? "has its own 3 examples"
                                               : "draws its 5 examples from MMLU-Pro's validation split, which "
                                                 "the data lacks (medllm runs it 0-shot)");
    }
    if (options.chain_of_thought) fail("{}: {}'s prompt is fixed; --cot does not apply", name, reference);
    if (options.self_consistency > 1)
      fail("{}: {} scores one reply per item; --self-consistency does not apply", name, reference);
  }
  if (!options.system_role && !any_jmed_llm)
    fail("--no-system-role is JMED-LLM's use_system_role setting; none of the benchmarks is a JMED-LLM task");
}

}  // namespace

EvalResults run_eval(const Model& model, const Tokenizer& tokenizer, const EvalOptions& requested) {
  EvalResults results{.medllm_version = "0.1.0", .created = utc_now()};
  EvalOptions options = requested;  // groups replaced by their members
  options.benchmarks = expand_groups(requested.benchmarks, &results.groups);
  check_protocol_options(options);
  const auto started = std::chrono::steady_clock::now();
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
