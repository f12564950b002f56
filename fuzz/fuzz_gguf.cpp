// libFuzzer target: the GGUF parser, then the model config and tokenizer built from whatever
// metadata it accepts, must fail with an Error on bad input, never crash; and every tensor the
// parser accepts is dequantized (and finite-checked) in its own type, so mutated blocks reach every
// type's decoder. The same bytes go to the importance matrix reader (GGUF or, without the magic,
// legacy .dat).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <medllm/config.hpp>
#include <medllm/error.hpp>
#include <optional>
#include <span>
#include <vector>

#include "core/dtype.hpp"
#include "formats/gguf.hpp"
#include "formats/gguf_imatrix.hpp"
#include "tokenizer/gguf_sentencepiece.hpp"

namespace {

// The first rows of each tensor medllm computes with (at most 4096 elements), as the model would
// read them.
void decode_tensors(const medllm::GgufFile& file, std::span<const std::byte> bytes) {
  std::vector<float> values;
  for (const auto& info : file.tensors) {
    const std::optional<medllm::DType> dtype = medllm::dtype_from_ggml_type(info.ggml_type);
    if (!dtype) continue;
    const int64_t row = static_cast<int64_t>(info.ne[0]);
    const int64_t rows = std::max<int64_t>(1, std::min<int64_t>(4096 / std::max<int64_t>(row, 1), 4));
    uint64_t total = 1;
    for (const uint64_t extent : info.ne) total *= extent;
    const int64_t count = std::min<int64_t>(static_cast<int64_t>(total), row * rows);
    if (count == 0 || count > 1 << 20) continue;
    const std::byte* data = bytes.data() + file.data_offset + info.offset;
    values.resize(static_cast<size_t>(count));
    medllm::to_f32(*dtype, data, values.data(), count);
    (void)medllm::all_finite(*dtype, data, count);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto bytes = std::as_bytes(std::span(data, size));
  try {
    (void)medllm::parse_imatrix(bytes);
  } catch (const medllm::Error&) {
  }
  try {
    const medllm::GgufFile file = medllm::parse_gguf(bytes);
    decode_tensors(file, bytes);
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
