// libFuzzer target: the RFC 4180 reader behind the JMMLU and JMED-LLM loaders must end in
// records or an Error (bad quoting, invalid UTF-8, BOMs), never a crash.
#include <cstddef>
#include <cstdint>
#include <medllm/error.hpp>
#include <string_view>

#include "eval/csv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    (void)medllm::eval::parse_csv(medllm::eval::check_utf8_text(text, "fuzz.csv"), "fuzz.csv");
  } catch (const medllm::Error&) {
  }
  return 0;
}
