#pragma once
// The stages of a Hugging Face `tokenizers` pipeline, as tokenizer.json describes them:
//   added tokens are cut out → normalizer → pre-tokenizer → model → post-processor,
// and for decoding, the decoder chain. Each stage is built from its JSON by a parse_* function
// that names the JSON path of anything it cannot use.

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace medllm::hf {

using nlohmann::json;

// A piece of the input on its way through the pipeline. `original_offset` is where the piece
// starts in the text given to encode (Metaspace's prepend_scheme "first" needs it); a piece with
// token >= 0 is an added token and passes through untouched.
struct Piece {
  std::string text;
  size_t original_offset = 0;
  int32_t token = -1;
};

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(std::string& text) const = 0;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Splits every non-token piece further (pieces keep their order).
  virtual void split(std::vector<Piece>& pieces) const = 0;
};

class Model {
 public:
  virtual ~Model() = default;
  // Appends the ids of one pre-tokenized word.
  virtual void encode(std::string_view word, std::vector<int32_t>& out) const = 0;
  virtual std::optional<int32_t> token_to_id(std::string_view token) const = 0;
  virtual std::optional<std::string> id_to_token(int32_t id) const = 0;
  virtual size_t vocab_size() const = 0;  // highest id + 1
};

// Decoders transform the list of token strings; Fuse joins them into one.
class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
  // Decodes one token for streaming, given whether it is the first token of the text.
  // Returns raw bytes (possibly an incomplete UTF-8 sequence).
  virtual std::string decode_token(std::string token, bool first) const = 0;
};

// TemplateProcessing and friends: add special tokens around the encoded sequence.
class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  virtual void process(std::vector<int32_t>& ids) const = 0;
};

std::unique_ptr<Normalizer> parse_normalizer(const json& config, const std::string& where);
std::unique_ptr<PreTokenizer> parse_pre_tokenizer(const json& config, const std::string& where);
std::unique_ptr<Model> parse_model(const json& config, const std::string& where);
std::unique_ptr<Decoder> parse_decoder(const json& config, const std::string& where);
std::unique_ptr<PostProcessor> parse_post_processor(const json& config, const std::string& where);

// A post-processor that adds the given ids before / after the sequence (tokenizer_config.json's
// add_bos_token / add_eos_token for Llama- and Gemma-style tokenizers).
std::unique_ptr<PostProcessor> make_bos_eos_processor(std::optional<int32_t> bos, std::optional<int32_t> eos);

}  // namespace medllm::hf
