#pragma once
// SentencePiece-style BPE over a scored vocabulary, as stored in GGUF files of the "llama"
// tokenizer model (tokenizer.ggml.tokens / scores / token_type): spaces become "▁", a "▁" is
// prepended, adjacent pieces merge highest score first, and pieces missing from the vocabulary
// fall back to <0xXX> byte tokens.

#include <medllm/tokenizer.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

namespace medllm {

class GgufSentencePieceTokenizer final : public Tokenizer {
 public:
  enum class TokenType : int32_t { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 };

  struct Options {
    bool add_space_prefix = true;
    bool add_bos = true;
    bool add_eos = false;
  };

  GgufSentencePieceTokenizer(std::vector<std::string> pieces, std::vector<float> scores, std::vector<TokenType> types,
                             std::optional<int32_t> bos, std::optional<int32_t> eos, std::optional<int32_t> unk,
                             Options options);

  // Reads the tokenizer.ggml.* keys of a GGUF file (tokenizer.ggml.model must be "llama").
  static std::unique_ptr<GgufSentencePieceTokenizer> from_gguf(const nlohmann::json& metadata,
                                                               const std::string& source);

  std::vector<int32_t> encode(std::string_view text, bool add_special = true) const override;
  std::string token_bytes(int32_t id, bool at_start) const override;
  std::string token_text(int32_t id) const override;
  bool is_control(int32_t id) const override;
  int64_t vocab_size() const override { return static_cast<int64_t>(pieces_.size()); }
  std::optional<int32_t> token_to_id(std::string_view token) const override;

 private:
  void encode_bpe(std::string_view normalized, std::vector<int32_t>& out) const;
  int32_t find(std::string_view piece) const;  // -1 if absent

  std::vector<std::string> pieces_;
  std::vector<float> scores_;
  std::vector<TokenType> types_;
  std::unordered_map<std::string, int32_t> ids_;
  int32_t byte_ids_[256];
  std::optional<int32_t> unk_id_;
  Options options_;
};

}  // namespace medllm
