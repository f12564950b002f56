// Embedding medllm in your own C++ program: load a model, tokenize, run a forward pass, and
// generate with streaming output. Build against the `libmedllm` CMake target; only the public
// headers under include/medllm/ are used.
//
//   ./embed_generate MODEL_PATH "Once upon a time"

#include <algorithm>
#include <cstdio>
#include <medllm/medllm.hpp>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL_PATH PROMPT\n", argv[0]);
    return 2;
  }
  try {
    const auto model = medllm::Model::load(argv[1]);
    const auto tokenizer = medllm::Tokenizer::load(*model);

    // One forward pass: the most likely next token after the prompt.
    const std::vector<int32_t> ids = tokenizer->encode(argv[2]);
    medllm::Session session(*model);
    const auto logits = session.forward(ids);
    const auto best = std::max_element(logits.begin(), logits.end()) - logits.begin();
    std::printf("prompt: %zu tokens; most likely next token: %ld '%s'\n", ids.size(), static_cast<long>(best),
                tokenizer->token_text(static_cast<int32_t>(best)).c_str());

    // Streaming generation, greedy.
    medllm::GenerateOptions options;
    options.max_tokens = 40;
    options.sampling.temperature = 0.0f;
    std::printf("%s", argv[2]);
    const auto result = medllm::generate(*model, *tokenizer, argv[2], options, [](std::string_view text) {
      std::fwrite(text.data(), 1, text.size(), stdout);
      return true;
    });
    std::printf("\n[%zu tokens, stop: %s]\n", result.tokens.size(), medllm::stop_reason_name(result.stop_reason));
  } catch (const medllm::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
