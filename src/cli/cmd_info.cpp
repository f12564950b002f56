// medllm info: the parsed config and the tensor inventory of a model.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "cli/commands.hpp"

namespace medllm::cli {

namespace {

struct InfoFlags {
  ModelFlags model;
  bool json = false;
};

int64_t element_count(const std::vector<int64_t>& shape) {
  int64_t count = 1;
  for (const int64_t extent : shape) count *= extent;
  return count;
}

double bits_per_weight(size_t bytes, int64_t elements) {
  return elements > 0 ? 8.0 * static_cast<double>(bytes) / static_cast<double>(elements) : 0.0;
}

// What the used tensors add up to: bytes, elements, and the count and bytes per stored type, in the
// order the types first appear (llama.cpp's loader prints the same per-type counts and the BPW).
struct Totals {
  size_t bytes = 0, count = 0;
  int64_t elements = 0;
  std::vector<std::pair<std::string, std::pair<size_t, size_t>>> types;  // type -> (tensors, bytes)

  void add(const std::string& type, size_t tensor_bytes, int64_t tensor_elements) {
    bytes += tensor_bytes;
    elements += tensor_elements;
    ++count;
    auto it = std::find_if(types.begin(), types.end(), [&](const auto& entry) { return entry.first == type; });
    if (it == types.end()) it = types.insert(types.end(), {type, {0, 0}});
    ++it->second.first;
    it->second.second += tensor_bytes;
  }
};

Totals used_totals(const std::vector<TensorSummary>& tensors) {
  Totals totals;
  for (const auto& t : tensors) {
    if (t.used) totals.add(t.dtype, t.bytes, element_count(t.shape));
  }
  return totals;
}

void print_json(const Model& model, const std::vector<TensorSummary>& tensors) {
  nlohmann::json out = {{"path", model.path()}, {"format", model.format()}, {"config", model.config().to_json()}};
  nlohmann::json list = nlohmann::json::array();
  for (const auto& t : tensors) {
    list.push_back({{"name", t.name},
                    {"dtype", t.dtype},
                    {"shape", t.shape},
                    {"bytes", t.bytes},
                    {"bits_per_weight", bits_per_weight(t.bytes, element_count(t.shape))},
                    {"file", t.file},
                    {"used", t.used}});
  }
  out["tensors"] = std::move(list);
  const Totals totals = used_totals(tensors);
  out["bits_per_weight"] = bits_per_weight(totals.bytes, totals.elements);
  nlohmann::json types = nlohmann::json::object();
  for (const auto& [type, counts] : totals.types) types[type] = {{"tensors", counts.first}, {"bytes", counts.second}};
  out["types"] = std::move(types);
  fmt::print("{}\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
}

void print_config(const Model& model) {
  fmt::print("model:  {}\nformat: {}\nconfig:\n", model.path(), model.format());
  const nlohmann::json config = model.config().to_json();
  for (const auto& [key, value] : config.items()) {
    if (key == "layers") continue;
    fmt::print("  {:<26} {}\n", key, value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  const auto& layers = model.config().layers;
  for (size_t i = 0; i < layers.size(); ++i) {
    fmt::print("  layer {:<3} {} attention, rope theta {}\n", i, layers[i].sliding ? "sliding" : "full",
               layers[i].rope.theta);
  }
}

void print_tensors(const std::vector<TensorSummary>& tensors) {
  fmt::print("tensors:{:>85}{:>7}\n", "bytes", "bpw");
  for (const auto& t : tensors) {
    fmt::print("  {:<52} {:<6} {:<18} {:>12} {:>6.2f} {}\n", t.name, t.dtype,
               fmt::format("[{}]", fmt::join(t.shape, ", ")), t.bytes, bits_per_weight(t.bytes, element_count(t.shape)),
               t.used ? "" : "(unused)");
  }
  const Totals totals = used_totals(tensors);
  std::vector<std::string> types;
  for (const auto& [type, counts] : totals.types) types.push_back(fmt::format("{} ×{}", type, counts.first));
  fmt::print("{} tensors, {} used by the text model ({:.2f} MiB, {:.2f} bits per weight)\ntypes: {}\n", tensors.size(),
             totals.count, static_cast<double>(totals.bytes) / (1 << 20),
             bits_per_weight(totals.bytes, totals.elements), fmt::join(types, ", "));
}

void run_info(const InfoFlags& flags) {
  const auto model = flags.model.load();
  const auto tensors = model->tensors();
  if (flags.json) return print_json(*model, tensors);
  print_config(*model);
  print_tensors(tensors);
}

}  // namespace

void add_info_command(CLI::App& app) {
  auto flags = std::make_shared<InfoFlags>();
  CLI::App* command = app.add_subcommand("info", "print a model's config and tensor inventory");
  flags->model.add_to(*command);
  command->add_flag("--json", flags->json, "machine-readable output");
  command->footer(R"(Examples:
  medllm info -m data/models/stories260K/stories260K.gguf
  medllm info -m path/to/hf-model-dir --json > info.json
  medllm info -m BASE --checkpoint runs/cpt/checkpoint-200 --no-check-tensors)");
  command->callback([flags] { run_info(*flags); });
}

}  // namespace medllm::cli
