#include "formats/safetensors.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/json_file.hpp"

namespace medllm {

namespace {

using nlohmann::json;

constexpr size_t kMaxHeaderBytes = 100u << 20;  // the limit the reference implementation sets

struct StoredType {
  const char* name;
  size_t bytes;
  std::optional<DType> dtype;
};

constexpr StoredType kStoredTypes[] = {
    {"F32", 4, DType::F32},    {"F16", 2, DType::F16},       {"BF16", 2, DType::BF16},     {"F64", 8, std::nullopt},
    {"I64", 8, std::nullopt},  {"U64", 8, std::nullopt},     {"I32", 4, std::nullopt},     {"U32", 4, std::nullopt},
    {"I16", 2, std::nullopt},  {"U16", 2, std::nullopt},     {"I8", 1, std::nullopt},      {"U8", 1, std::nullopt},
    {"BOOL", 1, std::nullopt}, {"F8_E4M3", 1, std::nullopt}, {"F8_E5M2", 1, std::nullopt},
};

const StoredType* find_stored_type(std::string_view name) {
  for (const auto& type : kStoredTypes) {
    if (name == type.name) return &type;
  }
  return nullptr;
}

const char* stored_type_name(DType type) {
  switch (type) {
    case DType::F32:
      return "F32";
    case DType::F16:
      return "F16";
    case DType::BF16:
      return "BF16";
    default:
      fail("safetensors cannot store {} tensors", dtype_name(type));
  }
}

size_t checked_multiply(size_t a, size_t b, const std::string& tensor) {
  size_t out;
  if (__builtin_mul_overflow(a, b, &out)) fail("tensor '{}': shape is too large", tensor);
  return out;
}

size_t as_size(const json& value, const std::string& tensor, const char* field) {
  if (!value.is_number_unsigned()) {
    fail("tensor '{}': {} must hold non-negative integers, found {}", tensor, field, json_for_message(value));
  }
  return value.get<size_t>();
}

SafetensorsTensorInfo parse_tensor(const std::string& name, const json& entry, size_t data_size) {
  if (!entry.is_object()) fail("tensor '{}': header entry must be an object", name);
  for (const char* field : {"dtype", "shape", "data_offsets"}) {
    if (!entry.contains(field)) fail("tensor '{}': header entry lacks '{}'", name, field);
  }
  SafetensorsTensorInfo info;
  info.name = name;
  if (!entry["dtype"].is_string()) fail("tensor '{}': dtype must be a string", name);
  info.dtype = entry["dtype"].get<std::string>();
  const StoredType* type = find_stored_type(info.dtype);
  if (type == nullptr) fail("tensor '{}': unknown dtype '{}'", name, info.dtype);

  const json& shape = entry["shape"];
  if (!shape.is_array()) fail("tensor '{}': shape must be an array", name);
  size_t numel = 1;
  for (const json& dim : shape) {
    const size_t extent = as_size(dim, name, "shape");
    info.shape.push_back(static_cast<int64_t>(extent));
    numel = checked_multiply(numel, extent, name);
  }
  const json& offsets = entry["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2) {
    fail("tensor '{}': data_offsets must be [begin, end]", name);
  }
  info.begin = as_size(offsets[0], name, "data_offsets");
  info.end = as_size(offsets[1], name, "data_offsets");
  if (info.begin > info.end || info.end > data_size) {
    fail("tensor '{}': data_offsets [{}, {}] lie outside the {}-byte data section", name, info.begin, info.end,
         data_size);
  }
  const size_t expected = checked_multiply(numel, type->bytes, name);
  if (info.end - info.begin != expected) {
    fail("tensor '{}': {} {} with shape {} needs {} bytes but data_offsets span {}", name, numel, info.dtype,
         shape_to_string(info.shape), expected, info.end - info.begin);
  }
  return info;
}

}  // namespace

SafetensorsHeader parse_safetensors(std::span<const std::byte> file) {
  if (file.size() < 8) fail("file is {} bytes, too short for a safetensors header", file.size());
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | std::to_integer<uint64_t>(file[i]);
  if (header_size > kMaxHeaderBytes || header_size > file.size() - 8) {
    fail("header length {} is larger than the file ({} bytes) allows; the file is truncated or not safetensors",
         header_size, file.size());
  }
  const auto* text = reinterpret_cast<const char*>(file.data() + 8);
  json header;
  try {
    header = json::parse(text, text + header_size);
  } catch (const json::exception& e) {
    fail("header is not valid JSON: {}", e.what());
  }
  if (!header.is_object()) fail("header must be a JSON object");

  SafetensorsHeader out;
  out.data_offset = 8 + header_size;
  const size_t data_size = file.size() - out.data_offset;
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      if (!value.is_object()) fail("__metadata__ must be an object of strings");
      for (const auto& [meta_key, meta_value] : value.items()) {
        if (!meta_value.is_string()) fail("__metadata__['{}'] must be a string", meta_key);
        out.metadata[meta_key] = meta_value.get<std::string>();
      }
      continue;
    }
    out.tensors.push_back(parse_tensor(key, value, data_size));
  }
  std::sort(out.tensors.begin(), out.tensors.end(),
            [](const auto& a, const auto& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
  size_t covered = 0;
  for (const auto& tensor : out.tensors) {
    if (tensor.begin < covered) fail("tensor '{}' overlaps the tensor before it", tensor.name);
    if (tensor.begin > covered) {
      fail("the data section has a hole of {} bytes before tensor '{}'", tensor.begin - covered, tensor.name);
    }
    covered = tensor.end;
  }
  if (covered != data_size) {
    fail("the data section holds {} bytes but the tensors cover {}", data_size, covered);
  }
  return out;
}

void load_safetensors(const std::string& path, TensorStore& store) {
  const MappedFile& file = store.adopt(MappedFile(path));
  const SafetensorsHeader header = with_context(path, [&] { return parse_safetensors(file.bytes()); });
  for (const auto& info : header.tensors) {
    const StoredType* type = find_stored_type(info.dtype);
    store.add(TensorEntry{info.name, info.dtype, type->dtype, info.shape, file.data() + header.data_offset + info.begin,
                          info.end - info.begin, path});
  }
}

void load_safetensors_dir(const std::string& directory, TensorStore& store) {
  namespace fs = std::filesystem;
  const fs::path dir(directory);
  if (fs::exists(dir / "model.safetensors")) {
    load_safetensors((dir / "model.safetensors").string(), store);
    return;
  }
  const fs::path index_path = dir / "model.safetensors.index.json";
  if (!fs::exists(index_path)) {
    fail("{}: no model.safetensors or model.safetensors.index.json", directory);
  }
  const std::string index_name = index_path.string();
  const json index = read_json_file(index_name);
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object()) {
    fail("{}: lacks the 'weight_map' object", index_name);
  }
  std::map<std::string, std::vector<std::string>> names_by_shard;
  for (const auto& [name, shard] : index["weight_map"].items()) {
    if (!shard.is_string()) fail("{}: weight_map['{}'] must be a file name", index_name, name);
    const std::string file = shard.get<std::string>();
    if (file.empty() || file.find('/') != std::string::npos || file.find("..") != std::string::npos) {
      fail("{}: weight_map['{}'] = '{}' is not a file name in the model directory", index_name, name, file);
    }
    names_by_shard[file].push_back(name);
  }
  for (const auto& [shard, names] : names_by_shard) {
    const std::string shard_path = (dir / shard).string();
    load_safetensors(shard_path, store);
    for (const auto& name : names) {
      const TensorEntry* entry = store.find(name);
      if (entry == nullptr || entry->file != shard_path) {
        fail("{}: tensor '{}' is mapped to {} but that shard does not hold it", index_name, name, shard);
      }
    }
  }
}

void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, TensorView>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  size_t offset = 0;
  for (const auto& [name, view] : tensors) {
    const size_t bytes = view.nbytes();
    header[name] = {
        {"dtype", stored_type_name(view.dtype)}, {"shape", view.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string header_text = header.dump();
  header_text.append((8 - header_text.size() % 8) % 8, ' ');  // keeps the data 8-byte aligned
  std::byte size_bytes[8];
  for (int i = 0; i < 8; ++i) size_bytes[i] = static_cast<std::byte>((header_text.size() >> (8 * i)) & 0xff);
  AtomicFile out(path);
  out.write(size_bytes);
  out.write(header_text);
  for (const auto& [name, view] : tensors) out.write(std::span(view.data, view.nbytes()));
  out.commit();
}

}  // namespace medllm
