// libFuzzer target: the safetensors header parser must reject any byte string with an Error,
// never crash, hang or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <medllm/error.hpp>
#include <span>

#include "formats/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    medllm::parse_safetensors(std::as_bytes(std::span(data, size)));
  } catch (const medllm::Error&) {
  }
  return 0;
}
