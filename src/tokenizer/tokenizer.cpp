#include <filesystem>
#include <medllm/model.hpp>
#include <medllm/tokenizer.hpp>

#include "core/error.hpp"
#include "tokenizer/spm.hpp"
#include "tokenizer/utf8.hpp"

namespace medllm {

std::unique_ptr<Tokenizer> Tokenizer::load(const Model& model) {
  if (model.format() == "gguf") return SpmTokenizer::from_gguf(model.metadata(), model.path());
  fail("{}: tokenizer.json / tokenizer.model support is not available yet; pass token ids instead", model.path());
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_control) const {
  std::string bytes;
  bool at_start = true;
  for (int32_t id : ids) {
    if (is_control(id)) {
      if (!skip_control) bytes += token_text(id);
      continue;
    }
    bytes += token_bytes(id, at_start);
    at_start = false;
  }
  return utf8::sanitize(bytes);
}

std::string StreamDecoder::push(int32_t id) {
  if (tokenizer_.is_control(id)) return "";
  pending_ += tokenizer_.token_bytes(id, at_start_);
  at_start_ = false;
  return utf8::take_complete(pending_);
}

std::string StreamDecoder::flush() {
  std::string rest = utf8::sanitize(pending_);
  pending_.clear();
  return rest;
}

}  // namespace medllm
