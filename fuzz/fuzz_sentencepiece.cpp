// libFuzzer target: SentencePiece .model files. The reader, the normalizer's precompiled charsmap
// and the models built from whatever the reader accepts must fail with an Error on bad input,
// never crash: encode fixed texts and text taken from the input, decode ids taken from the input.
// The input is also read as a bare charsmap blob (the Darts double array on arbitrary bytes).
#include <cstddef>
#include <cstdint>
#include <medllm/error.hpp>
#include <medllm/tokenizer.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/sentencepiece/precompiled_charsmap.hpp"
#include "tokenizer/sentencepiece/sentencepiece_tokenizer.hpp"
#include "core/utf8.hpp"

namespace {

const char* const kTexts[] = {
    "Once upon a time 医師",
    "  高アンモニア血症をきたす疾患はどれか。  ",
    "\xEF\xBD\xB6\xEF\xBE\x9E \xE2\x91\xA0\xE3\x80\x80x\ty\nz \xE2\x96\x81",  // ｶﾞ ①　x y z ▁
    "<s><unk><mask>[検査] mg/dL \xF0\x9F\x91\x8D",
    "",
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const medllm::sentencepiece::PrecompiledCharsMap charsmap(bytes);
    for (const char* text : kTexts) (void)charsmap.apply(text);
  } catch (const medllm::Error&) {
  }
  try {
    const auto tokenizer = medllm::SentencePieceTokenizer::from_bytes(bytes, {});
    for (const char* text : kTexts) {
      const auto ids = tokenizer->encode(text);
      (void)tokenizer->decode(ids);
    }
    const std::string tail = medllm::utf8::sanitize(bytes.substr(size > 64 ? size - 64 : 0));
    const auto ids = tokenizer->encode(tail);
    (void)tokenizer->decode(ids);
    std::vector<int32_t> random_ids;
    for (size_t i = 0; i + 1 < size && i < 64; i += 2) {
      random_ids.push_back(static_cast<int32_t>((data[i] | data[i + 1] << 8) % tokenizer->vocab_size()));
    }
    (void)tokenizer->decode(random_ids);
    (void)tokenizer->decode(random_ids, false);
    medllm::StreamDecoder stream(*tokenizer);
    for (int32_t id : random_ids) (void)stream.push(id);
    (void)stream.flush();
  } catch (const medllm::Error&) {
  }
  return 0;
}
