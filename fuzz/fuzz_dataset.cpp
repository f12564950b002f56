// libFuzzer target: the .mlds training-shard reader must accept a shard only when every size,
// offset and token id is consistent, and then every document must be readable; anything else is
// an Error, never a crash or an out-of-bounds read.
#include <cstddef>
#include <cstdint>
#include <medllm/error.hpp>
#include <span>

#include "data/dataset.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const medllm::ShardLayout shard = medllm::parse_shard(std::as_bytes(std::span(data, size)), "fuzz.mlds");
    uint64_t sum = 0;
    for (int64_t d = 0; d < shard.documents; ++d) {
      for (uint64_t i = shard.offsets[d]; i < shard.offsets[d + 1]; ++i)
        sum += shard.token_data[i] + shard.scored_data[i];
    }
    (void)sum;
  } catch (const medllm::Error&) {
  }
  return 0;
}
