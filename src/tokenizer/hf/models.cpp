// Models of tokenizer.json: BPE (byte-level or SentencePiece-style with byte fallback) and
// WordLevel. Unigram lives in unigram_model.cpp.

#include <queue>
#include <unordered_map>

#include "core/error.hpp"
#include "core/json_fields.hpp"
#include "core/json_file.hpp"
#include "core/utf8.hpp"
#include "tokenizer/hf/components.hpp"
#include "tokenizer/hf/vocabulary.hpp"

namespace medllm::hf {

void Vocabulary::add(std::string token, int32_t id) {
  // Ids index tables; the largest real vocabularies hold a few hundred thousand tokens.
  constexpr int32_t kMaxId = 1 << 24;
  if (id < 0 || id >= kMaxId) fail("token '{}' has id {}, outside 0..{}", token, id, kMaxId - 1);
  if (static_cast<size_t>(id) >= tokens_.size()) {
    tokens_.resize(static_cast<size_t>(id) + 1);
    has_.resize(static_cast<size_t>(id) + 1, false);
  }
  if (!has_[static_cast<size_t>(id)]) {
    tokens_[static_cast<size_t>(id)] = token;
    has_[static_cast<size_t>(id)] = true;
  }
  ids_.emplace(std::move(token), id);
}

namespace {

Vocabulary parse_vocab_object(const json& vocab, const std::string& where) {
  if (!vocab.is_object()) fail("{}: expected an object of token: id", where);
  Vocabulary out;
  for (const auto& [token, id] : vocab.items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX) {
      fail("{}['{}']: id must be a non-negative integer, found {}", where, token, json_for_message(id));
    }
    out.add(token, static_cast<int32_t>(id.get<int64_t>()));
  }
  return out;
}

// Byte-pair encoding as the `tokenizers` library applies it: characters (or byte tokens), then
// the lowest-ranked merge first (leftmost among equals) until none applies.
class Bpe final : public VocabularyModel {
 public:
  Bpe(const json& config, const std::string& where) {
    vocab_ = parse_vocab_object(required_field(config, "vocab", where), where + ".vocab");
    unk_token_ = optional_string(config, "unk_token", where);
    prefix_ = optional_string(config, "continuing_subword_prefix", where).value_or("");
    suffix_ = optional_string(config, "end_of_word_suffix", where).value_or("");
    byte_fallback_ = optional_bool(config, "byte_fallback", where, false);
    fuse_unk_ = optional_bool(config, "fuse_unk", where, false);
    ignore_merges_ = optional_bool(config, "ignore_merges", where, false);
    if (optional_number(config, "dropout", where).value_or(0.0) > 0.0) {
      fail("{}.dropout: BPE dropout is not supported (encoding must be deterministic)", where);
    }
    if (unk_token_) {
      const auto id = vocab_.find(*unk_token_);
      if (!id) fail("{}.unk_token '{}' is not in the vocabulary", where, *unk_token_);
      unk_id_ = *id;
    }
    for (int b = 0; b < 256; ++b) byte_ids_[b] = vocab_.find(fmt::format("<0x{:02X}>", b)).value_or(-1);
    parse_merges(required_field(config, "merges", where), where + ".merges");
  }

  void encode(std::string_view word, std::vector<int32_t>& out) const override {
    if (word.empty()) return;
    if (ignore_merges_) {
      if (auto id = vocab_.find(word)) {
        out.push_back(*id);
        return;
      }
    }
    std::vector<int32_t> symbols = initial_symbols(word);
    merge_all(symbols);
    out.insert(out.end(), symbols.begin(), symbols.end());
  }

 private:
  static uint64_t pair_key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }

  void parse_merges(const json& merges, const std::string& where) {
    if (!merges.is_array()) fail("{}: expected an array", where);
    merges_.reserve(merges.size());
    for (size_t rank = 0; rank < merges.size(); ++rank) {
      const json& merge = merges[rank];
      std::string a, b;
      if (merge.is_string()) {
        const std::string text = merge.get<std::string>();
        const size_t space = text.find(' ');
        if (space == std::string::npos) fail("{}[{}]: '{}' is not two tokens separated by a space", where, rank, text);
        a = text.substr(0, space);
        b = text.substr(space + 1);
      } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
        a = merge[0].get<std::string>();
        b = merge[1].get<std::string>();
      } else {
        fail("{}[{}]: expected \"a b\" or [\"a\", \"b\"], found {}", where, rank, json_for_message(merge));
      }
      const auto id_a = vocab_.find(a);
      const auto id_b = vocab_.find(b);
      if (!id_a || !id_b) fail("{}[{}]: merge '{} {}' uses a token missing from the vocabulary", where, rank, a, b);
      // With a continuing-subword prefix ("##"), "a" + "##b" merges into "ab".
      const bool prefixed = !prefix_.empty() && b.compare(0, prefix_.size(), prefix_) == 0;
      const std::string merged = a + (prefixed ? b.substr(prefix_.size()) : b);
      const auto id = vocab_.find(merged);
      if (!id) fail("{}[{}]: the merged token '{}' is missing from the vocabulary", where, rank, merged);
      merges_[pair_key(*id_a, *id_b)] = {static_cast<uint32_t>(rank), *id};
    }
  }

  std::vector<int32_t> initial_symbols(std::string_view word) const {
    std::vector<int32_t> symbols;
    std::optional<int32_t> pending_unk;
    for (size_t i = 0; i < word.size();) {
      const size_t length = std::max<size_t>(1, utf8::sequence_length(word, i));
      const bool first = i == 0;
      const bool last = i + length >= word.size();
      std::string piece;
      if (!first) piece += prefix_;
      piece.append(word.substr(i, length));
      if (last) piece += suffix_;
      i += length;
      if (auto id = vocab_.find(piece)) {
        if (pending_unk) symbols.push_back(*std::exchange(pending_unk, std::nullopt));
        symbols.push_back(*id);
        continue;
      }
      if (byte_fallback_) {
        bool all = true;
        for (unsigned char byte : piece) all = all && byte_ids_[byte] >= 0;
        if (all) {
          for (unsigned char byte : piece) symbols.push_back(byte_ids_[byte]);
          continue;
        }
      }
      if (unk_id_) {
        if (pending_unk && !fuse_unk_) symbols.push_back(*pending_unk);
        pending_unk = unk_id_;
      }
    }
    if (pending_unk) symbols.push_back(*pending_unk);
    return symbols;
  }

  void merge_all(std::vector<int32_t>& ids) const {
    struct Symbol {
      int32_t id;
      int prev;
      int next;
      bool alive;
    };
    struct Candidate {
      uint32_t rank;
      int pos;
      int32_t new_id;
      bool operator<(const Candidate& other) const {  // max-heap: lowest rank, then lowest position on top
        return rank != other.rank ? rank > other.rank : pos > other.pos;
      }
    };
    const int n = static_cast<int>(ids.size());
    if (n < 2) return;
    std::vector<Symbol> symbols(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) symbols[i] = {ids[i], i - 1, i + 1 < n ? i + 1 : -1, true};
    std::priority_queue<Candidate> queue;
    auto consider = [&](int pos) {
      if (pos < 0 || symbols[pos].next < 0) return;
      auto it = merges_.find(pair_key(symbols[pos].id, symbols[symbols[pos].next].id));
      if (it != merges_.end()) queue.push({it->second.rank, pos, it->second.new_id});
    };
    for (int i = 0; i + 1 < n; ++i) consider(i);
    while (!queue.empty()) {
      const Candidate top = queue.top();
      queue.pop();
      Symbol& left = symbols[top.pos];
      if (!left.alive || left.next < 0) continue;
      Symbol& right = symbols[left.next];
      auto it = merges_.find(pair_key(left.id, right.id));
      if (it == merges_.end() || it->second.new_id != top.new_id) continue;  // stale entry
      left.id = top.new_id;
      right.alive = false;
      left.next = right.next;
      if (left.next >= 0) symbols[left.next].prev = top.pos;
      consider(left.prev);
      consider(top.pos);
    }
    ids.clear();
    for (const Symbol& s : symbols) {
      if (s.alive) ids.push_back(s.id);
    }
  }

  struct MergeInfo {
    uint32_t rank;
    int32_t new_id;
  };

  std::unordered_map<uint64_t, MergeInfo> merges_;
  std::optional<std::string> unk_token_;
  std::optional<int32_t> unk_id_;
  std::string prefix_;
  std::string suffix_;
  bool byte_fallback_ = false;
  bool fuse_unk_ = false;
  bool ignore_merges_ = false;
  int32_t byte_ids_[256];
};

class WordLevel final : public VocabularyModel {
 public:
  WordLevel(const json& config, const std::string& where) {
    vocab_ = parse_vocab_object(required_field(config, "vocab", where), where + ".vocab");
    const std::string unk = required_string(config, "unk_token", where);
    unk_id_ = vocab_.find(unk);
  }
  void encode(std::string_view word, std::vector<int32_t>& out) const override {
    if (auto id = vocab_.find(word))
      out.push_back(*id);
    else if (unk_id_)
      out.push_back(*unk_id_);
    else
      fail("word '{}' is not in the WordLevel vocabulary and there is no unknown token", word);
  }

 private:
  std::optional<int32_t> unk_id_;
};

}  // namespace

std::unique_ptr<Model> parse_unigram_model(const json& config, const std::string& where);

std::unique_ptr<Model> parse_model(const json& config, const std::string& where) {
  const std::string type = optional_string(config, "type", where).value_or("BPE");
  if (type == "BPE") return std::make_unique<Bpe>(config, where);
  if (type == "WordLevel") return std::make_unique<WordLevel>(config, where);
  if (type == "Unigram") return parse_unigram_model(config, where);
  fail("{}: model type '{}' is not supported (BPE, Unigram, WordLevel are)", where, type);
}

}  // namespace medllm::hf
