#pragma once
// Text <-> token ids. Tokenizer is the interface; load() picks the implementation that fits the
// model's files.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace medllm {

class Model;

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // The model's own tokenizer: the vocabulary embedded in a GGUF file, or the tokenizer files of
  // a Hugging Face directory. Errors say what is missing or unsupported. (Defined by the model
  // layer, src/model/model_tokenizer.cpp: the tokenizer layer does not depend on the model.)
  static std::unique_ptr<Tokenizer> load(const Model& model);
  // A tokenizer without its model: a directory holding tokenizer.json (+ tokenizer_config.json)
  // or tokenizer.model, one of those files, or a .gguf file (only its metadata is read).
  static std::unique_ptr<Tokenizer> from_path(const std::string& path);

  // Encodes UTF-8 text (invalid UTF-8 is an Error giving the byte offset). add_special adds the
  // model's BOS (and EOS where the model wants one) as its tokenizer config says.
  virtual std::vector<int32_t> encode(std::string_view text, bool add_special = true) const = 0;

  // The bytes token `id` contributes to decoded text; at_start is true for the first token
  // after the start of the text (SentencePiece drops the leading space there). Control tokens
  // give "". Bytes may be an incomplete UTF-8 sequence (byte-fallback tokens).
  virtual std::string token_bytes(int32_t id, bool at_start) const = 0;
  // The token as stored in the vocabulary ("▁the", "<0x0A>", "<s>").
  virtual std::string token_text(int32_t id) const = 0;
  virtual bool is_control(int32_t id) const = 0;
  virtual int64_t vocab_size() const = 0;

  std::optional<int32_t> bos_id() const { return bos_id_; }
  std::optional<int32_t> eos_id() const { return eos_id_; }

  // Decodes ids to text; control (special) tokens are dropped when skip_control.
  virtual std::string decode(std::span<const int32_t> ids, bool skip_control = true) const;
  // The id of a token spelled exactly as in the vocabulary ("<|im_end|>", "▁the").
  virtual std::optional<int32_t> token_to_id(std::string_view token) const = 0;

 protected:
  std::optional<int32_t> bos_id_;
  std::optional<int32_t> eos_id_;
};

// Turns a stream of token ids into text pieces that never split a UTF-8 character. The pieces of
// a continuation add up to decode(context + generated) minus decode(context), as the text of the
// whole sequence would show it: the first generated "▁upon" after the prompt "Once" keeps its
// space, while after a lone BOS the first word starts the text without one. Each push decodes a
// short window of recent tokens and emits what its text adds to the text already emitted, so every
// decoder rule (SentencePiece's leading space, Strip, Metaspace, byte fallback, byte-level)
// applies exactly as in decode(). Bytes of an incomplete character are held back until the
// character is complete (or is known to be invalid). Text once emitted stays: where a later byte
// makes a decoder rewrite earlier output (Hugging Face's ByteFallback turns a whole invalid run of
// bytes into U+FFFD), the stream keeps what it showed.
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer, std::span<const int32_t> context = {});
  std::string push(int32_t id);  // the complete text that token `id` makes available
  std::string flush();           // whatever is left (invalid bytes become U+FFFD)

 private:
  void prime();
  std::string take(bool final);
  bool ends_inside_a_character() const;
  void restart_window();

  const Tokenizer& tokenizer_;
  std::vector<int32_t> window_;  // recent tokens, starting at the sequence start or a token with text
  size_t read_ = 0;              // window_[read_, end) may still end inside a character
  std::string window_text_;      // the text of window_ already emitted (or given by the context)
  bool primed_ = false;          // the context has been read
};

}  // namespace medllm
