#include "pipeline/recipe.hpp"

#include <toml++/toml.h>

#include <set>

#include "core/error.hpp"
#include "core/json_file.hpp"
#include "core/json_options.hpp"
#include "core/strict_number.hpp"

namespace medllm {

namespace {

using json = nlohmann::json;

json to_json(const toml::node& node) {
  if (const auto* table = node.as_table()) {
    json out = json::object();
    for (const auto& [key, value] : *table) out[std::string(key.str())] = to_json(value);
    return out;
  }
  if (const auto* array = node.as_array()) {
    json out = json::array();
    for (const auto& value : *array) out.push_back(to_json(value));
    return out;
  }
  if (const auto* s = node.as_string()) return s->get();
  if (const auto* i = node.as_integer()) return i->get();
  if (const auto* f = node.as_floating_point()) return f->get();
  if (const auto* b = node.as_boolean()) return b->get();
  // Dates and times have no use in a recipe; an error names where one was written.
  fail("line {}: dates and times are not recipe values", node.source().begin.line);
}

template <typename Visitor>
void visit_eval(RecipeEval& e, Visitor&& visit) {
  visit("heldout", e.heldout, {"held-out loss / perplexity on the first stage's validation split"});
  visit("heldout_rows", e.heldout_rows, {"rows of the held-out split measured; 0: all", 0});
  visit("benchmarks", e.benchmarks, {"`medllm eval` benchmark names"});
  visit("data_root", e.data_root, {"where the benchmarks' files are"});
  visit("limit", e.limit, {"items per benchmark; 0: all", 0});
  visit("method", e.method, {"auto (each benchmark's protocol), loglik or generate"});
  visit("shots", e.shots, {"few-shot examples", 0, 64});
  visit("prompts", e.prompts, {"sample generations, shown before and after"});
  visit("max_new_tokens", e.max_new_tokens, {"length of each sample generation", 1});
  visit("temperature", e.temperature, {"sampling temperature of the sample generations; 0: greedy", 0});
  visit("repeat_penalty", e.repeat_penalty, {"llama.cpp's repetition penalty; 1: off", 0});
}

// The [run] and [model] tables.
struct RunSection {
  std::string name = "recipe";
  std::string output_dir;
  uint64_t seed = 42;
  int threads = 0;
};

template <typename Visitor>
void visit_run(RunSection& r, Visitor&& visit) {
  visit("name", r.name);
  visit("output_dir", r.output_dir);
  visit("seed", r.seed);
  visit("threads", r.threads, {"worker threads; 0: all cores", 0, 4096});
}

struct ModelSection {
  std::string path;
};

// Walks to the value a dotted override names; stage elements are found by name or index.
json& override_target(json& config, const std::string& path, const std::string& source) {
  json* at = &config;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty()) fail("{}: override '{}' has an empty key", source, path);
    if (at->is_array()) {
      json* found = nullptr;
      for (auto& element : *at) {
        if (element.is_object() && element.value("name", "") == part) found = &element;
      }
      if (found == nullptr && part.find_first_not_of("0123456789") == std::string::npos) {
        const auto index = parse_number<uint64_t>(part, fmt::format("{}: override '{}': stage index", source, path));
        if (index < at->size()) found = &(*at)[index];
      }
      if (found == nullptr) fail("{}: override '{}': no stage named '{}'", source, path, part);
      at = found;
    } else {
      if (at->is_null()) *at = json::object();  // a section the recipe leaves out
      if (!at->is_object()) fail("{}: override '{}': '{}' is not a table", source, path, part);
      at = &(*at)[part];
    }
    if (dot == std::string::npos) return *at;
    start = dot + 1;
  }
}

void apply_override(json& config, const std::string& assignment, const std::string& source) {
  const size_t equals = assignment.find('=');
  if (equals == std::string::npos || equals == 0)
    fail("{}: override '{}' is not KEY=VALUE (for example stage.cpt.train.max_steps=40)", source, assignment);
  const std::string text = assignment.substr(equals + 1);
  json value = json::parse(text, nullptr, false);
  if (value.is_discarded()) value = text;  // a bare word: a string
  override_target(config, assignment.substr(0, equals), source) = value;
}

const json& section(const json& config, const char* key, const std::string& source) {
  static const json empty = json::object();
  if (!config.contains(key)) return empty;
  if (!config[key].is_object()) fail("{}: [{}] must be a table", source, key);
  return config[key];
}

}  // namespace

Recipe recipe_from_json(json config, const std::string& source, const std::vector<std::string>& overrides) {
  if (!config.is_object()) fail("{}: a recipe must be a table", source);
  for (const std::string& assignment : overrides) apply_override(config, assignment, source);
  for (const auto& [key, value] : config.items()) {
    if (key != "run" && key != "model" && key != "eval" && key != "stage")
      fail("{}: unknown section '{}' (known: run, model, eval, stage)", source, key);
  }
  Recipe r;
  r.source = source;
  r.resolved = config;

  const auto run = options_from_json<RunSection>(section(config, "run", source), source + " [run]",
                                                 [](RunSection& o, auto&& visit) { visit_run(o, visit); });
  r.name = run.name;
  r.output_dir = run.output_dir.empty() ? "runs/" + r.name : run.output_dir;
  r.seed = run.seed;
  r.threads = run.threads;
  r.model = options_from_json<ModelSection>(section(config, "model", source), source + " [model]",
                                            [](ModelSection& o, auto&& visit) { visit("path", o.path); })
                .path;
  if (r.model.empty()) fail("{}: [model] path is required", source);

  r.eval = options_from_json<RecipeEval>(section(config, "eval", source), source + " [eval]",
                                         [](RecipeEval& e, auto&& visit) { visit_eval(e, visit); });
  if (!r.eval.benchmarks.empty() && r.eval.data_root.empty())
    fail("{}: [eval] benchmarks need data_root, the directory their files are in", source);

  if (!config.contains("stage") || !config["stage"].is_array() || config["stage"].empty())
    fail("{}: no [[stage]] (a recipe needs at least one training stage)", source);
  std::set<std::string> names;
  for (size_t i = 0; i < config["stage"].size(); ++i) {
    const json& stage = config["stage"][i];
    const std::string where = fmt::format("{} [[stage]] {}", source, i + 1);
    if (!stage.is_object()) fail("{}: must be a table", where);
    RecipeStage s;
    s.name = stage.value("name", fmt::format("stage{}", i + 1));
    if (s.name.empty() || s.name.find_first_of("/\\. ") != std::string::npos)
      fail("{}: name '{}' must be a plain word (it names the stage's directory)", where, s.name);
    if (!names.insert(s.name).second) fail("{}: a second stage named '{}'", where, s.name);
    for (const auto& [key, value] : stage.items()) {
      if (key != "name" && key != "data" && key != "train")
        fail("{}: unknown field '{}' (known: name, data, train)", where, key);
    }
    for (const char* key : {"data", "train"}) {
      if (!stage.contains(key) || !stage[key].is_object()) fail("{}: [stage.{}] table is required", where, key);
    }
    for (const char* owned : {"out_dir"}) {
      if (stage["data"].contains(owned)) fail("{}: data.{} is set by the pipeline", where, owned);
    }
    for (const char* owned : {"model", "data", "output_dir", "seed", "threads", "resume_from_checkpoint"}) {
      if (stage["train"].contains(owned)) fail("{}: train.{} is set by the pipeline", where, owned);
    }
    s.data = PrepareOptions::from_json(stage["data"], where + " data");
    if (s.data.inputs.empty()) fail("{}: data.inputs names no file", where);
    s.train = TrainOptions::from_json(stage["train"], where + " train");
    r.stages.push_back(std::move(s));
  }
  return r;
}

Recipe read_recipe(const std::string& path, const std::vector<std::string>& overrides) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    fail("{}:{}:{}: {}", path, e.source().begin.line, e.source().begin.column, e.description());
  }
  return recipe_from_json(to_json(table), path, overrides);
}

}  // namespace medllm
