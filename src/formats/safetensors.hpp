#pragma once
// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {...}},
// then the tensor bytes, packed without holes.

#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.hpp"
#include "formats/tensor_store.hpp"

namespace medllm {

struct SafetensorsTensorInfo {
  std::string name;
  std::string dtype;  // safetensors spelling: "F32", "BF16", "I64", ...
  Shape shape;
  size_t begin = 0;  // byte offsets within the data section
  size_t end = 0;
};

struct SafetensorsHeader {
  std::vector<SafetensorsTensorInfo> tensors;  // in file order of their data
  std::map<std::string, std::string> metadata;
  size_t data_offset = 0;  // where the data section starts in the file
};

// Parses and fully validates a safetensors file held in memory: header size, JSON, dtypes,
// shapes, offsets inside the data, no overlaps or holes. Errors say what is wrong (the caller
// adds the path).
SafetensorsHeader parse_safetensors(std::span<const std::byte> file);

// Maps one .safetensors file and adds its tensors to the store.
void load_safetensors(const std::string& path, TensorStore& store);

// Loads the weights of a Hugging Face model directory: model.safetensors, or the shards named
// by model.safetensors.index.json (each shard is checked against the index).
void load_safetensors_dir(const std::string& directory, TensorStore& store);

// Writes tensors (in the given order) as one safetensors file, atomically.
void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, TensorView>>& tensors,
                       const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

}  // namespace medllm
