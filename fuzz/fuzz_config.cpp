// libFuzzer target: config.json parsing (JSON syntax, then every field check) must end in a
// ModelConfig or an Error, never a crash or an unchecked exception.
#include <cstddef>
#include <cstdint>
#include <medllm/config.hpp>
#include <medllm/error.hpp>
#include <nlohmann/json.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto* text = reinterpret_cast<const char*>(data);
  const nlohmann::json config = nlohmann::json::parse(text, text + size, nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded()) return 0;
  try {
    const medllm::ModelConfig parsed = medllm::config_from_hf(config, "config.json");
    for (const auto& layer : parsed.layers) {
      (void)medllm::rope_inverse_frequencies(layer.rope, parsed.head_dim, parsed.rope_freq_factors);
    }
    (void)parsed.to_json().dump();
  } catch (const medllm::Error&) {
  }
  return 0;
}
