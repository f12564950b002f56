#pragma once
// A tokenizer defined by Hugging Face tokenizer.json (+ tokenizer_config.json), encoding and
// decoding exactly as the `tokenizers` library does.

#include <medllm/tokenizer.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/hf/added_vocabulary.hpp"
#include "tokenizer/hf/components.hpp"

namespace medllm::hf {

// A special token of tokenizer_config.json ("bos_token", ...), spelled there as a string or as an
// AddedToken object {"content": ...}; nullopt when the token is absent or null, or `config` is no
// object (there is no such file). Errors begin with `where`.
std::optional<std::string> config_token(const nlohmann::json& config, const char* key, std::string_view where);

class HfTokenizer final : public Tokenizer {
 public:
  // tokenizer: the parsed tokenizer.json; config: tokenizer_config.json (or null). `source` names
  // the file in errors.
  HfTokenizer(const nlohmann::json& tokenizer, const nlohmann::json& config, const std::string& source);

  // Reads tokenizer.json and, when present, tokenizer_config.json from a directory (or the
  // tokenizer.json file itself).
  static std::unique_ptr<HfTokenizer> from_path(const std::string& path);

  std::vector<int32_t> encode(std::string_view text, bool add_special = true) const override;
  std::string decode(std::span<const int32_t> ids, bool skip_control = true) const override;
  std::string token_bytes(int32_t id, bool at_start) const override;
  std::string token_text(int32_t id) const override;
  bool is_control(int32_t id) const override;
  int64_t vocab_size() const override { return vocab_size_; }
  std::optional<int32_t> token_to_id(std::string_view token) const override;

 private:
  void build(const nlohmann::json& tokenizer);  // every stage from tokenizer.json

  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<PostProcessor> post_processor_;
  std::unique_ptr<Decoder> decoder_;
  std::vector<AddedToken> added_;
  std::unordered_map<int32_t, size_t> added_by_id_;
  AddedTokenMatcher raw_matcher_;         // normalized=false tokens, matched on the input text
  AddedTokenMatcher normalized_matcher_;  // normalized=true tokens, matched after normalization
  int64_t vocab_size_ = 0;
};

}  // namespace medllm::hf
