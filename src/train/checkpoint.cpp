#include "train/checkpoint.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/json_file.hpp"
#include "formats/safetensors.hpp"
#include "formats/tensor_store.hpp"

namespace medllm {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPrefix = "checkpoint-";

std::vector<std::pair<int64_t, fs::path>> checkpoints(const fs::path& out_dir) {
  std::vector<std::pair<int64_t, fs::path>> found;
  if (!fs::is_directory(out_dir)) return found;
  for (const auto& entry : fs::directory_iterator(out_dir)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory() || !name.starts_with(kPrefix)) continue;
    const std::string digits = name.substr(std::strlen(kPrefix));
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), ::isdigit)) continue;
    if (!fs::exists(entry.path() / "trainer_state.json")) continue;  // written last
    found.emplace_back(std::stoll(digits), entry.path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace

std::string save_checkpoint(const std::string& out_dir, AdamW& optimizer, const CheckpointState& state, int keep,
                            const std::function<void()>& half_written) {
  const fs::path final_dir = fs::path(out_dir) / fmt::format("{}{}", kPrefix, state.step);
  const fs::path partial = fs::path(out_dir) / fmt::format(".{}{}.partial", kPrefix, state.step);
  fs::remove_all(partial);
  fs::create_directories(partial);

  std::vector<std::pair<std::string, TensorView>> weights, moments;
  const auto& params = optimizer.parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    weights.emplace_back(params[i]->name, params[i]->view());
    const TensorView m{DType::F32, params[i]->shape,
                       reinterpret_cast<const std::byte*>(optimizer.first_moments()[i].data())};
    const TensorView v{DType::F32, params[i]->shape,
                       reinterpret_cast<const std::byte*>(optimizer.second_moments()[i].data())};
    moments.emplace_back(params[i]->name + ".exp_avg", m);
    moments.emplace_back(params[i]->name + ".exp_avg_sq", v);
  }
  write_safetensors((partial / "model.safetensors").string(), weights);
  if (half_written) half_written();
  write_safetensors((partial / "optimizer.safetensors").string(), moments,
                    {{"format", "pt"}, {"optimizer", "adamw"}, {"step", std::to_string(optimizer.steps())}});
  nlohmann::json trainer = state.trainer;
  trainer["global_step"] = state.step;
  trainer["optimizer_steps"] = optimizer.steps();
  write_file_atomically((partial / "trainer_state.json").string(), trainer.dump(2) + "\n");
  sync_directory(partial.string());

  if (fs::exists(final_dir)) fs::remove_all(final_dir);  // a re-run of the same step replaces it
  fs::rename(partial, final_dir);
  sync_directory(out_dir);

  if (keep > 0) {
    auto all = checkpoints(out_dir);
    while (static_cast<int>(all.size()) > keep) {
      fs::remove_all(all.front().second);
      all.erase(all.begin());
    }
  }
  return final_dir.string();
}

std::optional<std::string> latest_checkpoint(const std::string& out_dir) {
  const auto all = checkpoints(out_dir);
  if (all.empty()) return std::nullopt;
  return all.back().second.string();
}

CheckpointState load_checkpoint(const std::string& directory, AdamW& optimizer) {
  CheckpointState state;
  state.trainer = read_json_file((fs::path(directory) / "trainer_state.json").string());
  if (!state.trainer.contains("global_step") || !state.trainer["global_step"].is_number_integer())
    fail("{}/trainer_state.json: field 'global_step' must be an integer", directory);
  state.step = state.trainer["global_step"].get<int64_t>();

  TensorStore weights, moments;
  const std::string weights_path = (fs::path(directory) / "model.safetensors").string();
  const std::string moments_path = (fs::path(directory) / "optimizer.safetensors").string();
  load_safetensors(weights_path, weights);
  load_safetensors(moments_path, moments);
  const auto copy = [](const TensorStore& store, const std::string& path, const std::string& name, const Shape& shape,
                       float* into) {
    const TensorEntry* entry = store.find(name);
    if (entry == nullptr) fail("{}: tensor '{}' is missing (was the checkpoint made with other settings?)", path, name);
    if (entry->dtype != DType::F32 || entry->shape != shape)
      fail("{}: tensor '{}' is {} {}, expected F32 {}", path, name, entry->stored_type, shape_to_string(entry->shape),
           shape_to_string(shape));
    std::memcpy(into, entry->data, entry->nbytes);
  };
  const auto& params = optimizer.parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    Parameter& p = *params[i];
    copy(weights, weights_path, p.name, p.shape, p.value.data());
    copy(moments, moments_path, p.name + ".exp_avg", p.shape, optimizer.first_moments()[i].data());
    copy(moments, moments_path, p.name + ".exp_avg_sq", p.shape, optimizer.second_moments()[i].data());
  }
  if (weights.entries().size() != params.size())
    fail("{}: holds {} tensors, the model being trained has {} trained parameters", weights_path,
         weights.entries().size(), params.size());
  const nlohmann::json& steps =
      state.trainer.contains("optimizer_steps") ? state.trainer["optimizer_steps"] : nlohmann::json(state.step);
  if (!steps.is_number_integer()) fail("{}/trainer_state.json: field 'optimizer_steps' must be an integer", directory);
  optimizer.set_steps(steps.get<int64_t>());
  return state;
}

}  // namespace medllm
