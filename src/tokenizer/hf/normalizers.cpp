// Normalizers of tokenizer.json: Unicode forms, Lowercase, Strip, StripAccents, Replace,
// Prepend, Precompiled (SentencePiece charsmap) and Sequence.

#include "core/error.hpp"
#include "core/json_fields.hpp"
#include "core/utf8.hpp"
#include "tokenizer/hf/components.hpp"
#include "tokenizer/hf/pattern.hpp"
#include "tokenizer/unicode.hpp"

namespace medllm::hf {

namespace {

class UnicodeForm final : public Normalizer {
 public:
  explicit UnicodeForm(unicode::Form form) : form_(form) {}
  void normalize(std::string& text) const override { text = unicode::normalize(text, form_); }

 private:
  unicode::Form form_;
};

class Lowercase final : public Normalizer {
 public:
  void normalize(std::string& text) const override { text = unicode::to_lower(text); }
};

class Strip final : public Normalizer {
 public:
  Strip(bool left, bool right) : left_(left), right_(right) {}
  void normalize(std::string& text) const override {
    size_t begin = 0;
    size_t end = text.size();
    size_t length = 0;
    if (left_) {
      while (begin < end && unicode::is_whitespace(unicode::decode(text, begin, &length))) begin += length;
    }
    if (right_) {
      while (end > begin) {
        size_t start = end - 1;
        while (start > begin && utf8::is_continuation(static_cast<uint8_t>(text[start]))) --start;
        if (!unicode::is_whitespace(unicode::decode(text, start, &length))) break;
        end = start;
      }
    }
    text = text.substr(begin, end - begin);
  }

 private:
  bool left_;
  bool right_;
};

class StripAccents final : public Normalizer {
 public:
  void normalize(std::string& text) const override {
    std::string out;
    size_t length = 0;
    for (size_t i = 0; i < text.size(); i += length) {
      const char32_t c = unicode::decode(text, i, &length);
      if (!unicode::is_mark(c)) out.append(text, i, length);
    }
    text = std::move(out);
  }
};

class Replace final : public Normalizer {
 public:
  Replace(Pattern pattern, std::string content) : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void normalize(std::string& text) const override { text = pattern_.replace_all(text, content_); }

 private:
  Pattern pattern_;
  std::string content_;
};

class Prepend final : public Normalizer {
 public:
  explicit Prepend(std::string prefix) : prefix_(std::move(prefix)) {}
  void normalize(std::string& text) const override {
    if (!text.empty()) text.insert(0, prefix_);
  }

 private:
  std::string prefix_;
};

class Sequence final : public Normalizer {
 public:
  explicit Sequence(std::vector<std::unique_ptr<Normalizer>> steps) : steps_(std::move(steps)) {}
  void normalize(std::string& text) const override {
    for (const auto& step : steps_) step->normalize(text);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

}  // namespace

std::unique_ptr<Normalizer> parse_precompiled_normalizer(const json& config, const std::string& where);

std::unique_ptr<Normalizer> parse_normalizer(const json& config, const std::string& where) {
  if (config.is_null()) return nullptr;
  const std::string type = required_string(config, "type", where);
  if (type == "NFC") return std::make_unique<UnicodeForm>(unicode::Form::NFC);
  if (type == "NFD") return std::make_unique<UnicodeForm>(unicode::Form::NFD);
  if (type == "NFKC") return std::make_unique<UnicodeForm>(unicode::Form::NFKC);
  if (type == "NFKD") return std::make_unique<UnicodeForm>(unicode::Form::NFKD);
  if (type == "Lowercase") return std::make_unique<Lowercase>();
  if (type == "StripAccents") return std::make_unique<StripAccents>();
  if (type == "Strip") {
    return std::make_unique<Strip>(optional_bool(config, "strip_left", where, true),
                                   optional_bool(config, "strip_right", where, true));
  }
  if (type == "Replace") {
    return std::make_unique<Replace>(Pattern::parse(required_field(config, "pattern", where), where + ".pattern"),
                                     required_string(config, "content", where));
  }
  if (type == "Prepend") return std::make_unique<Prepend>(required_string(config, "prepend", where));
  if (type == "Precompiled") return parse_precompiled_normalizer(config, where);
  if (type == "Sequence") {
    const json& list = required_array(config, "normalizers", where);
    std::vector<std::unique_ptr<Normalizer>> steps;
    for (size_t i = 0; i < list.size(); ++i) {
      if (auto step = parse_normalizer(list[i], fmt::format("{}.normalizers[{}]", where, i)))
        steps.push_back(std::move(step));
    }
    return std::make_unique<Sequence>(std::move(steps));
  }
  fail("{}: normalizer type '{}' is not supported", where, type);
}

}  // namespace medllm::hf
