#pragma once
// `medllm pipeline`: runs a recipe end to end. The base model is measured (held-out perplexity on
// the first stage's validation split, benchmark accuracy, sample answers), every stage prepares
// its data and trains on the previous stage's model, the result is measured the same way, and a
// before/after table, pipeline.json and report.html are written. Everything is seeded, so the
// same recipe and seed give the same numbers; a re-run reuses prepared data and resumes training
// from the last checkpoints.

#include <nlohmann/json.hpp>

#include "pipeline/recipe.hpp"

namespace medllm {

// Returns pipeline.json's content (also written to the recipe's output_dir).
nlohmann::ordered_json run_pipeline(const Recipe& recipe);

}  // namespace medllm
