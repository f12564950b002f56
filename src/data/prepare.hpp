#pragma once
// `medllm data prepare`: raw text, JSONL records or chat data → tokenized dataset shards
// (data/dataset.hpp) for training, with a held-out validation split, exact-duplicate removal and
// basic cleaning. Inputs are read as streams, so their size is bounded by disk, not memory.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/events.hpp"

namespace medllm {

class Tokenizer;
class ChatTemplate;

struct PrepareOptions {
  std::vector<std::string> inputs;  // files, read in order
  std::string out_dir;
  // text: plain text; jsonl: records with a text field or template; messages (OpenAI),
  // sharegpt (conversations/from/value), alpaca (instruction/input/output); auto: by extension
  // and the first record's fields.
  std::string format = "auto";
  std::string sample_by = "line";  // text: "line", "paragraph" (blank-line separated) or "document"
  std::string text_field = "text";
  std::string text_template;  // jsonl: "{question}\n{answer}" style, fields in braces
  std::string prompt_field;   // jsonl: with response_field, a one-turn conversation
  std::string response_field;
  std::string system_prompt;      // prepended to conversations that have no system message
  std::string objective = "cpt";  // cpt: every token is a target; sft: assistant tokens only
  double valid_fraction = 0.05;   // by a hash of the text, so the split never depends on order
  bool deduplicate = true;
  int64_t min_chars = 1;
  bool add_eos = true;  // cpt: end each document with EOS so packed documents are separated
  int64_t shard_tokens = int64_t{1} << 28;

  // The fields above under their names ("text_template", "valid_fraction", ...); unknown keys are
  // errors naming the key.
  static PrepareOptions from_json(const nlohmann::json& json, const std::string& source);
  nlohmann::json to_json() const;
};

struct PrepareStats {
  int64_t records = 0;       // samples read
  int64_t empty = 0;         // nothing left after cleaning
  int64_t too_short = 0;     // fewer than min_chars
  int64_t invalid_utf8 = 0;  // dropped: not UTF-8
  int64_t malformed = 0;     // dropped: JSON or fields unusable (the first few in malformed_examples)
  int64_t duplicates = 0;    // dropped: exact duplicate of an earlier sample
  int64_t train_documents = 0, valid_documents = 0;
  int64_t train_tokens = 0, valid_tokens = 0;
  int64_t train_scored = 0, valid_scored = 0;
  std::vector<std::string> shards;
  std::vector<std::string> malformed_examples;  // why the first few were dropped: "FILE:LINE: field 'x' is missing"
  std::vector<std::string> record_fields;       // JSONL: the fields the first records have
  nlohmann::json to_json() const;
  // "N records → train D documents / T tokens, valid ...; dropped N duplicates, N empty, ..."
  std::string counts_text() const;
};

// chat may be null for objective cpt on plain text. Writes OUT/train-00000.mlds ...,
// OUT/valid-00000.mlds, and OUT/dataset.json (options and stats).
// progress counts input bytes.
PrepareStats prepare_dataset(const Tokenizer& tokenizer, const ChatTemplate* chat, const PrepareOptions& options,
                             const ProgressCallback& progress = {});

// The same with the tokenizer of a model (directory, .gguf or tokenizer file), and its chat
// template when the data are conversations.
PrepareStats prepare_dataset(const std::string& model, const PrepareOptions& options,
                             const ProgressCallback& progress = {});

}  // namespace medllm
