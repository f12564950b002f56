#include "formats/gguf.hpp"

#include <cstring>
#include <optional>
#include <string>

#include "core/dtype.hpp"
#include "core/error.hpp"
#include "core/json_file.hpp"
#include "core/utf8.hpp"

namespace medllm {

namespace {

using nlohmann::json;

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as little-endian u32
constexpr uint32_t kMaxDims = 4;
constexpr int kMaxArrayDepth = 8;

struct GgmlType {
  uint32_t id;
  std::string name;  // as ggml spells it: "Q4_K"
  int64_t block_elems;
  size_t block_bytes;
  std::optional<DType> dtype;  // set where medllm computes with it
};

// ggml types medllm reads past but does not compute with: ids, names and block layouts as ggml
// defines them (ggml.h / ggml.c type traits). The types it computes with come from the DType
// traits table (core/dtype.cpp), so their layouts are written once.
struct ForeignType {
  uint32_t id;
  const char* name;
  int64_t block_elems;
  size_t block_bytes;
};
constexpr ForeignType kForeignTypes[] = {
    {9, "Q8_1", 32, 36}, {15, "Q8_K", 256, 292}, {24, "I8", 1, 1},  {25, "I16", 1, 2},
    {26, "I32", 1, 4},   {27, "I64", 1, 8},      {28, "F64", 1, 8},
};

std::optional<GgmlType> find_ggml_type(uint32_t id) {
  if (const std::optional<DType> dtype = dtype_from_ggml_type(id)) {
    const DTypeTraits& traits = dtype_traits(*dtype);
    return GgmlType{id, utf8::upper_ascii(traits.name), traits.block_elems, traits.block_bytes, dtype};
  }
  for (const auto& type : kForeignTypes) {
    if (type.id == id) return GgmlType{id, type.name, type.block_elems, type.block_bytes, std::nullopt};
  }
  return std::nullopt;
}

using enum GgufValueType;

// Bounds-checked little-endian reader over the file bytes.
class Reader {
 public:
  explicit Reader(std::span<const std::byte> bytes) : bytes_(bytes) {}

  size_t position() const { return pos_; }
  size_t remaining() const { return bytes_.size() - pos_; }

  template <typename T>
  T read(const char* what) {
    if (remaining() < sizeof(T)) {
      fail("file ends inside {} at byte {} (file is {} bytes); it is truncated", what, pos_, bytes_.size());
    }
    T value;
    std::memcpy(&value, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }

  std::string read_string(const char* what) {
    const uint64_t length = read<uint64_t>(what);
    if (length > remaining()) {
      fail("{} at byte {} claims {} bytes but only {} remain", what, pos_ - 8, length, remaining());
    }
    std::string out(reinterpret_cast<const char*>(bytes_.data() + pos_), length);
    pos_ += length;
    return out;
  }

 private:
  std::span<const std::byte> bytes_;
  size_t pos_ = 0;
};

json read_value(Reader& reader, uint32_t type, const std::string& key, int depth);

json read_array(Reader& reader, const std::string& key, int depth) {
  if (depth >= kMaxArrayDepth) fail("metadata '{}': arrays nested deeper than {}", key, kMaxArrayDepth);
  const uint32_t element_type = reader.read<uint32_t>("array type");
  const uint64_t count = reader.read<uint64_t>("array length");
  if (count > reader.remaining()) {  // every element takes at least one byte
    fail("metadata '{}': array of {} elements cannot fit in the {} remaining bytes", key, count, reader.remaining());
  }
  json out = json::array();
  for (uint64_t i = 0; i < count; ++i) out.push_back(read_value(reader, element_type, key, depth + 1));
  return out;
}

json read_value(Reader& reader, uint32_t type, const std::string& key, int depth) {
  switch (static_cast<GgufValueType>(type)) {
    case kU8:
      return reader.read<uint8_t>("u8 value");
    case kI8:
      return reader.read<int8_t>("i8 value");
    case kU16:
      return reader.read<uint16_t>("u16 value");
    case kI16:
      return reader.read<int16_t>("i16 value");
    case kU32:
      return reader.read<uint32_t>("u32 value");
    case kI32:
      return reader.read<int32_t>("i32 value");
    case kU64:
      return reader.read<uint64_t>("u64 value");
    case kI64:
      return reader.read<int64_t>("i64 value");
    case kF32:
      return reader.read<float>("f32 value");
    case kF64:
      return reader.read<double>("f64 value");
    case kBool: {
      const uint8_t value = reader.read<uint8_t>("bool value");
      if (value > 1) fail("metadata '{}': bool value {} is neither 0 nor 1", key, value);
      return value == 1;
    }
    case kString: {
      std::string text = reader.read_string("string value");
      // Vocabularies may hold pieces that are not valid UTF-8 on their own; keep the bytes.
      return json::binary_t(std::vector<uint8_t>(text.begin(), text.end()));
    }
    case kArray:
      return read_array(reader, key, depth);
    default:
      fail("metadata '{}': unknown value type {}", key, type);
  }
}

// Strings are read as bytes; turn the ones that are valid UTF-8 into JSON strings.
void strings_from_binary(json& value) {
  if (value.is_binary()) {
    const auto& bytes = value.get_binary();
    std::string text(bytes.begin(), bytes.end());
    value = std::move(text);
    return;
  }
  if (value.is_array()) {
    for (auto& element : value) strings_from_binary(element);
  }
}

}  // namespace

GgufFile parse_gguf(std::span<const std::byte> bytes) {
  Reader reader(bytes);
  if (reader.read<uint32_t>("the magic number") != kMagic) fail("not a GGUF file (bad magic number)");
  GgufFile file;
  file.version = reader.read<uint32_t>("the version");
  if (file.version != 2 && file.version != 3) {
    fail("GGUF version {} is not supported (2 and 3 are)", file.version);
  }
  const uint64_t tensor_count = reader.read<uint64_t>("the tensor count");
  const uint64_t kv_count = reader.read<uint64_t>("the metadata count");
  // A key/value pair takes at least 13 bytes and a tensor descriptor at least 24.
  if (kv_count > reader.remaining() / 13 || tensor_count > reader.remaining() / 24) {
    fail("header claims {} metadata entries and {} tensors, more than the file can hold", kv_count, tensor_count);
  }
  for (uint64_t i = 0; i < kv_count; ++i) {
    const std::string key = reader.read_string("a metadata key");
    const uint32_t type = reader.read<uint32_t>("a metadata type");
    const size_t value_offset = reader.position();
    json value = read_value(reader, type, key, 0);
    file.entries.push_back({key, static_cast<GgufValueType>(type), value_offset, reader.position() - value_offset});
    strings_from_binary(value);
    if (file.metadata.contains(key)) fail("metadata key '{}' appears twice", key);
    file.metadata[key] = std::move(value);
  }
  if (file.metadata.contains("general.alignment")) {
    const json& alignment = file.metadata["general.alignment"];
    if (!alignment.is_number_unsigned() || alignment.get<uint64_t>() == 0 ||
        (alignment.get<uint64_t>() & (alignment.get<uint64_t>() - 1)) != 0 || alignment.get<uint64_t>() > 4096) {
      fail("general.alignment must be a power of two up to 4096, found {}", json_for_message(alignment));
    }
    file.alignment = alignment.get<size_t>();
  }

  for (uint64_t i = 0; i < tensor_count; ++i) {
    GgufTensorInfo info;
    info.name = reader.read_string("a tensor name");
    const uint32_t dims = reader.read<uint32_t>("a tensor's dimension count");
    if (dims == 0 || dims > kMaxDims)
      fail("tensor '{}' has {} dimensions (1 to {} allowed)", info.name, dims, kMaxDims);
    for (uint32_t d = 0; d < dims; ++d) info.ne.push_back(reader.read<uint64_t>("a tensor dimension"));
    info.ggml_type = reader.read<uint32_t>("a tensor type");
    info.offset = reader.read<uint64_t>("a tensor offset");
    file.tensors.push_back(std::move(info));
  }
  file.data_offset = (reader.position() + file.alignment - 1) / file.alignment * file.alignment;
  if (file.data_offset > bytes.size()) fail("file ends before its data section; it is truncated");
  const size_t data_size = bytes.size() - file.data_offset;

  for (auto& info : file.tensors) {
    const std::optional<GgmlType> type = find_ggml_type(info.ggml_type);
    if (!type) fail("tensor '{}' has unknown ggml type {}", info.name, info.ggml_type);
    uint64_t numel = 1;
    for (uint64_t extent : info.ne) {
      if (extent > (uint64_t{1} << 40) || __builtin_mul_overflow(numel, extent, &numel) ||
          numel > (uint64_t{1} << 48)) {
        fail("tensor '{}' has an impossible shape", info.name);
      }
    }
    if (info.ne[0] % static_cast<uint64_t>(type->block_elems) != 0) {
      fail("tensor '{}': row length {} is not a multiple of the {} block size {}", info.name, info.ne[0], type->name,
           type->block_elems);
    }
    info.nbytes = numel / static_cast<uint64_t>(type->block_elems) * type->block_bytes;
    if (info.offset % file.alignment != 0) {
      fail("tensor '{}': offset {} is not a multiple of the alignment {}", info.name, info.offset, file.alignment);
    }
    if (info.offset > data_size || info.nbytes > data_size - info.offset) {
      fail("tensor '{}': bytes [{}, {}) lie outside the {}-byte data section; the file is truncated or corrupt",
           info.name, info.offset, info.offset + info.nbytes, data_size);
    }
  }
  return file;
}

GgufFile load_gguf(const std::string& path, TensorStore& store) {
  const MappedFile& mapped = store.adopt(MappedFile(path));
  GgufFile file = with_context(path, [&] { return parse_gguf(mapped.bytes()); });
  for (const auto& info : file.tensors) {
    const std::optional<GgmlType> type = find_ggml_type(info.ggml_type);
    Shape shape(info.ne.rbegin(), info.ne.rend());
    store.add(TensorEntry{info.name, type->name, type->dtype, std::move(shape),
                          mapped.data() + file.data_offset + info.offset, info.nbytes, path});
  }
  return file;
}

}  // namespace medllm
