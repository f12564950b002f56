#pragma once
// The tokenized training-data format (.mlds, "medllm dataset"), one file per shard:
//
//   bytes 0-7    magic "MLLMDS01"
//   bytes 8-15   u64 little-endian: length H of the JSON header
//   H bytes      JSON header: {"format":"medllm-dataset","version":1,"tokenizer":{sha256,vocab_size},
//                "objective":"cpt"|"sft","documents":N,"tokens":T,"scored_tokens":S,...}, space-padded
//                so that the data starts at a multiple of 8
//   T × u32      token ids, documents back to back
//   T × u8       1 if the token is a training target (SFT: assistant tokens; CPT: every token)
//   padding      to a multiple of 8
//   (N+1) × u64  document start offsets into the token array (last = T)
//
// Files are memory-mapped for training, so a shard of any size costs no heap memory.

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "core/mapped_file.hpp"

namespace medllm {

class Tokenizer;

// A fingerprint of a tokenizer's vocabulary (every token's text, control flags, BOS/EOS), so a
// dataset cannot be trained with a model whose tokenizer assigns other ids.
std::string tokenizer_fingerprint(const Tokenizer& tokenizer);

// Accumulates documents and writes them as one shard (atomically).
class DatasetWriter {
 public:
  void add(std::span<const int32_t> tokens, std::span<const uint8_t> scored);
  int64_t documents() const { return static_cast<int64_t>(offsets_.size()) - 1; }
  int64_t tokens() const { return static_cast<int64_t>(tokens_.size()); }
  int64_t scored_tokens() const { return scored_count_; }
  // header: extra fields (tokenizer, objective, source...); counts are added here.
  void write(const std::string& path, nlohmann::json header) const;

 private:
  std::vector<uint32_t> tokens_;
  std::vector<uint8_t> scored_;
  std::vector<uint64_t> offsets_ = {0};
  int64_t scored_count_ = 0;
};

// The parts of a shard's bytes, after validating every size, offset and token id. Errors name
// `source`. The pointers point into `bytes`.
struct ShardLayout {
  nlohmann::json header;
  int64_t documents = 0;
  int64_t tokens = 0;
  const uint32_t* token_data = nullptr;
  const uint8_t* scored_data = nullptr;
  std::vector<uint64_t> offsets;
};
ShardLayout parse_shard(std::span<const std::byte> bytes, const std::string& source);

// A memory-mapped shard.
class DatasetShard {
 public:
  explicit DatasetShard(const std::string& path);
  const nlohmann::json& header() const { return layout_.header; }
  const std::string& path() const { return file_.path(); }
  int64_t documents() const { return layout_.documents; }
  int64_t tokens() const { return layout_.tokens; }
  std::span<const uint32_t> document_tokens(int64_t document) const;
  std::span<const uint8_t> document_scored(int64_t document) const;

 private:
  MappedFile file_;
  ShardLayout layout_;
};

// The shards of one split, in file-name order: DIR/<split>-*.mlds.
std::vector<std::unique_ptr<DatasetShard>> open_split(const std::string& directory, const std::string& split);

// An error naming the shard and the model unless every shard was prepared with this tokenizer
// (model names it in the message).
void require_tokenizer(const std::vector<std::unique_ptr<DatasetShard>>& shards, const Tokenizer& tokenizer,
                       const std::string& model);

}  // namespace medllm
