#include "tokenizer/sentencepiece/unigram.hpp"

#include <algorithm>
#include <cfloat>

#include "core/error.hpp"

namespace medllm::sentencepiece {

namespace {
constexpr float kUnkPenalty = 10.0f;
}

UnigramModel::UnigramModel(const std::vector<VocabEntry>& vocab, int32_t unk_id, bool byte_fallback)
    : scores_(vocab.size()),
      user_defined_(vocab.size(), false),
      unk_id_(unk_id),
      byte_fallback_(byte_fallback),
      min_score_(FLT_MAX),
      max_score_(FLT_MIN) {  // sentencepiece starts from FLT_MIN (the smallest positive float)
  if (vocab.empty()) fail("Unigram model: the vocabulary is empty");
  if (unk_id < 0 || static_cast<size_t>(unk_id) >= vocab.size()) {
    fail("Unigram model: unk id {} is outside the {}-piece vocabulary", unk_id, vocab.size());
  }
  byte_ids_.fill(-1);
  std::array<int32_t, 256> named_bytes;
  named_bytes.fill(-1);
  for (size_t i = 0; i < vocab.size(); ++i) {
    const VocabEntry& entry = vocab[i];
    const auto id = static_cast<int32_t>(i);
    scores_[i] = entry.score;
    if (entry.type == PieceType::Normal) {
      min_score_ = std::min(min_score_, entry.score);
      max_score_ = std::max(max_score_, entry.score);
    }
    const int byte = byte_piece_value(entry.piece);
    if (byte >= 0) {
      auto& slot = entry.type == PieceType::Byte ? byte_ids_[byte] : named_bytes[byte];
      if (slot < 0) slot = id;
    }
    if (entry.type == PieceType::Normal || entry.type == PieceType::UserDefined) {
      user_defined_[i] = entry.type == PieceType::UserDefined;
      trie_.insert(entry.piece, id);  // the first of duplicate pieces wins
    }
  }
  for (size_t b = 0; b < 256; ++b) {
    if (byte_ids_[b] < 0) byte_ids_[b] = named_bytes[b] >= 0 ? named_bytes[b] : unk_id_;
  }
}

void UnigramModel::encode(std::string_view normalized, std::vector<int32_t>& out) const {
  if (normalized.empty()) return;
  if (normalized.size() > INT32_MAX) fail("Unigram model: the text is too long ({} bytes)", normalized.size());
  // best[end]: the best path over normalized[0, end): its score, where its last piece starts and
  // that piece's id. Positions are byte offsets at character starts (sentencepiece's
  // EncodeOptimized works on bytes too).
  struct Best {
    float score = 0.0f;
    int32_t starts_at = -1;
    int32_t id = -1;
  };
  const size_t size = normalized.size();
  std::vector<Best> best(size + 1);
  const float unk_score = min_score_ - kUnkPenalty;

  for (size_t start = 0; start < size;) {
    const float score_here = best[start].score;
    const size_t char_length = std::min(one_char_len(normalized[start]), size - start);
    bool has_single_char_piece = false;
    trie_.for_each_prefix(normalized.substr(start), [&](size_t length, int32_t id) {
      // sentencepiece computes `auto score = user_defined ? length * max_score - 0.1 : score(id)`:
      // the conditional makes both branches double, the product itself is float.
      double score;
      if (user_defined_[static_cast<size_t>(id)]) {
        const float product = static_cast<float>(length) * max_score_;
        score = static_cast<double>(product) - 0.1;
      } else {
        score = static_cast<double>(scores_[static_cast<size_t>(id)]);
      }
      const double candidate = score + static_cast<double>(score_here);
      Best& target = best[start + length];
      if (target.starts_at < 0 || candidate > static_cast<double>(target.score)) {
        target.score = static_cast<float>(candidate);
        target.starts_at = static_cast<int32_t>(start);
        target.id = id;
      }
      if (length == char_length) has_single_char_piece = true;
    });
    if (!has_single_char_piece) {
      Best& target = best[start + char_length];
      const float candidate = unk_score + score_here;  // float + float, as in sentencepiece
      if (target.starts_at < 0 || candidate > target.score) {
        target.score = candidate;
        target.starts_at = static_cast<int32_t>(start);
        target.id = unk_id_;
      }
    }
    start += char_length;
  }

  // Backtrack from the end, then emit left to right.
  struct Segment {
    size_t begin;
    size_t end;
    int32_t id;
  };
  std::vector<Segment> segments;
  for (size_t end = size; end > 0;) {
    const Best& node = best[end];
    const auto begin = static_cast<size_t>(node.starts_at);
    segments.push_back({begin, end, node.id});
    end = begin;
  }
  bool previous_unk = false;
  for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
    const bool is_unk = it->id == unk_id_;
    if (is_unk && byte_fallback_) {
      for (size_t i = it->begin; i < it->end; ++i) out.push_back(byte_ids_[static_cast<uint8_t>(normalized[i])]);
    } else if (!(is_unk && previous_unk)) {  // runs of UNK fuse into one
      out.push_back(it->id);
    }
    previous_unk = is_unk;
  }
}

}  // namespace medllm::sentencepiece
