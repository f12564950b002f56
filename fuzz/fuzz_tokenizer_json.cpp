// libFuzzer target: a tokenizer.json (the input up to the first NUL) is loaded, then the rest of
// the input is encoded and the ids decoded and streamed. Malformed definitions and invalid UTF-8
// must end in an Error; nothing may crash, leak or hang.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <medllm/error.hpp>
#include <nlohmann/json.hpp>
#include <string_view>

#include "tokenizer/hf/hf_tokenizer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find('\0');
  const std::string_view definition = input.substr(0, split);
  const std::string_view text = split == std::string_view::npos ? std::string_view() : input.substr(split + 1);
  const nlohmann::json tokenizer = nlohmann::json::parse(definition, nullptr, /*allow_exceptions=*/false);
  if (tokenizer.is_discarded()) return 0;
  try {
    const medllm::hf::HfTokenizer loaded(tokenizer, nlohmann::json(), "fuzz tokenizer.json");
    const auto ids = loaded.encode(text, true);
    (void)loaded.decode(ids, false);
    medllm::StreamDecoder stream(loaded);
    for (int32_t id : ids) (void)stream.push(id);
    (void)stream.flush();
  } catch (const medllm::Error&) {
  }
  return 0;
}
