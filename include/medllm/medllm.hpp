#pragma once
// The medllm C++ API: load a model, tokenize, run forward passes and generate.
//
//   auto model = medllm::Model::load("path/to/model");            // HF directory or .gguf
//   auto tokenizer = medllm::Tokenizer::load(*model);
//   medllm::GenerateOptions options;
//   options.sampling.temperature = 0;                             // greedy
//   auto result = medllm::generate(*model, *tokenizer, "Once upon a time", options);

#include <medllm/config.hpp>
#include <medllm/error.hpp>
#include <medllm/generate.hpp>
#include <medllm/model.hpp>
#include <medllm/scoring.hpp>
#include <medllm/session.hpp>
#include <medllm/tokenizer.hpp>
