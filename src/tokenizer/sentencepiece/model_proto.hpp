#pragma once
// Reader for SentencePiece `.model` files: the protobuf wire format of sentencepiece_model.proto's
// ModelProto, decoded by hand (no protobuf dependency). Only the fields that change tokenization
// are kept; unknown fields (self-test data, extensions, fields of newer versions) are skipped.
// Every malformed input is an Error naming the field and byte offset.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/sentencepiece/vocab.hpp"

namespace medllm::sentencepiece {

// TrainerSpec.ModelType.
enum class ModelType : int32_t { Unigram = 1, Bpe = 2, Word = 3, Char = 4 };

// TrainerSpec (field numbers in the .cpp); defaults are the proto's.
struct TrainerSpec {
  ModelType model_type = ModelType::Unigram;
  int32_t vocab_size = 8000;
  bool byte_fallback = false;
  bool treat_whitespace_as_suffix = false;
  bool allow_whitespace_only_pieces = false;
  bool split_digits = false;
  bool split_by_whitespace = true;
  int32_t unk_id = 0;
  int32_t bos_id = 1;
  int32_t eos_id = 2;
  int32_t pad_id = -1;
  std::string unk_piece = "<unk>";
  std::string bos_piece = "<s>";
  std::string eos_piece = "</s>";
  std::string pad_piece = "<pad>";
  std::string unk_surface = " \xE2\x81\x87 ";  // " ⁇ "
  std::vector<std::string> control_symbols;
  std::vector<std::string> user_defined_symbols;
};

// NormalizerSpec.
struct NormalizerSpec {
  std::string name;
  std::string precompiled_charsmap;  // raw blob: <u32 trie size><Darts double array><NUL-separated strings>
  bool add_dummy_prefix = true;
  bool remove_extra_whitespaces = true;
  bool escape_whitespaces = true;
};

struct ModelProto {
  std::vector<VocabEntry> pieces;
  TrainerSpec trainer_spec;
  NormalizerSpec normalizer_spec;
  std::optional<NormalizerSpec> denormalizer_spec;
};

// Parses the bytes of a .model file. Checks the wire format (varints, lengths, wire types, enum
// values) and, as sentencepiece's ModelInterface does, the vocabulary: at least one piece, no
// empty piece or piece with NUL, no duplicate among the text pieces (NORMAL, USER_DEFINED,
// UNUSED) nor among the reserved ones (UNKNOWN, CONTROL, BYTE), exactly one UNKNOWN piece, BYTE
// pieces only with byte_fallback and then all 256 of them.
ModelProto parse_model_proto(std::string_view bytes);

// The vocabulary checks of parse_model_proto, for a ModelProto built another way.
void validate_model_proto(const ModelProto& proto);

}  // namespace medllm::sentencepiece
