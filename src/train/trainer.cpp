#include "train/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <medllm/model.hpp>
#include <medllm/tokenizer.hpp>
#include <set>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/events.hpp"
#include "core/json_file.hpp"
#include "core/json_options.hpp"
#include "core/progress.hpp"
#include "data/dataset.hpp"
#include "data/packer.hpp"
#include "model/export.hpp"
#include "model/model_state.hpp"
#include "model/trainable_transformer.hpp"
#include "train/checkpoint.hpp"
#include "train/optimizer.hpp"
#include "train/schedule.hpp"
#include "train/training_log.hpp"

namespace medllm {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// Every option once: its JSON key and where it lives, for reading, writing and checking.
template <typename Visitor>
void visit_options(TrainOptions& o, Visitor&& visit) {
  visit("model", o.model, {"base model: a Hugging Face directory or a .gguf file"});
  visit("data", o.data, {"training data: a `medllm data prepare` output directory"});
  visit("output_dir", o.output_dir, {"where checkpoints, metrics.jsonl, the final model and training_report.html go"});
  visit("finetuning_type", o.finetuning_type, {"full (every weight is trained) or lora (adapters on a frozen base)"});
  visit("lora_r", o.lora_r, {"LoRA rank: the inner dimension of each adapter", 1});
  visit("lora_alpha", o.lora_alpha, {"LoRA scale numerator: updates are scaled by lora_alpha / lora_r", 0});
  visit("lora_dropout", o.lora_dropout, {"dropout probability on the LoRA input", 0, 1});
  visit("lora_target_modules", o.lora_target_modules,
        {"linear layers that get adapters: q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj"});
  visit("use_rslora", o.use_rslora, {"rank-stabilised LoRA: scale by lora_alpha / sqrt(lora_r)"});
  visit("max_seq_length", o.max_seq_length, {"tokens per training row", 2});
  visit("per_device_train_batch_size", o.per_device_train_batch_size,
        {"rows per forward/backward pass (a micro-batch)", 1});
  visit("gradient_accumulation_steps", o.gradient_accumulation_steps,
        {"micro-batches summed into one optimizer step", 1});
  visit("max_steps", o.max_steps, {"optimizer steps to run; 0: num_train_epochs decides", 0});
  visit("num_train_epochs", o.num_train_epochs, {"passes over the training split when max_steps is 0", 0});
  visit("learning_rate", o.learning_rate, {"peak AdamW learning rate (above 0), reached after warmup"});
  visit("lr_scheduler_type", o.lr_scheduler_type, {"learning-rate decay after warmup: constant, linear or cosine"});
  visit("warmup_steps", o.warmup_steps, {"steps of linear warmup from 0 to learning_rate", 0});
  visit("warmup_ratio", o.warmup_ratio, {"warmup as a share of the total steps, used when warmup_steps is 0", 0, 1});
  visit("min_lr_ratio", o.min_lr_ratio, {"cosine: the final learning rate as a share of learning_rate", 0, 1});
  visit("weight_decay", o.weight_decay, {"AdamW decoupled weight decay", 0});
  visit("adam_beta1", o.adam_beta1, {"AdamW decay of the first moment", 0, 1});
  visit("adam_beta2", o.adam_beta2, {"AdamW decay of the second moment", 0, 1});
  visit("adam_epsilon", o.adam_epsilon, {"AdamW term added to the denominator", 0});
  visit("max_grad_norm", o.max_grad_norm, {"clip the global gradient norm to this; 0: no clipping", 0});
  visit("gradient_checkpointing", o.gradient_checkpointing,
        {"recompute activations in the backward pass: less memory, more time"});
  visit("logging_steps", o.logging_steps, {"print and record the training loss every N steps; 0: never", 0});
  visit("eval_steps", o.eval_steps, {"evaluate on the validation split every N steps; 0: at the end only", 0});
  visit("eval_on_start", o.eval_on_start, {"evaluate once before the first step"});
  visit("max_eval_samples", o.max_eval_samples, {"validation rows per evaluation; 0: all", 0});
  visit("save_steps", o.save_steps, {"write a checkpoint every N steps; 0: at the end only", 0});
  visit("save_total_limit", o.save_total_limit,
        {"checkpoints kept in output_dir, older ones are deleted; 0: all", 0, 1e6});
  visit("seed", o.seed, {"seed of the data order, initialisation and dropout"});
  visit("threads", o.threads, {"worker threads; 0: all cores", 0, 4096});
  visit("resume_from_checkpoint", o.resume_from_checkpoint,
        {"continue from this checkpoint directory, or \"latest\" in output_dir (--resume)"});
  visit("overwrite_output_dir", o.overwrite_output_dir,
        {"start over in a non-empty output_dir (its checkpoints are removed)"});
}

// Settings that must not change across a resume, or the continued run would not be the same run.
json run_identity(const TrainOptions& o) {
  json identity = o.to_json();
  for (const char* key :
       {"output_dir", "resume_from_checkpoint", "overwrite_output_dir", "threads", "gradient_checkpointing",
        "logging_steps", "eval_steps", "save_steps", "save_total_limit", "eval_on_start", "max_eval_samples"})
    identity.erase(key);
  return identity;
}

// One line per setting that differs, "  learning_rate: checkpoint 0.001, now 0.002".
std::string settings_differences(const json& saved, const json& now) {
  if (!saved.is_object()) return "  the checkpoint's trainer_state.json records no settings ('run')";
  std::set<std::string> keys;
  for (const json* settings : {&saved, &now}) {
    for (const auto& [key, value] : settings->items()) keys.insert(key);
  }
  const auto show = [](const json& settings, const std::string& key) {
    return settings.contains(key) ? json_for_message(settings[key]) : std::string("(not set)");
  };
  std::string lines;
  for (const std::string& key : keys) {
    if (saved.value(key, json()) == now.value(key, json())) continue;
    lines += fmt::format("\n  {}: checkpoint {}, now {}", key, show(saved, key), show(now, key));
  }
  return lines.empty() ? lines : lines.substr(1);
}

// A run that does not resume starts over: it must not mix into another run's files unasked.
void require_fresh_output_dir(const TrainOptions& o) {
  if (!o.resume_from_checkpoint.empty() || o.overwrite_output_dir || !fs::is_directory(o.output_dir)) return;
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(o.output_dir)) names.push_back(entry.path().filename().string());
  if (names.empty()) return;
  std::sort(names.begin(), names.end());
  constexpr size_t kShown = 6;
  std::string listed;
  for (size_t i = 0; i < std::min(kShown, names.size()); ++i) listed += (i > 0 ? ", " : "") + names[i];
  if (names.size() > kShown) listed += fmt::format(" and {} more", names.size() - kShown);
  fail(
      "{}: the output directory is not empty ({}); continue that run with --resume, or start over in it with "
      "--overwrite-output-dir (overwrite_output_dir), or choose another --output-dir",
      o.output_dir, listed);
}

// Starting over in a used directory: the previous run's checkpoints go, so that neither rotation
// nor a later --resume mistakes them for this run's.
void remove_previous_checkpoints(const fs::path& output_dir) {
  if (!fs::is_directory(output_dir)) return;
  std::vector<fs::path> stale;
  for (const auto& entry : fs::directory_iterator(output_dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && (name.starts_with("checkpoint-") || name.starts_with(".checkpoint-")))
      stale.push_back(entry.path());
  }
  for (const fs::path& path : stale) fs::remove_all(path);
}

uint64_t mix_seed(uint64_t seed, int64_t step, int64_t micro) {
  uint64_t x = seed ^ (static_cast<uint64_t>(step) * 0x9e3779b97f4a7c15ull) ^ (static_cast<uint64_t>(micro) << 48);
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  return x ^ (x >> 31);
}

// Keeps metrics.jsonl in step with the checkpoint a run resumes from: rows after it are dropped.
// Keeps the rows of steps up to `step`, the steps the resumed run will not repeat, and returns the
// last kept training loss. Resuming a run that had finished evaluates the final model again, so its
// final eval row goes as well.
double truncate_metrics(const fs::path& path, int64_t step, bool finished) {
  double last_loss = 0.0;
  std::ifstream in(path);
  if (!in) return last_loss;
  std::string line, kept;
  while (std::getline(in, line)) {
    try {
      const json row = json::parse(line);
      const int64_t at = row.value("step", int64_t{0});
      const bool final_eval = finished && at == step && row.contains("eval_loss");
      if (at <= step && !final_eval) {
        kept += line + "\n";
        if (row.contains("loss")) last_loss = row["loss"].get<double>();
      }
    } catch (const json::exception&) {
      break;  // a line cut by the kill that interrupted the run
    }
  }
  write_file_atomically(path.string(), kept);
  return last_loss;
}

}  // namespace

TrainOptions TrainOptions::from_json(const json& config, const std::string& source) {
  return options_from_json<TrainOptions>(config, source,
                                         [](TrainOptions& o, auto&& visit) { visit_options(o, visit); });
}

json TrainOptions::to_json() const {
  return options_to_json(*this, [](TrainOptions& o, auto&& visit) { visit_options(o, visit); });
}

std::vector<FieldHelp> TrainOptions::fields() {
  return options_help<TrainOptions>([](TrainOptions& o, auto&& visit) { visit_options(o, visit); });
}

namespace {

void check_options(const TrainOptions& o) {
  if (o.model.empty()) fail("train: no model given (--model)");
  if (o.data.empty()) fail("train: no dataset given (--data, a `medllm data prepare` output)");
  if (o.output_dir.empty()) fail("train: no output directory given (--output-dir)");
  if (o.finetuning_type != "full" && o.finetuning_type != "lora")
    fail("finetuning_type must be full or lora, not '{}'", o.finetuning_type);
  if (o.per_device_train_batch_size < 1 || o.gradient_accumulation_steps < 1 || o.max_seq_length < 2)
    fail("batch size, gradient accumulation steps must be ≥ 1 and max_seq_length ≥ 2");
  if (!(o.learning_rate > 0)) fail("learning_rate must be positive, got {}", o.learning_rate);
}

std::unique_ptr<TrainableTransformer> make_network(const TrainOptions& o, const Model& model) {
  const ModelConfig& config = model.config();
  std::unique_ptr<TrainableTransformer> net;
  if (o.finetuning_type == "full") {
    net = std::make_unique<TrainableTransformer>(config, model_state(model).weights);
  } else {
    LoraOptions lora;
    lora.rank = o.lora_r;
    lora.alpha = static_cast<float>(o.lora_alpha);
    lora.dropout = static_cast<float>(o.lora_dropout);
    lora.rslora = o.use_rslora;
    lora.target_modules = o.lora_target_modules;
    net = std::make_unique<TrainableTransformer>(config, model_state(model).weights, lora, o.seed);
  }
  net->set_recompute_activations(o.gradient_checkpointing);
  return net;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// One run of train(): set up from the options, then steps, evaluations and checkpoints, then the
// trained model, the report and the summary. Each method is one of those jobs.
class TrainingRun {
 public:
  TrainingRun(const TrainOptions& o, const RunEvents& events);
  TrainResult run();

 private:
  void plan_steps();
  void resume_or_start();
  std::optional<double> evaluate();
  std::optional<double> evaluate_at(int64_t at_step);
  void step_once();
  void log_step(double loss, double lr, double grad_norm, int64_t scored);
  std::string save(int64_t at_step);
  double elapsed() const { return elapsed_before_ + seconds_since(started_); }
  void log_row(const json& row);
  void finish(const TrainResult& result);

  const TrainOptions& o_;
  const RunEvents& events_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::vector<std::unique_ptr<DatasetShard>> train_shards_, valid_shards_;
  std::unique_ptr<TrainableTransformer> net_;
  std::vector<Parameter*> params_;
  int64_t trained_numel_ = 0;
  std::unique_ptr<AdamW> optimizer_;
  std::unique_ptr<Packer> packer_;
  ThreadPool* pool_ = nullptr;
  int64_t rows_per_step_ = 0, total_steps_ = 0;
  LearningRateSchedule schedule_;
  json identity_;
  fs::path metrics_path_;
  std::ofstream metrics_;
  int64_t step_ = 0, first_step_ = 0;
  double elapsed_before_ = 0.0;  // of the run this one resumes
  double last_loss_ = 0.0;
  std::chrono::steady_clock::time_point started_;
};

TrainingRun::TrainingRun(const TrainOptions& o, const RunEvents& events) : o_(o), events_(events) {
  check_options(o);
  require_fresh_output_dir(o);
  model_ = Model::load(o.model, LoadOptions{.threads = o.threads});
  tokenizer_ = Tokenizer::load(*model_);
  train_shards_ = open_split(o.data, "train");
  valid_shards_ = open_split(o.data, "valid");
  if (train_shards_.empty()) fail("{}: no train-*.mlds shards", o.data);
  require_tokenizer(train_shards_, *tokenizer_, o.model);
  require_tokenizer(valid_shards_, *tokenizer_, o.model);
  net_ = make_network(o, *model_);
  pool_ = model_state(*model_).pool.get();
  params_ = net_->trainable_parameters();
  for (const Parameter* p : params_) trained_numel_ += p->numel();
  optimizer_ = std::make_unique<AdamW>(
      params_,
      AdamWOptions{
          .beta1 = o.adam_beta1, .beta2 = o.adam_beta2, .eps = o.adam_epsilon, .weight_decay = o.weight_decay});
  plan_steps();
  identity_ = run_identity(o);
  metrics_path_ = fs::path(o.output_dir) / "metrics.jsonl";
}

void TrainingRun::plan_steps() {
  packer_ = std::make_unique<Packer>(train_shards_, o_.max_seq_length, true, o_.seed);
  rows_per_step_ = o_.per_device_train_batch_size * o_.gradient_accumulation_steps;
  if (packer_->rows_per_epoch() < 1)
    fail("{}: the training split holds {} tokens, fewer than one row of max_seq_length {} + 1", o_.data,
         packer_->total_tokens(), o_.max_seq_length);
  const double epoch_steps = static_cast<double>(packer_->rows_per_epoch()) / static_cast<double>(rows_per_step_);
  total_steps_ = o_.max_steps > 0
                     ? o_.max_steps
                     : std::max<int64_t>(1, static_cast<int64_t>(std::ceil(o_.num_train_epochs * epoch_steps)));
  schedule_ = LearningRateSchedule{
      .lr = o_.learning_rate,
      .kind = parse_schedule_kind(o_.lr_scheduler_type),
      .warmup_steps =
          o_.warmup_steps > 0 ? o_.warmup_steps : static_cast<int64_t>(std::ceil(o_.warmup_ratio * total_steps_)),
      .total_steps = total_steps_,
      .min_lr_ratio = o_.min_lr_ratio};
}

void TrainingRun::resume_or_start() {
  if (o_.resume_from_checkpoint.empty()) remove_previous_checkpoints(o_.output_dir);
  fs::create_directories(o_.output_dir);
  if (o_.resume_from_checkpoint.empty()) {
    std::ofstream(metrics_path_, std::ios::trunc);
  } else {
    std::string directory = o_.resume_from_checkpoint;
    if (directory == "latest") {
      const auto latest = latest_checkpoint(o_.output_dir);
      if (!latest) fail("{}: no checkpoint to resume from", o_.output_dir);
      directory = *latest;
    }
    const CheckpointState state = load_checkpoint(directory, *optimizer_);
    const json saved = state.trainer.value("run", json());
    if (saved != identity_) {
      fail(
          "{}: made with other settings; a resumed run must use the same model, data and hyper-parameters (to "
          "start over with the new ones, drop --resume and add --overwrite-output-dir):\n{}",
          directory, settings_differences(saved, identity_));
    }
    step_ = state.step;
    try {
      packer_->seek(PackerPosition::from_json(state.trainer.at("data_position")));
      elapsed_before_ = state.trainer.value("elapsed_seconds", 0.0);
    } catch (const json::exception& e) {
      fail("{}/trainer_state.json: {} (the checkpoint is damaged; resume from an earlier one)", directory, e.what());
    }
    last_loss_ = truncate_metrics(metrics_path_, step_, step_ >= total_steps_);
    events_.say(fmt::format("resumed from {} at step {}", directory, step_));
  }
  metrics_.open(metrics_path_, std::ios::app);
  if (!metrics_) fail("{}: cannot open for writing", metrics_path_.string());
}

void TrainingRun::log_row(const json& row) {
  metrics_ << row.dump() << '\n';
  metrics_.flush();
}

std::optional<double> TrainingRun::evaluate() {
  if (valid_shards_.empty()) return std::nullopt;
  Packer eval_packer(valid_shards_, o_.max_seq_length, false, 0);
  double sum = 0.0;
  int64_t tokens = 0, rows = 0;
  while (o_.max_eval_samples <= 0 || rows < o_.max_eval_samples) {
    const int64_t want = o_.max_eval_samples > 0 ? std::min(o_.per_device_train_batch_size, o_.max_eval_samples - rows)
                                                 : o_.per_device_train_batch_size;
    const PackedBatch batch = eval_packer.next(want);
    if (batch.rows == 0) break;
    const LossSum loss = net_->loss(batch.tokens, batch.targets, batch.rows, *pool_);
    sum += loss.sum;
    tokens += loss.tokens;
    rows += batch.rows;
  }
  if (tokens == 0) return std::nullopt;
  return sum / static_cast<double>(tokens);
}

std::optional<double> TrainingRun::evaluate_at(int64_t at_step) {
  const auto loss = evaluate();
  if (!loss) return loss;
  log_row(to_json(EvalRecord{at_step, *loss}));
  events_.say(fmt::format("step {} eval loss {:.4f} perplexity {:.3f}", at_step, *loss, std::exp(*loss)));
  return loss;
}

std::string TrainingRun::save(int64_t at_step) {
  CheckpointState state;
  state.step = at_step;
  state.trainer = {
      {"run", identity_}, {"data_position", packer_->position().to_json()}, {"elapsed_seconds", elapsed()}};
  return save_checkpoint(o_.output_dir, *optimizer_, state, static_cast<int>(o_.save_total_limit),
                         events_.checkpoint_half_written);
}

// One optimizer step over gradient_accumulation_steps micro-batches.
void TrainingRun::step_once() {
  std::vector<PackedBatch> micro_batches;
  int64_t scored = 0;
  for (int64_t m = 0; m < o_.gradient_accumulation_steps; ++m) {
    micro_batches.push_back(packer_->next(o_.per_device_train_batch_size));
    scored += micro_batches.back().scored();
  }
  net_->zero_grad();
  double loss_sum = 0.0;
  for (size_t m = 0; m < micro_batches.size() && scored > 0; ++m) {
    const PackedBatch& b = micro_batches[m];
    const uint64_t seed = mix_seed(o_.seed, step_, static_cast<int64_t>(m));
    loss_sum +=
        net_->forward_backward(b.tokens, b.targets, b.rows, 1.0f / static_cast<float>(scored), seed, *pool_).sum;
  }
  const double loss = scored > 0 ? loss_sum / static_cast<double>(scored) : 0.0;
  const double grad_norm =
      o_.max_grad_norm > 0 ? clip_grad_norm(params_, o_.max_grad_norm, pool_) : global_grad_norm(params_, pool_);
  if (!std::isfinite(loss) || !std::isfinite(grad_norm)) {
    fail(
        "step {}: the loss is {} and the gradient norm {}; training stopped before updating the weights (the "
        "last checkpoint is intact). Lower learning_rate or check the data and weights for NaN",
        step_ + 1, loss, grad_norm);
  }
  const double lr = schedule_.at(step_);
  optimizer_->step(lr, pool_);
  ++step_;
  log_step(loss, lr, grad_norm, scored);
}

void TrainingRun::log_step(double loss, double lr, double grad_norm, int64_t scored) {
  const double run_seconds = seconds_since(started_);
  const auto done = static_cast<double>(step_ - first_step_);
  const double tokens_per_second =
      done * static_cast<double>(rows_per_step_ * o_.max_seq_length) / std::max(run_seconds, 1e-9);
  log_row(to_json(TrainStepRecord{.step = step_,
                                  .loss = loss,
                                  .learning_rate = lr,
                                  .grad_norm = grad_norm,
                                  .scored_tokens = scored,
                                  .tokens_per_second = tokens_per_second,
                                  .elapsed_seconds = elapsed(),
                                  .epoch = packer_->position().epoch}));
  last_loss_ = loss;
  if (o_.logging_steps > 0 && (step_ % o_.logging_steps == 0 || step_ == total_steps_)) {
    const double eta = run_seconds / done * static_cast<double>(total_steps_ - step_);
    events_.say(fmt::format("step {}/{} loss {:.4f} lr {:.3g} grad norm {:.3f} | {:.0f} tok/s, ETA {}", step_,
                            total_steps_, loss, lr, grad_norm, tokens_per_second, format_duration(eta)));
  }
}

TrainResult TrainingRun::run() {
  resume_or_start();
  TrainResult result;
  if (o_.eval_on_start && step_ == 0) result.initial_eval_loss = evaluate_at(0);
  events_.say(fmt::format("training {} ({}, {} trained parameters) for {} steps of {} × {} tokens", o_.model,
                          o_.finetuning_type, trained_numel_, total_steps_, rows_per_step_, o_.max_seq_length));
  started_ = std::chrono::steady_clock::now();
  first_step_ = step_;
  Progress progress("training", total_steps_ - step_, "steps", events_.progress);
  while (step_ < total_steps_ && !events_.cancelled()) {
    step_once();
    progress.advance();
    if (o_.eval_steps > 0 && step_ % o_.eval_steps == 0 && step_ < total_steps_) evaluate_at(step_);
    if (o_.save_steps > 0 && step_ % o_.save_steps == 0 && step_ < total_steps_) save(step_);
  }
  progress.finish();
  result.steps = step_;
  result.last_train_loss = last_loss_;
  result.checkpoint = save(step_);
  if (events_.cancelled()) {
    result.interrupted = true;
    events_.say(fmt::format("stopped at step {}; resume with --resume-from-checkpoint latest", step_));
  } else {
    result.final_eval_loss = evaluate_at(step_);
  }
  metrics_.close();
  finish(result);
  return result;
}

// The trained model in the layout its users load (a PEFT adapter, or a Hugging Face model) and
// the summary. (The report is drawn by the caller: report/training_report.)
void TrainingRun::finish(const TrainResult& result) {
  if (!result.interrupted) {
    if (net_->lora()) {
      export_peft_adapter(*net_, o_.model, o_.output_dir);
    } else {
      const auto trained = Model::load(
          o_.model, LoadOptions{.threads = o_.threads, .check_weights = false, .checkpoint = result.checkpoint});
      export_huggingface(*trained, o_.output_dir);
    }
  }
  json summary = {{"steps", result.steps},
                  {"train_loss", result.last_train_loss},
                  {"checkpoint", result.checkpoint},
                  {"elapsed_seconds", elapsed()},
                  {"trained_parameters", trained_numel_}};
  if (result.initial_eval_loss) summary["initial_eval_loss"] = *result.initial_eval_loss;
  if (result.final_eval_loss) summary["eval_loss"] = *result.final_eval_loss;
  write_file_atomically((fs::path(o_.output_dir) / "train_results.json").string(), summary.dump(2) + "\n");
}

}  // namespace

TrainResult train(const TrainOptions& options, const RunEvents& events) {
  return TrainingRun(options, events).run();
}

}  // namespace medllm
