// medllm train: continued pretraining / SFT, full or LoRA (src/train/trainer.hpp). Settings come
// from --config FILE.json (transformers TrainingArguments / PEFT names) and from flags of the same
// names (--learning-rate 3e-4 sets learning_rate); flags win.

#include <fmt/format.h>

#include <cstdio>
#include <map>
#include <medllm/error.hpp>

#include "cli/commands.hpp"
#include "core/json_file.hpp"
#include "train/trainer.hpp"

namespace medllm::cli {

namespace {

struct TrainFlags {
  std::string config_file;
  bool resume = false;
  std::map<std::string, std::string> values;  // option key → flag text
};

// The flag text as the JSON type of the option's default.
nlohmann::json parse_flag(const std::string& key, const std::string& text, const nlohmann::json& like) {
  try {
    if (like.is_string()) return text;
    if (like.is_boolean()) {
      if (text == "true" || text == "1") return true;
      if (text == "false" || text == "0") return false;
      throw std::invalid_argument(text);
    }
    if (like.is_number_float()) return std::stod(text);
    if (like.is_number_unsigned()) return std::stoull(text);
    if (like.is_number_integer()) return std::stoll(text);
    if (like.is_array()) {
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
  } catch (const std::exception&) {
  }
  throw Error(fmt::format("--{}: cannot read '{}' as {}", key, text, like.type_name()));
}

void run_train(const TrainFlags& flags) {
  nlohmann::json config = flags.config_file.empty() ? nlohmann::json::object() : read_json_file(flags.config_file);
  const nlohmann::json defaults = TrainOptions{}.to_json();
  for (const auto& [key, text] : flags.values) config[key] = parse_flag(key, text, defaults.at(key));
  if (flags.resume && !config.contains("resume_from_checkpoint")) config["resume_from_checkpoint"] = "latest";
  const TrainOptions options =
      TrainOptions::from_json(config, flags.config_file.empty() ? "command line" : flags.config_file);
  const TrainResult result = train(options);
  fmt::print("{{\"steps\": {}, \"train_loss\": {}, \"eval_loss\": {}, \"checkpoint\": \"{}\"}}\n", result.steps,
             result.last_train_loss, result.final_eval_loss ? fmt::format("{}", *result.final_eval_loss) : "null",
             result.checkpoint);
  if (result.interrupted) std::exit(130);
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto flags = std::make_shared<TrainFlags>();
  CLI::App* command =
      app.add_subcommand("train", "continued pretraining or SFT, full or LoRA, with checkpoints and exact resume");
  command->add_option("-c,--config", flags->config_file, "JSON file of training settings");
  command->add_flag("--resume", flags->resume, "continue from the latest checkpoint in --output-dir");
  const nlohmann::json defaults = TrainOptions{}.to_json();
  for (const auto& [key, value] : defaults.items()) {
    std::string flag = "--" + key;
    for (char& c : flag) c = c == '_' ? '-' : c;
    if (key == "model") flag = "-m," + flag;
    std::string help = "training setting " + key;
    if (!value.is_string() || !value.get<std::string>().empty()) help += " (default " + value.dump() + ")";
    command
        ->add_option_function<std::string>(
            flag, [flags, key = key](const std::string& text) { flags->values[key] = text; }, help)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // a repeated flag: the last wins
  }
  command->callback([flags] { run_train(*flags); });
}

}  // namespace medllm::cli
