#pragma once
// Writes GGUF version 3 files as llama.cpp's gguf writer lays them out: the header, the typed
// key/values in the order added, the tensor descriptors, then the tensor data, each tensor at a
// multiple of the file's alignment and the data section padded to one. The counterpart of
// formats/gguf.hpp, which reads every file written here.

#include <cstddef>
#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor.hpp"

namespace medllm {

enum class GgufValueType : uint32_t;  // formats/gguf.hpp

class GgufWriter {
 public:
  // Key/values, written in the order added. An empty or repeated key is an error naming it.
  // general.alignment sets the file's alignment: it must be a u32 power of two up to 4096 (what
  // formats/gguf.hpp reads; llama.cpp reads it only as a u32). Without it the alignment is 32.
  void add_u8(const std::string& key, uint8_t value);
  void add_i8(const std::string& key, int8_t value);
  void add_u16(const std::string& key, uint16_t value);
  void add_i16(const std::string& key, int16_t value);
  void add_u32(const std::string& key, uint32_t value);
  void add_i32(const std::string& key, int32_t value);
  void add_u64(const std::string& key, uint64_t value);
  void add_i64(const std::string& key, int64_t value);
  void add_f32(const std::string& key, float value);
  void add_f64(const std::string& key, double value);
  void add_bool(const std::string& key, bool value);
  // Strings are bytes: a vocabulary piece that is not valid UTF-8 on its own is kept as it is.
  void add_string(const std::string& key, std::string_view value);
  void add_string_array(const std::string& key, std::span<const std::string> values);
  void add_f32_array(const std::string& key, std::span<const float> values);
  void add_i32_array(const std::string& key, std::span<const int32_t> values);
  void add_u32_array(const std::string& key, std::span<const uint32_t> values);
  // A value exactly as another GGUF file encodes it (GgufEntry: the bytes after its type id), so
  // copied metadata keeps every type and byte. The bytes are copied.
  void add_encoded(const std::string& key, GgufValueType type, std::span<const std::byte> encoded);

  // A tensor of `shape` (outermost first, as TensorView holds it; the file stores it innermost
  // first) whose bytes are `data`, exactly dtype_bytes(dtype, numel) of them. It has 1 to 4
  // dimensions, all written (outer extents of 1 included, as gguf-py writes them), and the
  // innermost is a whole number of blocks. The data is not copied: it must stay alive and
  // unchanged until write() returns, so a large model streams to the file from where it already
  // lies. An empty, repeated or over-long (64 bytes or more, llama.cpp's limit) name is an error.
  void add_tensor(const std::string& name, DType dtype, Shape shape, std::span<const std::byte> data);
  void add_tensor(const std::string& name, const TensorView& view);

  // Writes the file atomically: a run killed half way leaves `path` as it was. Errors name the path.
  void write(const std::string& path) const;

 private:
  struct Tensor {
    std::string name;
    DType dtype;
    Shape shape;
    std::span<const std::byte> data;
  };

  void begin_value(const std::string& key, GgufValueType type);
  template <typename T>
  void add_scalar(const std::string& key, GgufValueType type, T value);
  template <typename T>
  void add_array(const std::string& key, GgufValueType element_type, std::span<const T> values);
  std::string tensor_infos() const;

  std::string metadata_;  // the key/values, encoded as they go into the file
  uint64_t kv_count_ = 0;
  std::set<std::string, std::less<>> keys_;
  size_t alignment_ = 32;
  std::vector<Tensor> tensors_;
  std::set<std::string, std::less<>> tensor_names_;
};

}  // namespace medllm
