#pragma once
// Writes protobuf wire format by hand, to build small (and deliberately broken) .model files in
// the tests.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace medllm::test {

inline std::string pb_varint(uint64_t value) {
  std::string out;
  do {
    uint8_t byte = value & 0x7F;
    value >>= 7;
    if (value != 0) byte |= 0x80;
    out += static_cast<char>(byte);
  } while (value != 0);
  return out;
}
inline std::string pb_tag(uint32_t field, uint32_t wire_type) {
  return pb_varint(uint64_t{field} << 3 | wire_type);
}
inline std::string pb_bytes(uint32_t field, std::string_view bytes) {
  return pb_tag(field, 2) + pb_varint(bytes.size()) + std::string(bytes);
}
inline std::string pb_int(uint32_t field, int64_t value) {
  return pb_tag(field, 0) + pb_varint(static_cast<uint64_t>(value));
}
inline std::string pb_float(uint32_t field, float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  std::string out = pb_tag(field, 5);
  for (int i = 0; i < 4; ++i) out += static_cast<char>((bits >> (8 * i)) & 0xFF);
  return out;
}

// ModelProto.SentencePiece: piece = 1, score = 2, type = 3.
inline std::string pb_piece(std::string_view piece, float score, int type = 1) {
  return pb_bytes(1, pb_bytes(1, piece) + pb_float(2, score) + pb_int(3, type));
}

// A tiny valid model: <unk> <s> </s>, optional 256 byte pieces, then `normal` pieces with
// descending scores; trainer_spec (field 2) and normalizer_spec (field 3) as given.
inline std::string tiny_model(const std::vector<std::string>& normal, std::string trainer_spec = "",
                              std::string normalizer_spec = "", bool bytes = false) {
  std::string out = pb_piece("<unk>", 0, 2) + pb_piece("<s>", 0, 3) + pb_piece("</s>", 0, 3);
  if (bytes) {
    static const char* hex = "0123456789ABCDEF";
    for (int b = 0; b < 256; ++b) out += pb_piece(std::string("<0x") + hex[b >> 4] + hex[b & 15] + ">", 0, 6);
  }
  float score = -1.0f;
  for (const auto& piece : normal) out += pb_piece(piece, score -= 0.5f);
  if (bytes) trainer_spec += pb_int(35, 1);
  out += pb_bytes(2, trainer_spec);
  out += pb_bytes(3, normalizer_spec);
  return out;
}

}  // namespace medllm::test
