// libFuzzer target: the GGUF parser, then the model config and tokenizer built from whatever
// metadata it accepts, must fail with an Error on bad input, never crash.
#include <cstddef>
#include <cstdint>
#include <medllm/config.hpp>
#include <medllm/error.hpp>
#include <span>

#include "formats/gguf.hpp"
#include "tokenizer/gguf_sentencepiece.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const medllm::GgufFile file = medllm::parse_gguf(std::as_bytes(std::span(data, size)));
    try {
      medllm::config_from_gguf(file.metadata, "fuzz.gguf", 0);
    } catch (const medllm::Error&) {
    }
    auto tokenizer = medllm::GgufSentencePieceTokenizer::from_gguf(file.metadata, "fuzz.gguf");
    const auto ids = tokenizer->encode("Once upon a time 医師");
    (void)tokenizer->decode(ids);
  } catch (const medllm::Error&) {
  }
  return 0;
}
