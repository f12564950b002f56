#include <filesystem>
#include <medllm/model.hpp>
#include <medllm/tokenizer.hpp>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/json_file.hpp"
#include "core/mapped_file.hpp"
#include "formats/gguf.hpp"
#include "tokenizer/gguf_vocab.hpp"
#include "tokenizer/hf/hf_tokenizer.hpp"
#include "tokenizer/sentencepiece/sentencepiece_tokenizer.hpp"
#include "tokenizer/utf8.hpp"

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
      if (config.contains("add_bos_token") && config["add_bos_token"].is_boolean()) {
        options.add_bos = config["add_bos_token"].get<bool>();
      }
      if (config.contains("add_eos_token") && config["add_eos_token"].is_boolean()) {
        options.add_eos = config["add_eos_token"].get<bool>();
      }
    }
  }
  return SentencePieceTokenizer::from_file(model.string(), options);
}

}  // namespace

std::unique_ptr<Tokenizer> Tokenizer::load(const Model& model) {
  if (model.format() == "gguf") return tokenizer_from_gguf(model.metadata(), model.path());
  return from_path(model.path());
}

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
