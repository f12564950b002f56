// Decoders of tokenizer.json: ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace,
// BPEDecoder and Sequence. decode_chain follows the `tokenizers` library on whole token lists;
// decode_token gives the bytes of one token for streaming.

#include "core/error.hpp"
#include "core/json_fields.hpp"
#include "core/utf8.hpp"
#include "tokenizer/byte_level.hpp"
#include "tokenizer/hf/components.hpp"
#include "tokenizer/hf/pattern.hpp"
#include "tokenizer/unicode.hpp"

namespace medllm::hf {

namespace {

// The bytes a byte-level token spells; a token with a character outside the mapping keeps its
// own UTF-8 bytes.
std::string byte_level_bytes(const std::string& token) {
  std::string out;
  size_t length = 0;
  for (size_t i = 0; i < token.size(); i += length) {
    const int byte = byte_level::char_to_byte(unicode::decode(token, i, &length));
    if (byte < 0) return token;
    out += static_cast<char>(byte);
  }
  return out;
}

class ByteLevel final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const auto& token : tokens) bytes += byte_level_bytes(token);
    tokens = {utf8::sanitize(bytes)};
  }
  std::string decode_token(std::string token, bool) const override { return byte_level_bytes(token); }
};

class Replace final : public Decoder {
 public:
  Replace(Pattern pattern, std::string content) : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (auto& token : tokens) token = pattern_.replace_all(token, content_);
  }
  std::string decode_token(std::string token, bool) const override { return pattern_.replace_all(token, content_); }

 private:
  Pattern pattern_;
  std::string content_;
};

class ByteFallback final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string bytes;
    size_t byte_tokens = 0;
    auto flush = [&] {
      if (byte_tokens == 0) return;
      if (utf8::find_invalid(bytes) == std::string::npos) {
        out.push_back(bytes);
      } else {
        for (size_t i = 0; i < byte_tokens; ++i) out.emplace_back("\xEF\xBF\xBD");  // one U+FFFD per byte token
      }
      bytes.clear();
      byte_tokens = 0;
    };
    for (auto& token : tokens) {
      const int value = byte_level::parse_byte_token(token);
      if (value >= 0) {
        bytes += static_cast<char>(value);
        ++byte_tokens;
      } else {
        flush();
        out.push_back(std::move(token));
      }
    }
    flush();
    tokens = std::move(out);
  }
  std::string decode_token(std::string token, bool) const override {
    const int value = byte_level::parse_byte_token(token);
    return value >= 0 ? std::string(1, static_cast<char>(value)) : token;
  }
};

class Fuse final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string joined;
    for (const auto& token : tokens) joined += token;
    tokens = {joined};
  }
  std::string decode_token(std::string token, bool) const override { return token; }
};

class Strip final : public Decoder {
 public:
  Strip(std::string content, size_t start, size_t stop, bool after_fuse)
      : content_(std::move(content)), start_(start), stop_(stop), after_fuse_(after_fuse) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (auto& token : tokens) token = strip(token, start_, stop_);
  }
  // After a Fuse the whole text is one token: only its beginning can be stripped while
  // streaming (the end is not known yet).
  std::string decode_token(std::string token, bool first) const override {
    if (after_fuse_) return first ? strip(token, start_, 0) : token;
    return strip(token, start_, stop_);
  }

 private:
  std::string strip(const std::string& token, size_t start, size_t stop) const {
    std::vector<std::pair<size_t, size_t>> chars;  // byte ranges of the characters
    size_t length = 0;
    for (size_t i = 0; i < token.size(); i += length) {
      unicode::decode(token, i, &length);
      chars.emplace_back(i, i + length);
    }
    auto is_content = [&](const std::pair<size_t, size_t>& c) {
      return token.compare(c.first, c.second - c.first, content_) == 0;
    };
    size_t begin = 0;
    while (begin < std::min(start, chars.size()) && is_content(chars[begin])) ++begin;
    size_t end = chars.size();
    for (size_t i = 0; i < stop && end > begin && is_content(chars[end - 1]); ++i) --end;
    if (begin >= end) return "";
    return token.substr(chars[begin].first, chars[end - 1].second - chars[begin].first);
  }

  std::string content_;
  size_t start_;
  size_t stop_;
  bool after_fuse_;
};

class Metaspace final : public Decoder {
 public:
  Metaspace(std::string replacement, bool strip_first)
      : replacement_(std::move(replacement)), strip_first_(strip_first) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = decode_token(std::move(tokens[i]), i == 0);
  }
  std::string decode_token(std::string token, bool first) const override {
    return Pattern::literal(replacement_).replace_all(token, first && strip_first_ ? "" : " ");
  }

 private:
  std::string replacement_;
  bool strip_first_;
};

class BpeSuffix final : public Decoder {
 public:
  explicit BpeSuffix(std::string suffix) : suffix_(std::move(suffix)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = replace(tokens[i], i + 1 == tokens.size());
  }
  std::string decode_token(std::string token, bool) const override { return replace(token, false); }

 private:
  std::string replace(const std::string& token, bool last) const {
    return Pattern::literal(suffix_).replace_all(token, last ? "" : " ");
  }
  std::string suffix_;
};

class Sequence final : public Decoder {
 public:
  explicit Sequence(std::vector<std::unique_ptr<Decoder>> steps) : steps_(std::move(steps)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& step : steps_) step->decode_chain(tokens);
  }
  std::string decode_token(std::string token, bool first) const override {
    for (const auto& step : steps_) token = step->decode_token(std::move(token), first);
    return token;
  }

 private:
  std::vector<std::unique_ptr<Decoder>> steps_;
};

std::unique_ptr<Decoder> parse_one(const json& config, const std::string& where, bool after_fuse) {
  const std::string type = required_string(config, "type", where);
  if (type == "ByteLevel") return std::make_unique<ByteLevel>();
  if (type == "Replace") {
    return std::make_unique<Replace>(Pattern::parse(required_field(config, "pattern", where), where + ".pattern"),
                                     required_string(config, "content", where));
  }
  if (type == "ByteFallback") return std::make_unique<ByteFallback>();
  if (type == "Fuse") return std::make_unique<Fuse>();
  if (type == "Strip") {
    const auto count = [&](const char* key) { return static_cast<size_t>(required_integer(config, key, where, 0)); };
    return std::make_unique<Strip>(required_string(config, "content", where), count("start"), count("stop"),
                                   after_fuse);
  }
  if (type == "Metaspace") {
    bool strip_first = optional_bool(config, "add_prefix_space", where, true);
    if (const auto scheme = optional_string(config, "prepend_scheme", where)) strip_first = *scheme != "never";
    return std::make_unique<Metaspace>(required_string(config, "replacement", where), strip_first);
  }
  if (type == "BPEDecoder") {
    return std::make_unique<BpeSuffix>(optional_string(config, "suffix", where).value_or("</w>"));
  }
  if (type == "Sequence") {
    const json& list = required_array(config, "decoders", where);
    std::vector<std::unique_ptr<Decoder>> steps;
    bool fused = after_fuse;
    for (size_t i = 0; i < list.size(); ++i) {
      steps.push_back(parse_one(list[i], fmt::format("{}.decoders[{}]", where, i), fused));
      fused = fused || list[i].value("type", "") == "Fuse";
    }
    return std::make_unique<Sequence>(std::move(steps));
  }
  fail("{}: decoder type '{}' is not supported", where, type);
}

}  // namespace

std::unique_ptr<Decoder> parse_decoder(const json& config, const std::string& where) {
  if (config.is_null()) return nullptr;
  return parse_one(config, where, false);
}

}  // namespace medllm::hf
