// Pre-tokenizers of tokenizer.json: ByteLevel, Split, Metaspace, Digits, Punctuation,
// Whitespace, WhitespaceSplit, BertPreTokenizer, CharDelimiterSplit and Sequence. Splitting
// follows the `tokenizers` library's delimiter behaviours exactly (Removed, Isolated,
// MergedWithPrevious, MergedWithNext, Contiguous) including `invert`.

#include <functional>

#include "core/error.hpp"
#include "core/json_fields.hpp"
#include "tokenizer/byte_level.hpp"
#include "tokenizer/hf/components.hpp"
#include "tokenizer/hf/pattern.hpp"
#include "tokenizer/unicode.hpp"

namespace medllm::hf {

namespace {

enum class Behavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

Behavior parse_behavior(const json& config, const std::string& where, Behavior fallback) {
  const std::optional<std::string> behavior = optional_string(config, "behavior", where);
  if (!behavior) return fallback;
  const std::string& name = *behavior;
  if (name == "Removed") return Behavior::Removed;
  if (name == "Isolated") return Behavior::Isolated;
  if (name == "MergedWithPrevious") return Behavior::MergedWithPrevious;
  if (name == "MergedWithNext") return Behavior::MergedWithNext;
  if (name == "Contiguous") return Behavior::Contiguous;
  fail("{}.behavior: unknown split behavior '{}'", where, name);
}

struct Span {
  size_t begin;
  size_t end;
  bool match;
};

using Matcher = std::function<std::vector<std::pair<size_t, size_t>>(std::string_view)>;

// Splits one piece at its matches according to the behavior; appends non-empty sub-pieces.
void split_piece(const Piece& piece, const Matcher& find, Behavior behavior, bool invert, std::vector<Piece>& out) {
  const std::string& text = piece.text;
  std::vector<Span> spans;
  size_t previous = 0;
  for (const auto& [begin, end] : find(text)) {
    if (begin > previous) spans.push_back({previous, begin, invert});
    spans.push_back({begin, end, !invert});
    previous = end;
  }
  if (previous < text.size() || text.empty()) spans.push_back({previous, text.size(), invert});

  std::vector<Span> merged;
  switch (behavior) {
    case Behavior::Removed:
      for (const Span& s : spans) {
        if (!s.match) merged.push_back(s);
      }
      break;
    case Behavior::Isolated:
      merged = spans;
      break;
    case Behavior::Contiguous: {
      bool previous_match = false;
      for (const Span& s : spans) {
        if (s.match == previous_match && !merged.empty())
          merged.back().end = s.end;
        else
          merged.push_back(s);
        previous_match = s.match;
      }
      break;
    }
    case Behavior::MergedWithPrevious: {
      bool previous_match = false;
      for (const Span& s : spans) {
        if (s.match && !previous_match && !merged.empty())
          merged.back().end = s.end;
        else
          merged.push_back(s);
        previous_match = s.match;
      }
      break;
    }
    case Behavior::MergedWithNext: {
      bool previous_match = false;
      for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
        if (it->match && !previous_match && !merged.empty())
          merged.back().begin = it->begin;
        else
          merged.push_back(*it);
        previous_match = it->match;
      }
      std::reverse(merged.begin(), merged.end());
      break;
    }
  }
  for (const Span& s : merged) {
    if (s.end > s.begin) out.push_back({text.substr(s.begin, s.end - s.begin), piece.original_offset + s.begin, -1});
  }
}

// Applies fn to every non-token piece, replacing it by the pieces fn appends.
void for_each_piece(std::vector<Piece>& pieces, const std::function<void(const Piece&, std::vector<Piece>&)>& fn) {
  std::vector<Piece> out;
  out.reserve(pieces.size());
  for (const Piece& piece : pieces) {
    if (piece.token >= 0)
      out.push_back(piece);
    else
      fn(piece, out);
  }
  pieces = std::move(out);
}

// Every character for which the predicate holds is one match.
Matcher char_matcher(std::function<bool(char32_t)> predicate) {
  return [predicate = std::move(predicate)](std::string_view text) {
    std::vector<std::pair<size_t, size_t>> matches;
    size_t length = 0;
    for (size_t i = 0; i < text.size(); i += length) {
      if (predicate(unicode::decode(text, i, &length))) matches.emplace_back(i, i + length);
    }
    return matches;
  };
}

Matcher pattern_matcher(Pattern pattern) {
  return [pattern = std::move(pattern)](std::string_view text) { return pattern.find_all(text); };
}

class SplitBy final : public PreTokenizer {
 public:
  SplitBy(Matcher matcher, Behavior behavior, bool invert)
      : matcher_(std::move(matcher)), behavior_(behavior), invert_(invert) {}
  void split(std::vector<Piece>& pieces) const override {
    for_each_piece(pieces, [&](const Piece& piece, std::vector<Piece>& out) {
      split_piece(piece, matcher_, behavior_, invert_, out);
    });
  }

 private:
  Matcher matcher_;
  Behavior behavior_;
  bool invert_;
};

class ByteLevel final : public PreTokenizer {
 public:
  ByteLevel(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space),
        regex_(use_regex
                   ? std::make_unique<Pattern>(Pattern::parse(json{{"Regex", byte_level::kGpt2Pattern}}, "ByteLevel"))
                   : nullptr) {}
  void split(std::vector<Piece>& pieces) const override {
    for_each_piece(pieces, [&](const Piece& input, std::vector<Piece>& out) {
      Piece piece = input;
      if (add_prefix_space_ && !piece.text.empty() && piece.text[0] != ' ') piece.text.insert(0, " ");
      std::vector<Piece> parts;
      if (regex_)
        split_piece(piece, pattern_matcher(*regex_), Behavior::Isolated, false, parts);
      else if (!piece.text.empty())
        parts.push_back(piece);
      for (Piece& part : parts) {
        std::string mapped;
        byte_level::encode(part.text, mapped);
        part.text = std::move(mapped);
        out.push_back(std::move(part));
      }
    });
  }

 private:
  bool add_prefix_space_;
  std::unique_ptr<Pattern> regex_;
};

class Metaspace final : public PreTokenizer {
 public:
  enum class Prepend { Always, First, Never };
  Metaspace(std::string replacement, Prepend prepend, bool split)
      : replacement_(std::move(replacement)), prepend_(prepend), split_(split) {}
  void split(std::vector<Piece>& pieces) const override {
    const Pattern space = Pattern::literal(" ");
    const Pattern marker = Pattern::literal(replacement_);
    for_each_piece(pieces, [&](const Piece& input, std::vector<Piece>& out) {
      Piece piece = input;
      piece.text = space.replace_all(piece.text, replacement_);
      const bool starts = piece.text.compare(0, replacement_.size(), replacement_) == 0;
      if (!starts && (prepend_ == Prepend::Always || (prepend_ == Prepend::First && piece.original_offset == 0))) {
        piece.text.insert(0, replacement_);
      }
      if (split_)
        split_piece(piece, pattern_matcher(marker), Behavior::MergedWithNext, false, out);
      else if (!piece.text.empty())
        out.push_back(std::move(piece));
    });
  }

 private:
  std::string replacement_;
  Prepend prepend_;
  bool split_;
};

class Sequence final : public PreTokenizer {
 public:
  explicit Sequence(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {}
  void split(std::vector<Piece>& pieces) const override {
    for (const auto& step : steps_) step->split(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

bool is_punctuation(char32_t c) {
  return unicode::is_ascii_punctuation(c) || unicode::is_punctuation(c);
}

}  // namespace

std::unique_ptr<PreTokenizer> parse_pre_tokenizer(const json& config, const std::string& where) {
  if (config.is_null()) return nullptr;
  const std::string type = required_string(config, "type", where);
  if (type == "ByteLevel") {
    return std::make_unique<ByteLevel>(optional_bool(config, "add_prefix_space", where, true),
                                       optional_bool(config, "use_regex", where, true));
  }
  if (type == "Split") {
    return std::make_unique<SplitBy>(
        pattern_matcher(Pattern::parse(required_field(config, "pattern", where), where + ".pattern")),
        parse_behavior(config, where, Behavior::Isolated), optional_bool(config, "invert", where, false));
  }
  if (type == "Metaspace") {
    Metaspace::Prepend prepend =
        optional_bool(config, "add_prefix_space", where, true) ? Metaspace::Prepend::Always : Metaspace::Prepend::Never;
    if (const auto scheme = optional_string(config, "prepend_scheme", where)) {
      if (*scheme == "always")
        prepend = Metaspace::Prepend::Always;
      else if (*scheme == "first")
        prepend = Metaspace::Prepend::First;
      else if (*scheme == "never")
        prepend = Metaspace::Prepend::Never;
      else
        fail("{}.prepend_scheme: unknown value '{}'", where, *scheme);
    }
    return std::make_unique<Metaspace>(required_string(config, "replacement", where), prepend,
                                       optional_bool(config, "split", where, true));
  }
  if (type == "Digits") {
    const bool individual = optional_bool(config, "individual_digits", where, false);
    return std::make_unique<SplitBy>(char_matcher(unicode::is_numeric),
                                     individual ? Behavior::Isolated : Behavior::Contiguous, false);
  }
  if (type == "Punctuation") {
    return std::make_unique<SplitBy>(char_matcher(is_punctuation), parse_behavior(config, where, Behavior::Isolated),
                                     false);
  }
  if (type == "Whitespace") {
    return std::make_unique<SplitBy>(pattern_matcher(Pattern::parse(json{{"Regex", R"(\w+|[^\w\s]+)"}}, where)),
                                     Behavior::Removed, true);
  }
  if (type == "WhitespaceSplit") {
    return std::make_unique<SplitBy>(char_matcher(unicode::is_whitespace), Behavior::Removed, false);
  }
  if (type == "BertPreTokenizer") {
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    steps.push_back(std::make_unique<SplitBy>(char_matcher(unicode::is_whitespace), Behavior::Removed, false));
    steps.push_back(std::make_unique<SplitBy>(char_matcher(is_punctuation), Behavior::Isolated, false));
    return std::make_unique<Sequence>(std::move(steps));
  }
  if (type == "CharDelimiterSplit") {
    return std::make_unique<SplitBy>(pattern_matcher(Pattern::literal(required_string(config, "delimiter", where))),
                                     Behavior::Removed, false);
  }
  if (type == "Sequence") {
    const json& list = required_array(config, "pretokenizers", where);
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (size_t i = 0; i < list.size(); ++i) {
      if (auto step = parse_pre_tokenizer(list[i], fmt::format("{}.pretokenizers[{}]", where, i))) {
        steps.push_back(std::move(step));
      }
    }
    return std::make_unique<Sequence>(std::move(steps));
  }
  fail("{}: pre-tokenizer type '{}' is not supported", where, type);
}

}  // namespace medllm::hf
