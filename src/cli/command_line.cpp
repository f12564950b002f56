// Command lines CLI11 would misread or answer unhelpfully: an unknown subcommand ("A subcommand is
// required"), a misspelt option ("The following arguments were not expected"), and llama.cpp
// flags that medllm does not have (CLI11 splits -ngl 99 into -n gl). Each gets a message naming
// the word and, where one is near, the name meant.

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <string_view>

#include "cli/commands.hpp"

namespace medllm::cli {

namespace {

struct UnsupportedFlag {
  std::vector<std::string_view> names;
  std::string_view what;
  std::string_view why;
};

const std::vector<UnsupportedFlag>& llama_cpp_flags() {
  static const std::vector<UnsupportedFlag> flags = {
      {{"-ngl", "--n-gpu-layers", "--gpu-layers"}, "llama.cpp's GPU layers", "medllm runs on the CPU"},
      {{"-sm", "--split-mode"}, "llama.cpp's multi-GPU split mode", "medllm runs on the CPU"},
      {{"-ts", "--tensor-split"}, "llama.cpp's multi-GPU tensor split", "medllm runs on the CPU"},
      {{"-mg", "--main-gpu"}, "llama.cpp's main GPU", "medllm runs on the CPU"},
      {{"-dev", "--device"}, "llama.cpp's device list", "medllm runs on the CPU"},
      {{"-nkvo", "--no-kv-offload"}, "llama.cpp's KV-cache offload", "medllm runs on the CPU"},
      {{"-fa", "--flash-attn"}, "llama.cpp's flash attention", "medllm has one attention kernel, always used"},
      {{"--no-mmap"}, "llama.cpp's no-mmap", "medllm always memory-maps the weights"},
      {{"--mlock"}, "llama.cpp's mlock", "medllm does not lock the weights in memory"},
      {{"--numa"}, "llama.cpp's NUMA placement", "medllm does not place memory by NUMA node"},
      {{"-ctk", "--cache-type-k", "-ctv", "--cache-type-v"},
       "llama.cpp's KV-cache type",
       "medllm's KV cache type is fixed"},
  };
  return flags;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), size_t{0});
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string_view without_dashes(std::string_view name) {
  return name.substr(std::min(name.find_first_not_of('-'), name.size()));
}

// "; did you mean 'X'?" for the candidate nearest to word (one a prefix of the other, at least 3
// letters long, or within max(2, length / 3) edits), or "".
std::string suggestion(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_score = std::numeric_limits<size_t>::max();
  for (const std::string& candidate : candidates) {
    const std::string_view bare_word = without_dashes(word), bare_candidate = without_dashes(candidate);
    const bool prefix = std::min(bare_word.size(), bare_candidate.size()) >= 3 &&
                        (bare_candidate.starts_with(bare_word) || bare_word.starts_with(bare_candidate));
    const size_t distance = edit_distance(word, candidate);
    if (!prefix && distance > std::max<size_t>(2, word.size() / 3)) continue;
    const size_t score = prefix ? std::min<size_t>(distance, 1) : distance;
    if (score < best_score) best_score = score, best = candidate;
  }
  return best.empty() ? "" : fmt::format("; did you mean '{}'?", best);
}

std::string command_path(const CLI::App& command) {
  std::string path;
  for (const CLI::App* at = &command; at != nullptr; at = at->get_parent())
    path = at->get_parent() == nullptr ? "medllm" + path : " " + at->get_name() + path;
  return path;
}

// Follows args[i...] down the subcommands; returns a message for a word that names none.
std::string walk_subcommands(CLI::App*& command, const std::vector<std::string>& args, size_t& i) {
  for (; i < args.size(); ++i) {
    const auto subcommands = command->get_subcommands([](CLI::App*) { return true; });
    if (subcommands.empty() || args[i].starts_with('-')) return "";
    const auto named = std::find_if(subcommands.begin(), subcommands.end(),
                                    [&](const CLI::App* sub) { return sub->check_name(args[i]); });
    CLI::App* next = named == subcommands.end() ? nullptr : *named;
    if (next == nullptr) {
      std::vector<std::string> names;
      for (const CLI::App* sub : subcommands) names.push_back(sub->get_name());
      const std::string of = command->get_parent() == nullptr ? "" : " of '" + command_path(*command) + "'";
      return fmt::format("unknown subcommand '{}'{}{} ('{} --help' lists them)", args[i], of,
                         suggestion(args[i], names), command_path(*command));
    }
    command = next;
  }
  return "";
}

std::string unsupported_flag(const CLI::App& command, const std::string& name) {
  if (command.get_option_no_throw(name) != nullptr) return "";  // this subcommand has a flag of that name
  for (const UnsupportedFlag& flag : llama_cpp_flags()) {
    if (std::find(flag.names.begin(), flag.names.end(), name) != flag.names.end())
      return fmt::format("{} ({}) is not supported: {}", name, flag.what, flag.why);
  }
  return "";
}

bool is_number(const std::string& text) {
  double value = 0;
  return read_number(text, value).empty();
}

// The option names of a command as typed: "--temp", "-s".
std::vector<std::string> option_names(const CLI::App& command) {
  std::vector<std::string> names;
  for (const CLI::Option* option : command.get_options()) {
    for (const std::string& name : option->get_lnames()) names.push_back("--" + name);
    for (const std::string& name : option->get_snames()) names.push_back("-" + name);
  }
  return names;
}

std::string unknown_option(const CLI::App& command, const std::string& arg, const std::string& name) {
  if (arg.size() < 2 || !arg.starts_with('-') || is_number(arg)) return "";
  if (command.get_option_no_throw(name) != nullptr) return "";
  const bool single_dash = !arg.starts_with("--");
  if (single_dash && command.get_option_no_throw("-" + name) != nullptr)  // -temp: CLI11 reads -t emp
    return fmt::format("unknown option '{}'; did you mean '-{}'?", name, name);
  // -n5 or -xv: a known short option with its value or more flags attached
  if (single_dash && command.get_option_no_throw(arg.substr(0, 2)) != nullptr) return "";
  return fmt::format("unknown option '{}'{} ('{} --help' lists the options)", name,
                     suggestion(name, option_names(command)), command_path(command));
}

}  // namespace

std::string diagnose_command_line(CLI::App& app, const std::vector<std::string>& args, bool options_too) {
  CLI::App* command = &app;
  size_t i = 0;
  if (std::string problem = walk_subcommands(command, args, i); !problem.empty()) return problem;
  for (; i < args.size() && args[i] != "--"; ++i) {
    const std::string name = args[i].substr(0, args[i].find('='));
    if (std::string problem = unsupported_flag(*command, name); !problem.empty()) return problem;
    if (!options_too) continue;
    if (std::string problem = unknown_option(*command, args[i], name); !problem.empty()) return problem;
  }
  return "";
}

}  // namespace medllm::cli
