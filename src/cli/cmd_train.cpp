// medllm train: continued pretraining / SFT, full or LoRA (src/train/trainer.hpp). Settings come
// from --config FILE.json (transformers TrainingArguments / PEFT names) and from flags of the same
// names (--learning-rate 3e-4 sets learning_rate); flags win.

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <medllm/error.hpp>

#include "cli/commands.hpp"
#include "cli/console.hpp"
#include "core/json_file.hpp"
#include "core/strict_number.hpp"
#include "report/training_report.hpp"
#include "train/trainer.hpp"

namespace medllm::cli {

namespace {

struct TrainFlags {
  std::string config_file;
  bool resume = false;
  std::map<std::string, std::string> values;  // option key → flag text
};

std::string flag_name(const std::string& key) {
  std::string flag = "--" + key;
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

// The flag text as the JSON value of the setting's type; numbers are read strictly
// (core/strict_number.hpp) and checked against the field's range and bounds by from_json.
nlohmann::json parse_flag(const FieldHelp& field, const std::string& text) {
  const std::string flag = flag_name(field.key);
  if (field.type == "INT") {
    if (text.starts_with('-')) return parse_number<int64_t>(text, flag);
    return parse_number<uint64_t>(text, flag);
  }
  if (field.type == "FLOAT") return parse_number<double>(text, flag);
  if (field.type == "BOOL") {  // a bare --flag means true, as transformers' HfArgumentParser reads it
    if (text.empty() || text == "true" || text == "1") return true;
    if (text == "false" || text == "0") return false;
    throw Error(fmt::format("{}: '{}' is not true or false", flag, text));
  }
  if (field.type == "LIST") {
    nlohmann::json list = nlohmann::json::array();
    size_t start = 0;
    while (start <= text.size()) {
      const size_t comma = text.find(',', start);
      const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!item.empty()) list.push_back(item);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return list;
  }
  return text;
}

// The settings given as flags, each checked on its own so an error names the flag's setting.
nlohmann::json flag_settings(const TrainFlags& flags) {
  nlohmann::json settings = nlohmann::json::object();
  for (const FieldHelp& field : TrainOptions::fields()) {
    const auto given = flags.values.find(field.key);
    if (given != flags.values.end()) settings[field.key] = parse_flag(field, given->second);
  }
  TrainOptions::from_json(settings, "command line");
  return settings;
}

void run_train(const TrainFlags& flags) {
  nlohmann::json config = flags.config_file.empty() ? nlohmann::json::object() : read_json_file(flags.config_file);
  if (!flags.config_file.empty()) TrainOptions::from_json(config, flags.config_file);  // its errors name the file
  config.update(flag_settings(flags));
  if (flags.resume && !config.contains("resume_from_checkpoint")) config["resume_from_checkpoint"] = "latest";
  const TrainOptions options = TrainOptions::from_json(config, "settings");
  CancelToken stop;
  const StopOnSignals signals(stop);  // Ctrl-C: save a checkpoint, then stop
  const TrainResult result = train(options, console_events(&stop));
  report::write_training_report(options.output_dir, options.to_json());  // an interrupted run's curves too
  const nlohmann::json summary = {
      {"steps", result.steps},
      {"train_loss", result.last_train_loss},
      {"eval_loss", result.final_eval_loss ? nlohmann::json(*result.final_eval_loss) : nlohmann::json(nullptr)},
      {"checkpoint", result.checkpoint}};
  fmt::print("{}\n", summary.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (result.interrupted) std::exit(130);
}

// "[5e-05]" as CLI11 shows defaults; none for an empty text or list.
std::string default_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::string joined;
    for (const auto& item : value) joined += (joined.empty() ? "" : ",") + item.get<std::string>();
    return joined;
  }
  return value.dump();
}

std::string help_text(const FieldHelp& field) {
  const std::string bounds = bounds_text(field.doc);
  return fmt::format("{}{} (setting {})", field.doc.text, bounds.empty() ? "" : "; " + bounds, field.key);
}

void add_setting_flags(CLI::App& command, const std::shared_ptr<TrainFlags>& flags) {
  for (const FieldHelp& field : TrainOptions::fields()) {
    const std::string flag = (field.key == "model" ? "-m," : "") + flag_name(field.key);
    CLI::Option* option =
        command
            .add_option_function<std::string>(
                flag, [flags, key = field.key](const std::string& text) { flags->values[key] = text; },
                help_text(field))
            ->type_name(field.type)
            ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // a repeated flag: the last wins
    if (field.type == "BOOL") {
      // A bare --flag means true. CLI11 hands a bare option its default_str, so a BOOL's default
      // goes into the description instead.
      option->expected(0, 1)->description(
          fmt::format("{} [default {}]", help_text(field), default_text(field.default_value)));
    } else {
      option->default_str(default_text(field.default_value));
    }
  }
}

const char* const kExamples = R"(Examples:
  medllm train -m data/models/stories260K/stories260K.gguf --data runs/medquad --output-dir runs/cpt \
      --max-steps 600 --learning-rate 2e-3 --lr-scheduler-type cosine --warmup-steps 30 --save-steps 200
  medllm train -m BASE --data runs/sft --output-dir runs/lora --finetuning-type lora --lora-r 8 \
      --lora-target-modules q_proj,k_proj,v_proj,o_proj --learning-rate 1e-3
  medllm train -c settings.json --output-dir runs/cpt --resume    # continue from the latest checkpoint
Settings use transformers' TrainingArguments and PEFT's LoraConfig names; flags override --config.)";

}  // namespace

void add_train_command(CLI::App& app) {
  auto flags = std::make_shared<TrainFlags>();
  CLI::App* command =
      app.add_subcommand("train", "continued pretraining or SFT, full or LoRA, with checkpoints and exact resume");
  command->add_option("-c,--config", flags->config_file, "JSON file of training settings (the names below)");
  command->add_flag("--resume", flags->resume, "continue from the latest checkpoint in --output-dir");
  add_setting_flags(*command, flags);
  command->footer(kExamples);
  command->callback([flags] { run_train(*flags); });
}

}  // namespace medllm::cli
