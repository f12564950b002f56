#pragma once
// `medllm pipeline`: runs a recipe end to end. The base model is measured (held-out perplexity on
// the first stage's validation split, benchmark accuracy, sample answers), every stage prepares
// its data and trains on the previous stage's model, the result is measured the same way, and a
// before/after table, pipeline.json and report.html are written. Everything is seeded, so the
// same recipe and seed give the same numbers; a re-run reuses prepared data and resumes training
// from the last checkpoints.

#include <nlohmann/json.hpp>

#include <string>

#include "core/events.hpp"
#include "pipeline/recipe.hpp"

namespace medllm {

// Returns pipeline.json's content (also written to the recipe's output_dir, with report.html).
// Stage titles, data counts and training progress go through `events`.
nlohmann::ordered_json run_pipeline(const Recipe& recipe, const RunEvents& events = {});

// The before/after table of a pipeline.json's "before" and "after" measurements, as text.
std::string before_after_table(const nlohmann::ordered_json& before, const nlohmann::ordered_json& after);

}  // namespace medllm
