#pragma once
// Turns dataset shards into fixed-shape training rows. Each epoch visits the documents in a
// seeded random order, concatenated into one token stream (documents already end in EOS), cut
// into rows of seq + 1 tokens with stride seq, so every token after the first is a target once.
// The position in the stream is three integers, saved in checkpoints for exact resume.

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "data/dataset.hpp"

namespace medllm {

struct PackerPosition {
  int64_t epoch = 0;
  int64_t document = 0;  // index into this epoch's document order
  int64_t offset = 0;    // tokens of that document already consumed
  nlohmann::json to_json() const;
  static PackerPosition from_json(const nlohmann::json& json);
};

// A row: inputs and targets of seq tokens; target −100 where the token is not a training target.
struct PackedBatch {
  int64_t rows = 0;
  int64_t seq = 0;
  std::vector<int32_t> tokens;
  std::vector<int32_t> targets;
  int64_t scored() const;
};

class Packer {
 public:
  // shuffle: per-epoch random document order (training); false: file order (evaluation).
  Packer(const std::vector<std::unique_ptr<DatasetShard>>& shards, int64_t seq, bool shuffle, uint64_t seed);

  // The next `rows` rows; at the end of an epoch the partial row is dropped and the next epoch
  // begins. For evaluation (no shuffle) returns fewer rows, or none, at the end of the data.
  PackedBatch next(int64_t rows);
  const PackerPosition& position() const { return position_; }
  void seek(const PackerPosition& position);
  int64_t total_tokens() const { return total_tokens_; }
  int64_t rows_per_epoch() const;

 private:
  struct DocumentRef {
    const DatasetShard* shard;
    int64_t index;
  };
  void order_epoch();
  bool take_row(int32_t* tokens, int32_t* targets);  // false at the end of the epoch

  std::vector<DocumentRef> documents_;
  std::vector<int64_t> order_;
  int64_t seq_;
  bool shuffle_;
  uint64_t seed_;
  int64_t total_tokens_ = 0;
  PackerPosition position_;
  int64_t ordered_epoch_ = -1;
};

}  // namespace medllm
