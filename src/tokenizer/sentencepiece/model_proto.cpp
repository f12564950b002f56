#include "tokenizer/sentencepiece/model_proto.hpp"

#include <array>
#include <cstring>
#include <set>

#include "core/error.hpp"

namespace medllm::sentencepiece {

namespace {

// Protobuf wire types.
enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5
};

const char* wire_type_name(uint32_t type) {
  switch (type) {
    case kVarint:
      return "varint";
    case kFixed64:
      return "64-bit";
    case kLengthDelimited:
      return "length-delimited";
    case kFixed32:
      return "32-bit";
    default:
      return "group";
  }
}

// One field of a message: its number, wire type and payload.
struct Field {
  uint32_t number = 0;
  uint32_t wire_type = 0;
  uint64_t varint = 0;     // kVarint
  uint32_t fixed32 = 0;    // kFixed32
  std::string_view bytes;  // kLengthDelimited
  size_t offset = 0;       // of the tag, in the whole file
};

// Reads the fields of one message (bytes of a length-delimited payload, or the whole file).
class MessageReader {
 public:
  MessageReader(std::string_view data, size_t base, std::string path)
      : data_(data), base_(base), path_(std::move(path)) {}

  bool next(Field& field) {
    if (pos_ >= data_.size()) return false;
    field.offset = base_ + pos_;
    const uint64_t tag = varint("field tag");
    const uint64_t number = tag >> 3;
    field.wire_type = static_cast<uint32_t>(tag & 7);
    if (number == 0 || number > 536870911) fail("{}: invalid field number {} at byte {}", path_, number, field.offset);
    field.number = static_cast<uint32_t>(number);
    switch (field.wire_type) {
      case kVarint:
        field.varint = varint("varint field");
        break;
      case kFixed64:
        take(8, "64-bit field");
        break;
      case kFixed32: {
        const std::string_view raw = take(4, "32-bit field");
        field.fixed32 = static_cast<uint32_t>(static_cast<uint8_t>(raw[0])) |
                        static_cast<uint32_t>(static_cast<uint8_t>(raw[1])) << 8 |
                        static_cast<uint32_t>(static_cast<uint8_t>(raw[2])) << 16 |
                        static_cast<uint32_t>(static_cast<uint8_t>(raw[3])) << 24;
        break;
      }
      case kLengthDelimited: {
        const size_t at = base_ + pos_;
        const uint64_t length = varint("length");
        if (length > data_.size() - pos_) {
          fail("{}: field {} at byte {} has length {} but only {} bytes remain", path_, field.number, at, length,
               data_.size() - pos_);
        }
        field.bytes = take(static_cast<size_t>(length), "length-delimited field");
        break;
      }
      default:
        fail("{}: field {} at byte {} uses unsupported wire type {} (groups are not part of ModelProto)", path_,
             field.number, field.offset, field.wire_type);
    }
    return true;
  }

  size_t payload_base(const Field& field) const {
    return static_cast<size_t>(field.bytes.data() - data_.data()) + base_;
  }
  const std::string& path() const { return path_; }

 private:
  uint64_t varint(const char* what) {
    uint64_t value = 0;
    const size_t start = pos_;
    for (int i = 0; i < 10; ++i) {
      if (pos_ >= data_.size()) fail("{}: truncated {} at byte {}", path_, what, base_ + start);
      const auto byte = static_cast<uint8_t>(data_[pos_++]);
      if (i == 9 && byte > 1) fail("{}: {} at byte {} overflows 64 bits", path_, what, base_ + start);
      value |= static_cast<uint64_t>(byte & 0x7F) << (7 * i);
      if ((byte & 0x80) == 0) return value;
    }
    fail("{}: {} at byte {} is longer than 10 bytes", path_, what, base_ + start);
  }

  std::string_view take(size_t n, const char* what) {
    if (n > data_.size() - pos_) fail("{}: truncated {} at byte {}", path_, what, base_ + pos_);
    const std::string_view out = data_.substr(pos_, n);
    pos_ += n;
    return out;
  }

  std::string_view data_;
  size_t base_;
  std::string path_;
  size_t pos_ = 0;
};

void expect_wire_type(const MessageReader& reader, const Field& field, uint32_t type, const char* name) {
  if (field.wire_type != type) {
    fail("{}.{} (field {}) at byte {} has wire type {} ({}); expected {}", reader.path(), name, field.number,
         field.offset, field.wire_type, wire_type_name(field.wire_type), wire_type_name(type));
  }
}

int32_t as_int32(const MessageReader& reader, const Field& field, const char* name) {
  expect_wire_type(reader, field, kVarint, name);
  return static_cast<int32_t>(static_cast<uint32_t>(field.varint));  // protobuf truncates int32 varints
}

bool as_bool(const MessageReader& reader, const Field& field, const char* name) {
  expect_wire_type(reader, field, kVarint, name);
  return field.varint != 0;
}

std::string as_string(const MessageReader& reader, const Field& field, const char* name) {
  expect_wire_type(reader, field, kLengthDelimited, name);
  return std::string(field.bytes);
}

float as_float(const MessageReader& reader, const Field& field, const char* name) {
  expect_wire_type(reader, field, kFixed32, name);
  float value;
  std::memcpy(&value, &field.fixed32, sizeof value);
  return value;
}

// Checks the field's wire type is a valid one (MessageReader did) and ignores it.
void skip(const Field&) {}

VocabEntry parse_piece(const MessageReader& parent, const Field& message, size_t index) {
  MessageReader reader(message.bytes, parent.payload_base(message), fmt::format("pieces[{}]", index));
  VocabEntry entry;
  Field field;
  while (reader.next(field)) {
    switch (field.number) {
      case 1:
        entry.piece = as_string(reader, field, "piece");
        break;
      case 2:
        entry.score = as_float(reader, field, "score");
        break;
      case 3: {
        const int32_t type = as_int32(reader, field, "type");
        if (type < 1 || type > 6) {
          fail("pieces[{}].type = {} is not a piece type (1 NORMAL .. 6 BYTE), at byte {}", index, type, field.offset);
        }
        entry.type = static_cast<PieceType>(type);
        break;
      }
      default:
        skip(field);
    }
  }
  return entry;
}

void parse_trainer_spec(const MessageReader& parent, const Field& message, TrainerSpec& spec) {
  MessageReader reader(message.bytes, parent.payload_base(message), "trainer_spec");
  Field field;
  while (reader.next(field)) {
    switch (field.number) {
      case 3: {
        const int32_t type = as_int32(reader, field, "model_type");
        if (type < 1 || type > 4) {
          fail("trainer_spec.model_type = {} is not a model type (1 UNIGRAM, 2 BPE, 3 WORD, 4 CHAR), at byte {}", type,
               field.offset);
        }
        spec.model_type = static_cast<ModelType>(type);
        break;
      }
      case 4:
        spec.vocab_size = as_int32(reader, field, "vocab_size");
        break;
      case 22:
        spec.split_by_whitespace = as_bool(reader, field, "split_by_whitespace");
        break;
      case 24:
        spec.treat_whitespace_as_suffix = as_bool(reader, field, "treat_whitespace_as_suffix");
        break;
      case 25:
        spec.split_digits = as_bool(reader, field, "split_digits");
        break;
      case 26:
        spec.allow_whitespace_only_pieces = as_bool(reader, field, "allow_whitespace_only_pieces");
        break;
      case 30:
        spec.control_symbols.push_back(as_string(reader, field, "control_symbols"));
        break;
      case 31:
        spec.user_defined_symbols.push_back(as_string(reader, field, "user_defined_symbols"));
        break;
      case 35:
        spec.byte_fallback = as_bool(reader, field, "byte_fallback");
        break;
      case 40:
        spec.unk_id = as_int32(reader, field, "unk_id");
        break;
      case 41:
        spec.bos_id = as_int32(reader, field, "bos_id");
        break;
      case 42:
        spec.eos_id = as_int32(reader, field, "eos_id");
        break;
      case 43:
        spec.pad_id = as_int32(reader, field, "pad_id");
        break;
      case 44:
        spec.unk_surface = as_string(reader, field, "unk_surface");
        break;
      case 45:
        spec.unk_piece = as_string(reader, field, "unk_piece");
        break;
      case 46:
        spec.bos_piece = as_string(reader, field, "bos_piece");
        break;
      case 47:
        spec.eos_piece = as_string(reader, field, "eos_piece");
        break;
      case 48:
        spec.pad_piece = as_string(reader, field, "pad_piece");
        break;
      default:
        skip(field);
    }
  }
}

void parse_normalizer_spec(const MessageReader& parent, const Field& message, NormalizerSpec& spec, const char* name) {
  MessageReader reader(message.bytes, parent.payload_base(message), name);
  Field field;
  while (reader.next(field)) {
    switch (field.number) {
      case 1:
        spec.name = as_string(reader, field, "name");
        break;
      case 2:
        spec.precompiled_charsmap = as_string(reader, field, "precompiled_charsmap");
        break;
      case 3:
        spec.add_dummy_prefix = as_bool(reader, field, "add_dummy_prefix");
        break;
      case 4:
        spec.remove_extra_whitespaces = as_bool(reader, field, "remove_extra_whitespaces");
        break;
      case 5:
        spec.escape_whitespaces = as_bool(reader, field, "escape_whitespaces");
        break;
      default:
        skip(field);
    }
  }
}

}  // namespace

void validate_model_proto(const ModelProto& proto) {
  const auto& pieces = proto.pieces;
  if (pieces.empty()) fail("the model has no pieces");
  if (pieces.size() > static_cast<size_t>(INT32_MAX)) fail("the model has too many pieces ({})", pieces.size());
  std::set<std::string_view> text_pieces;
  std::set<std::string_view> reserved_pieces;
  std::array<bool, 256> byte_found{};
  int64_t unk = -1;
  for (size_t i = 0; i < pieces.size(); ++i) {
    const VocabEntry& entry = pieces[i];
    if (entry.piece.empty()) fail("pieces[{}] is empty", i);
    if (entry.piece.find('\0') != std::string::npos) fail("pieces[{}] contains a NUL character", i);
    auto& set = is_text_piece(entry.type) ? text_pieces : reserved_pieces;
    if (!set.insert(entry.piece).second) fail("pieces[{}] \"{}\" is already defined", i, entry.piece);
    if (entry.type == PieceType::Unknown) {
      if (unk >= 0) fail("pieces[{}] \"{}\" is a second UNKNOWN piece (the first is pieces[{}])", i, entry.piece, unk);
      unk = static_cast<int64_t>(i);
    }
    if (entry.type == PieceType::Byte) {
      if (!proto.trainer_spec.byte_fallback) {
        fail("pieces[{}] \"{}\" is a BYTE piece although trainer_spec.byte_fallback is false", i, entry.piece);
      }
      const int value = byte_piece_value(entry.piece);
      if (value < 0) fail("pieces[{}] \"{}\" is a BYTE piece but not of the form <0xXX>", i, entry.piece);
      byte_found[static_cast<size_t>(value)] = true;
    }
  }
  if (unk < 0) fail("the model has no UNKNOWN piece");
  if (proto.trainer_spec.byte_fallback) {
    for (size_t b = 0; b < 256; ++b) {
      if (!byte_found[b])
        fail("byte_fallback is true but the BYTE piece {} is missing", byte_piece(static_cast<uint8_t>(b)));
    }
  }
}

int byte_piece_value(std::string_view piece) {
  if (piece.size() != 6 || piece.substr(0, 3) != "<0x" || piece[5] != '>') return -1;
  int value = 0;
  for (char c : piece.substr(3, 2)) {
    value *= 16;
    if (c >= '0' && c <= '9') {
      value += c - '0';
    } else if (c >= 'A' && c <= 'F') {
      value += c - 'A' + 10;
    } else {
      return -1;
    }
  }
  return value;
}

std::string byte_piece(uint8_t byte) {
  return fmt::format("<0x{:02X}>", byte);
}

std::string with_spaces(std::string_view piece) {
  std::string out;
  out.reserve(piece.size());
  for (size_t i = 0; i < piece.size();) {
    if (piece.compare(i, kSpaceSymbol.size(), kSpaceSymbol) == 0) {
      out += ' ';
      i += kSpaceSymbol.size();
    } else {
      out += piece[i++];
    }
  }
  return out;
}

ModelProto parse_model_proto(std::string_view bytes) {
  ModelProto proto;
  MessageReader reader(bytes, 0, "ModelProto");
  Field field;
  while (reader.next(field)) {
    switch (field.number) {
      case 1:
        expect_wire_type(reader, field, kLengthDelimited, "pieces");
        proto.pieces.push_back(parse_piece(reader, field, proto.pieces.size()));
        break;
      case 2:
        expect_wire_type(reader, field, kLengthDelimited, "trainer_spec");
        parse_trainer_spec(reader, field, proto.trainer_spec);
        break;
      case 3:
        expect_wire_type(reader, field, kLengthDelimited, "normalizer_spec");
        parse_normalizer_spec(reader, field, proto.normalizer_spec, "normalizer_spec");
        break;
      case 5:
        expect_wire_type(reader, field, kLengthDelimited, "denormalizer_spec");
        if (!proto.denormalizer_spec) proto.denormalizer_spec.emplace();
        parse_normalizer_spec(reader, field, *proto.denormalizer_spec, "denormalizer_spec");
        break;
      default:
        skip(field);
    }
  }
  validate_model_proto(proto);
  return proto;
}

}  // namespace medllm::sentencepiece
