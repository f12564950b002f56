#include <algorithm>
#include <cctype>
#include <filesystem>
#include <medllm/tokenizer.hpp>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/json_fields.hpp"
#include "core/json_file.hpp"
#include "core/mapped_file.hpp"
#include "core/utf8.hpp"
#include "formats/gguf.hpp"
#include "tokenizer/gguf_vocab.hpp"
#include "tokenizer/hf/hf_tokenizer.hpp"
#include "tokenizer/sentencepiece/sentencepiece_tokenizer.hpp"

namespace medllm {

namespace fs = std::filesystem;

namespace {

// A SentencePiece .model, with BOS/EOS as tokenizer_config.json beside it says (Llama's default:
// BOS on, EOS off).
std::unique_ptr<Tokenizer> sentencepiece_from_file(const fs::path& model) {
  SentencePieceTokenizer::Options options;
  const fs::path config_path = model.parent_path() / "tokenizer_config.json";
  if (fs::exists(config_path)) {
    const nlohmann::json config = read_json_file(config_path.string());
    if (config.is_object()) {
      options.add_bos = optional_bool(config, "add_bos_token", config_path.string(), options.add_bos);
      options.add_eos = optional_bool(config, "add_eos_token", config_path.string(), options.add_eos);
    }
  }
  return SentencePieceTokenizer::from_file(model.string(), options);
}

}  // namespace

std::unique_ptr<Tokenizer> Tokenizer::from_path(const std::string& path_text) {
  const fs::path path(path_text);
  std::error_code error;
  if (!fs::exists(path, error)) fail("{}: no such file or directory", path_text);
  if (fs::is_directory(path)) {
    if (fs::exists(path / "tokenizer.json")) return hf::HfTokenizer::from_path(path_text);
    if (fs::exists(path / "tokenizer.model")) return sentencepiece_from_file(path / "tokenizer.model");
    fail("{}: no tokenizer.json or tokenizer.model in the directory", path_text);
  }
  if (path.extension() == ".gguf") {
    const MappedFile file(path_text);
    const GgufFile gguf = with_context(path_text, [&] { return parse_gguf(file.bytes()); });
    return tokenizer_from_gguf(gguf.metadata, path_text);
  }
  if (path.extension() == ".json") return hf::HfTokenizer::from_path(path_text);
  if (path.extension() == ".model") return sentencepiece_from_file(path);
  fail(
      "{}: not a tokenizer (expected a directory with tokenizer.json or tokenizer.model, one of those files, or a "
      ".gguf file)",
      path_text);
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

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// The length of the common start of a and b, backed off to a character boundary of b.
size_t common_prefix(std::string_view a, std::string_view b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  while (n > 0 && n < b.size() && utf8::is_continuation(static_cast<unsigned char>(b[n]))) --n;
  return n;
}

// "<0xE6>": a byte-fallback piece, as SentencePiece, GGUF vocabularies and tokenizer.json spell them.
bool is_byte_piece(std::string_view text) {
  return text.size() == 6 && text.starts_with("<0x") && text.ends_with('>') &&
         std::isxdigit(static_cast<unsigned char>(text[3])) && std::isxdigit(static_cast<unsigned char>(text[4]));
}

std::string_view without_trailing_replacements(std::string_view text) {
  while (text.ends_with(kReplacement)) text.remove_suffix(kReplacement.size());
  return text;
}

}  // namespace

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, std::span<const int32_t> context)
    : tokenizer_(tokenizer), window_(context.begin(), context.end()) {}

// The context is read at the first token, not in the constructor, so that a prompt with ids the
// tokenizer rejects is an error of the generation that uses it (which checks it first).
void StreamDecoder::prime() {
  restart_window();
  read_ = window_.size();
  primed_ = true;
}

std::string StreamDecoder::push(int32_t id) {
  if (!primed_) prime();
  window_.push_back(id);
  return take(false);
}

std::string StreamDecoder::flush() {
  return primed_ ? take(true) : "";
}

// The text the window adds to what was already emitted. While the newest tokens end inside a
// character, the replacement characters standing for it are held back (the text before them is
// final); otherwise everything is emitted and the window restarts (restart_window).
std::string StreamDecoder::take(bool final) {
  const std::string text = tokenizer_.decode(window_);
  const bool extends = text.starts_with(window_text_);
  if (!final && ends_inside_a_character()) {
    // Hugging Face's ByteFallback shows a whole run of bytes as U+FFFD while its last character
    // is incomplete, so the text may not even extend what was emitted yet: wait.
    if (!extends) return "";
    const std::string_view chunk = without_trailing_replacements(std::string_view(text).substr(window_text_.size()));
    window_text_ += chunk;
    return std::string(chunk);
  }
  const size_t common = extends ? window_text_.size() : common_prefix(window_text_, text);
  std::string out = text.substr(common);
  read_ = window_.size();
  restart_window();
  return out;
}

// True when the raw bytes of the tokens not yet fully emitted end with the valid start of a
// character that more bytes could complete.
bool StreamDecoder::ends_inside_a_character() const {
  std::string bytes;
  for (size_t i = read_; i < window_.size(); ++i) {
    if (!tokenizer_.is_control(window_[i])) bytes += tokenizer_.token_bytes(window_[i], false);
  }
  for (size_t back = 1; back <= 3 && back <= bytes.size(); ++back) {
    const size_t at = bytes.size() - back;
    if (utf8::is_continuation(static_cast<unsigned char>(bytes[at]))) continue;  // a continuation byte
    bool truncated = false;
    utf8::sequence_length(bytes, at, &truncated);
    return truncated;
  }
  return false;
}

// Drops the tokens before the newest one that has text of its own and is no byte-fallback piece,
// so a window does not keep growing. The decoders treat a window's first token as the start of
// the text (SentencePiece drops its leading space); starting both decodes of take() at the same
// token makes that cancel out. A byte piece cannot start a window: a run of byte pieces decodes as
// a whole (Hugging Face's ByteFallback turns every byte of an invalid run into U+FFFD), and a run
// cut in two would decode differently.
void StreamDecoder::restart_window() {
  for (size_t i = window_.size(); i-- > 0;) {
    const int32_t id = window_[i];
    if (tokenizer_.is_control(id) || is_byte_piece(tokenizer_.token_text(id)) ||
        tokenizer_.token_bytes(id, false).empty()) {
      continue;
    }
    if (i > 0) {
      window_.erase(window_.begin(), window_.begin() + static_cast<std::ptrdiff_t>(i));
      read_ -= std::min(read_, i);
    }
    break;
  }
  window_text_ = tokenizer_.decode(window_);
}

}  // namespace medllm
