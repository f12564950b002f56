#pragma once
// `medllm train`: continued pretraining or supervised fine-tuning of a model on a prepared
// dataset, full or LoRA, with AdamW, a warmup + decay schedule, gradient clipping and
// accumulation, held-out evaluation, atomic checkpoints with exact resume and metrics as JSONL
// (train/training_log.hpp; the CLI and the pipeline draw training_report.html from them with
// report/training_report.hpp). Option names follow transformers' TrainingArguments and PEFT's
// LoraConfig.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/events.hpp"
#include "core/json_options.hpp"

namespace medllm {

struct TrainOptions {
  std::string model;       // Hugging Face directory or .gguf
  std::string data;        // a `medllm data prepare` output directory
  std::string output_dir;  // checkpoints, metrics.jsonl, training_report.html

  std::string finetuning_type = "full";  // full | lora
  int64_t lora_r = 8;
  double lora_alpha = 16.0;
  double lora_dropout = 0.0;
  std::vector<std::string> lora_target_modules = {"q_proj", "v_proj"};  // PEFT's default for Llama
  bool use_rslora = false;

  int64_t max_seq_length = 256;
  int64_t per_device_train_batch_size = 8;  // rows per forward/backward (a micro-batch)
  int64_t gradient_accumulation_steps = 1;
  int64_t max_steps = 0;  // optimizer steps; 0: num_train_epochs decides
  double num_train_epochs = 1.0;
  double learning_rate = 5e-5;
  std::string lr_scheduler_type = "linear";  // constant | linear | cosine
  int64_t warmup_steps = 0;
  double warmup_ratio = 0.0;  // of the total steps, when warmup_steps is 0
  double min_lr_ratio = 0.0;  // cosine floor
  double weight_decay = 0.0;
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.999;
  double adam_epsilon = 1e-8;
  double max_grad_norm = 1.0;           // 0: no clipping
  bool gradient_checkpointing = false;  // recompute activations in the backward (less memory)

  int64_t logging_steps = 10;
  int64_t eval_steps = 0;  // 0: evaluate at the end only
  bool eval_on_start = false;
  int64_t max_eval_samples = 0;  // validation rows per evaluation; 0: all
  int64_t save_steps = 0;        // 0: save at the end only
  int64_t save_total_limit = 2;
  uint64_t seed = 42;
  int threads = 0;
  std::string resume_from_checkpoint;  // a checkpoint directory, or "latest"
  bool overwrite_output_dir = false;   // start over in a non-empty output_dir (removes its checkpoints)

  // Reads a JSON object of the fields above (unknown keys are errors naming the key).
  static TrainOptions from_json(const nlohmann::json& json, const std::string& source);
  nlohmann::json to_json() const;
  // Every field with its type, default, meaning and bounds (for `medllm train --help`).
  static std::vector<FieldHelp> fields();
};

struct TrainResult {
  int64_t steps = 0;
  double last_train_loss = 0.0;
  std::optional<double> initial_eval_loss;  // eval_on_start
  std::optional<double> final_eval_loss;
  std::string checkpoint;    // the final checkpoint directory
  bool interrupted = false;  // stopped through events.cancel (after saving a checkpoint)
};

// Progress, notable events ("resumed from ...") and cancellation go through `events`.
TrainResult train(const TrainOptions& options, const RunEvents& events = {});

}  // namespace medllm
