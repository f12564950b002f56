#pragma once
// Vocabulary entries shared by the SentencePiece models (Unigram, BPE) and the .model reader:
// a piece, its score and its SentencePiece type. Kept free of the .model format so a
// tokenizer.json loader can build the same models.

#include <cstdint>
#include <string>
#include <string_view>

namespace medllm::sentencepiece {

// ModelProto.SentencePiece.Type (same numbers as sentencepiece_model.proto).
enum class PieceType : int32_t { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 };

struct VocabEntry {
  std::string piece;
  float score = 0.0f;
  PieceType type = PieceType::Normal;
};

// "▁" (U+2581), SentencePiece's visible whitespace.
inline constexpr std::string_view kSpaceSymbol = "\xE2\x96\x81";

// NORMAL, USER_DEFINED and UNUSED pieces can be produced by segmenting text; UNKNOWN, CONTROL and
// BYTE pieces live in sentencepiece's "reserved" id map and are never matched against text.
inline bool is_text_piece(PieceType type) {
  return type == PieceType::Normal || type == PieceType::UserDefined || type == PieceType::Unused;
}

// "<0x41>" -> 0x41 (upper-case hex, exactly as sentencepiece writes byte pieces); -1 otherwise.
int byte_piece_value(std::string_view piece);
// 0x41 -> "<0x41>".
std::string byte_piece(uint8_t byte);
// A piece's text with every "▁" turned back into a space.
std::string with_spaces(std::string_view piece);

// Length of the UTF-8 character starting with `lead` as sentencepiece's OneCharLen computes it
// from the high nibble alone (1 for stray continuation bytes); callers clamp to what is left.
inline size_t one_char_len(char lead) {
  static constexpr uint8_t kLengths[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLengths[static_cast<uint8_t>(lead) >> 4];
}

}  // namespace medllm::sentencepiece
