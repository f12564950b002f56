#include "tokenizer/hf/hf_tokenizer.hpp"

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "core/json_fields.hpp"
#include "core/json_file.hpp"
#include "core/utf8.hpp"

namespace medllm::hf {

namespace {

constexpr const char* kConfigFile = "tokenizer_config.json";

AddedToken parse_added_token(const nlohmann::json& entry, const std::string& where) {
  AddedToken token;
  token.id = static_cast<int32_t>(required_integer(entry, "id", where, 0, (1 << 24) - 1));
  token.content = required_string(entry, "content", where);
  token.single_word = optional_bool(entry, "single_word", where, false);
  token.lstrip = optional_bool(entry, "lstrip", where, false);
  token.rstrip = optional_bool(entry, "rstrip", where, false);
  token.special = optional_bool(entry, "special", where, false);
  token.normalized = optional_bool(entry, "normalized", where, !token.special);
  utf8::require_valid(token.content, where + ".content");
  return token;
}

}  // namespace

std::optional<std::string> config_token(const nlohmann::json& config, const char* key, std::string_view where) {
  if (!config.is_object()) return std::nullopt;
  const nlohmann::json* value = optional_field(config, key, where);
  if (value == nullptr) return std::nullopt;
  if (value->is_string()) return value->get<std::string>();
  const std::string subject = field_name(where, key);
  if (!value->is_object()) fail_value(subject, "a string or an object with a 'content' string", *value);
  return required_string(*value, "content", subject);
}

HfTokenizer::HfTokenizer(const nlohmann::json& tokenizer, const nlohmann::json& config, const std::string& source) {
  with_context(source, [&] {
    try {
      build(tokenizer);
    } catch (const nlohmann::json::exception& e) {  // a value of an unexpected JSON type
      fail("malformed tokenizer definition: {}", e.what());
    }
  });

  // Special tokens named by tokenizer_config.json, and the BOS/EOS policy it sets.
  const auto config_id = [&](const char* key) -> std::optional<int32_t> {
    const auto token = config_token(config, key, kConfigFile);
    return token ? token_to_id(*token) : std::nullopt;
  };
  bos_id_ = config_id("bos_token");
  eos_id_ = config_id("eos_token");
  if (config.is_object() && (config.contains("add_bos_token") || config.contains("add_eos_token"))) {
    const bool add_bos = optional_bool(config, "add_bos_token", kConfigFile, false);
    const bool add_eos = optional_bool(config, "add_eos_token", kConfigFile, false);
    post_processor_ = make_bos_eos_processor(add_bos ? bos_id_ : std::nullopt, add_eos ? eos_id_ : std::nullopt);
  }
}

void HfTokenizer::build(const nlohmann::json& tokenizer) {
  if (!tokenizer.is_object()) fail("expected a JSON object");
  const auto get = [&](const char* key) { return tokenizer.contains(key) ? tokenizer[key] : nlohmann::json(); };
  normalizer_ = parse_normalizer(get("normalizer"), "normalizer");
  pre_tokenizer_ = parse_pre_tokenizer(get("pre_tokenizer"), "pre_tokenizer");
  model_ = parse_model(required_field(tokenizer, "model", "tokenizer"), "model");
  post_processor_ = parse_post_processor(get("post_processor"), "post_processor");
  decoder_ = parse_decoder(get("decoder"), "decoder");
  vocab_size_ = static_cast<int64_t>(model_->vocab_size());

  const nlohmann::json added = get("added_tokens");
  if (!added.is_null() && !added.is_array()) fail("added_tokens: expected an array");
  for (size_t i = 0; i < (added.is_array() ? added.size() : 0); ++i) {
    AddedToken token = parse_added_token(added[i], fmt::format("added_tokens[{}]", i));
    vocab_size_ = std::max<int64_t>(vocab_size_, token.id + 1);
    added_by_id_[token.id] = added_.size();
    added_.push_back(std::move(token));
  }
  for (size_t i = 0; i < added_.size(); ++i) {
    const AddedToken& token = added_[i];
    if (token.normalized) {
      std::string content = token.content;
      if (normalizer_) normalizer_->normalize(content);
      normalized_matcher_.add(content, i);
    } else {
      raw_matcher_.add(token.content, i);
    }
  }
}

std::unique_ptr<HfTokenizer> HfTokenizer::from_path(const std::string& path_text) {
  namespace fs = std::filesystem;
  fs::path path(path_text);
  fs::path directory = fs::is_directory(path) ? path : path.parent_path();
  const fs::path tokenizer_path = fs::is_directory(path) ? path / "tokenizer.json" : path;
  if (!fs::exists(tokenizer_path)) fail("{}: no tokenizer.json", path_text);
  const fs::path config_path = directory / "tokenizer_config.json";
  const nlohmann::json config = fs::exists(config_path) ? read_json_file(config_path.string()) : nlohmann::json();
  return std::make_unique<HfTokenizer>(read_json_file(tokenizer_path.string()), config, tokenizer_path.string());
}

std::optional<int32_t> HfTokenizer::token_to_id(std::string_view token) const {
  for (const auto& added : added_) {
    if (added.content == token) return added.id;
  }
  return model_->token_to_id(token);
}

std::vector<int32_t> HfTokenizer::encode(std::string_view text, bool add_special) const {
  utf8::require_valid(text, "text to tokenize");
  std::vector<Piece> pieces;
  if (!text.empty()) pieces.push_back({std::string(text), 0, -1});
  raw_matcher_.split(pieces, added_);
  if (normalizer_) {
    for (Piece& piece : pieces) {
      if (piece.token < 0) normalizer_->normalize(piece.text);
    }
    std::erase_if(pieces, [](const Piece& p) { return p.token < 0 && p.text.empty(); });
  }
  normalized_matcher_.split(pieces, added_);
  if (pre_tokenizer_) pre_tokenizer_->split(pieces);
  std::vector<int32_t> ids;
  for (const Piece& piece : pieces) {
    if (piece.token >= 0)
      ids.push_back(piece.token);
    else
      model_->encode(piece.text, ids);
  }
  if (add_special && post_processor_) post_processor_->process(ids);
  return ids;
}

std::string HfTokenizer::token_text(int32_t id) const {
  if (auto it = added_by_id_.find(id); it != added_by_id_.end()) return added_[it->second].content;
  if (auto token = model_->id_to_token(id)) return *token;
  fail("token id {} is not in the vocabulary ({} tokens)", id, vocab_size_);
}

bool HfTokenizer::is_control(int32_t id) const {
  auto it = added_by_id_.find(id);
  return it != added_by_id_.end() && added_[it->second].special;
}

std::string HfTokenizer::token_bytes(int32_t id, bool at_start) const {
  std::string token = token_text(id);
  return decoder_ ? decoder_->decode_token(std::move(token), at_start) : token;
}

std::string HfTokenizer::decode(std::span<const int32_t> ids, bool skip_control) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    if (skip_control && is_control(id)) continue;
    tokens.push_back(token_text(id));
  }
  std::string text;
  if (decoder_) {
    decoder_->decode_chain(tokens);
    for (const auto& token : tokens) text += token;
  } else {  // without a decoder the library joins tokens with spaces
    for (size_t i = 0; i < tokens.size(); ++i) text += (i > 0 ? " " : "") + tokens[i];
  }
  return utf8::sanitize(text);
}

}  // namespace medllm::hf
