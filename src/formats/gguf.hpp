#pragma once
// The GGUF format (versions 2 and 3) written by llama.cpp: a header, typed key/value metadata,
// tensor descriptors with ggml types, then the aligned tensor data.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "formats/tensor_store.hpp"

namespace medllm {

// The type ids of metadata values (gguf.h's enum gguf_type). A string is a u64 length and its
// bytes; an array is its element type, a u64 count and the elements.
enum class GgufValueType : uint32_t {
  kU8 = 0,
  kI8 = 1,
  kU16 = 2,
  kI16 = 3,
  kU32 = 4,
  kI32 = 5,
  kF32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kU64 = 10,
  kI64 = 11,
  kF64 = 12,
};

struct GgufTensorInfo {
  std::string name;
  std::vector<uint64_t> ne;  // ggml order: ne[0] is the innermost (contiguous) dimension
  uint32_t ggml_type = 0;
  uint64_t offset = 0;  // relative to the data section
  size_t nbytes = 0;
};

// Where a key's value lies in the file, as encoded there: what a writer copies to keep it exactly.
struct GgufEntry {
  std::string key;
  GgufValueType type;
  size_t offset = 0, size = 0;  // of the encoded value (after its type id), from the file's start
};

struct GgufFile {
  uint32_t version = 0;
  nlohmann::json metadata = nlohmann::json::object();  // key -> value (arrays as JSON arrays)
  std::vector<GgufEntry> entries;                      // the same keys, in file order, typed
  std::vector<GgufTensorInfo> tensors;
  size_t alignment = 32;
  size_t data_offset = 0;
};

// Parses and validates a GGUF file held in memory (every length, count, type, dimension and
// offset checked against the buffer). Errors say what is wrong; the caller adds the path.
GgufFile parse_gguf(std::span<const std::byte> file);

// Maps a GGUF file, adds its tensors to the store (shapes reversed to outermost-first) and
// returns its metadata.
GgufFile load_gguf(const std::string& path, TensorStore& store);

}  // namespace medllm
