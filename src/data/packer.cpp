#include "data/packer.hpp"

#include <algorithm>
#include <numeric>
#include <random>

#include "core/error.hpp"

namespace medllm {

nlohmann::json PackerPosition::to_json() const {
  return {{"epoch", epoch}, {"document", document}, {"offset", offset}};
}

PackerPosition PackerPosition::from_json(const nlohmann::json& json) {
  return {json.at("epoch").get<int64_t>(), json.at("document").get<int64_t>(), json.at("offset").get<int64_t>()};
}

int64_t PackedBatch::scored() const {
  return std::count_if(targets.begin(), targets.end(), [](int32_t t) { return t >= 0; });
}

Packer::Packer(const std::vector<std::unique_ptr<DatasetShard>>& shards, int64_t seq, bool shuffle, uint64_t seed)
    : seq_(seq), shuffle_(shuffle), seed_(seed) {
  if (seq < 1) fail("sequence length must be at least 1, got {}", seq);
  for (const auto& shard : shards) {
    for (int64_t d = 0; d < shard->documents(); ++d) {
      if (shard->document_tokens(d).empty()) continue;
      documents_.push_back({shard.get(), d});
    }
    total_tokens_ += shard->tokens();
  }
  order_epoch();
}

int64_t Packer::rows_per_epoch() const {
  return total_tokens_ > 0 ? (total_tokens_ - 1) / seq_ : 0;
}

void Packer::order_epoch() {
  if (ordered_epoch_ == position_.epoch) return;
  order_.resize(documents_.size());
  std::iota(order_.begin(), order_.end(), 0);
  if (shuffle_) {
    // Fisher–Yates with our own draw, so the order is the same with every standard library.
    std::mt19937_64 rng(seed_ ^ (0x9e3779b97f4a7c15ull * static_cast<uint64_t>(position_.epoch + 1)));
    for (size_t i = order_.size(); i > 1; --i) {
      const auto j = static_cast<size_t>(rng() % i);
      std::swap(order_[i - 1], order_[j]);
    }
  }
  ordered_epoch_ = position_.epoch;
}

void Packer::seek(const PackerPosition& position) {
  if (position.epoch < 0 || position.document < 0 || position.document > static_cast<int64_t>(documents_.size()) ||
      position.offset < 0)
    fail("data position (epoch {}, document {}, offset {}) does not fit this dataset of {} documents", position.epoch,
         position.document, position.offset, documents_.size());
  position_ = position;
  order_epoch();
}

bool Packer::take_row(int32_t* tokens, int32_t* targets) {
  // Gather seq + 1 tokens from the cursor, then leave the cursor on the row's last token: the
  // next row starts with it.
  PackerPosition cursor = position_;
  PackerPosition row_end;
  for (int64_t i = 0; i <= seq_; ++i) {
    while (cursor.document < static_cast<int64_t>(order_.size())) {
      const DocumentRef& doc = documents_[order_[cursor.document]];
      if (cursor.offset < static_cast<int64_t>(doc.shard->document_tokens(doc.index).size())) break;
      ++cursor.document;
      cursor.offset = 0;
    }
    if (cursor.document >= static_cast<int64_t>(order_.size())) return false;
    const DocumentRef& doc = documents_[order_[cursor.document]];
    const auto token = static_cast<int32_t>(doc.shard->document_tokens(doc.index)[cursor.offset]);
    const bool scored = doc.shard->document_scored(doc.index)[cursor.offset] != 0;
    if (i < seq_) tokens[i] = token;
    if (i > 0) targets[i - 1] = scored ? token : -100;
    if (i == seq_) row_end = cursor;
    ++cursor.offset;
  }
  position_ = row_end;
  return true;
}

PackedBatch Packer::next(int64_t rows) {
  PackedBatch batch;
  batch.seq = seq_;
  if (documents_.empty()) return batch;
  batch.tokens.resize(static_cast<size_t>(rows * seq_));
  batch.targets.resize(static_cast<size_t>(rows * seq_));
  int64_t filled = 0;
  bool restarted = false;
  while (filled < rows) {
    if (take_row(batch.tokens.data() + filled * seq_, batch.targets.data() + filled * seq_)) {
      ++filled;
      restarted = false;
      continue;
    }
    if (!shuffle_ || restarted) break;  // evaluation ends with the data; a dataset shorter than a row ends too
    position_ = {position_.epoch + 1, 0, 0};
    order_epoch();
    restarted = true;
  }
  batch.rows = filled;
  batch.tokens.resize(static_cast<size_t>(filled * seq_));
  batch.targets.resize(static_cast<size_t>(filled * seq_));
  return batch;
}

}  // namespace medllm
