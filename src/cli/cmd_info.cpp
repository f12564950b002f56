// medllm info: the parsed config and the tensor inventory of a model.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>

#include "cli/commands.hpp"

namespace medllm::cli {

namespace {

struct InfoFlags {
  ModelFlags model;
  bool json = false;
};

void run_info(const InfoFlags& flags) {
  const auto model = flags.model.load();
  const auto tensors = model->tensors();
  if (flags.json) {
    nlohmann::json out = {{"path", model->path()}, {"format", model->format()}, {"config", model->config().to_json()}};
    nlohmann::json list = nlohmann::json::array();
    for (const auto& t : tensors) {
      list.push_back({{"name", t.name},
                      {"dtype", t.dtype},
                      {"shape", t.shape},
                      {"bytes", t.bytes},
                      {"file", t.file},
                      {"used", t.used}});
    }
    out["tensors"] = std::move(list);
    fmt::print("{}\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    return;
  }
  fmt::print("model:  {}\nformat: {}\nconfig:\n", model->path(), model->format());
  const nlohmann::json config = model->config().to_json();
  for (const auto& [key, value] : config.items()) {
    if (key == "layers") continue;
    fmt::print("  {:<26} {}\n", key, value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  const auto& layers = model->config().layers;
  for (size_t i = 0; i < layers.size(); ++i) {
    fmt::print("  layer {:<3} {} attention, rope theta {}\n", i, layers[i].sliding ? "sliding" : "full",
               layers[i].rope.theta);
  }
  size_t used_bytes = 0;
  size_t used_count = 0;
  fmt::print("tensors:\n");
  for (const auto& t : tensors) {
    fmt::print("  {:<52} {:<6} {:<18} {:>12} {}\n", t.name, t.dtype, fmt::format("[{}]", fmt::join(t.shape, ", ")),
               t.bytes, t.used ? "" : "(unused)");
    if (t.used) {
      used_bytes += t.bytes;
      ++used_count;
    }
  }
  fmt::print("{} tensors, {} used by the text model ({:.2f} MiB)\n", tensors.size(), used_count,
             static_cast<double>(used_bytes) / (1 << 20));
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
