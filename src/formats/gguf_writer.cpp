#include "formats/gguf_writer.hpp"

#include <array>
#include <bit>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "formats/gguf.hpp"

namespace medllm {

namespace {

// GGUF is little-endian; values are copied into the file as they lie in memory.
static_assert(std::endian::native == std::endian::little);

using enum GgufValueType;

constexpr uint32_t kVersion = 3;
constexpr std::string_view kAlignmentKey = "general.alignment";
constexpr uint32_t kMaxAlignment = 4096;  // the most formats/gguf.cpp reads
constexpr size_t kMaxDims = 4;            // GGML_MAX_DIMS
// llama.cpp holds a tensor name in char[GGML_MAX_NAME = 64] with its NUL and refuses longer ones.
constexpr size_t kMaxNameBytes = 63;

template <typename T>
void put(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

void put_string(std::string& out, std::string_view text) {
  put<uint64_t>(out, text.size());
  out.append(text);
}

template <typename T>
void put_element(std::string& out, const T& value) {
  if constexpr (std::is_same_v<T, std::string>) {
    put_string(out, value);
  } else {
    put(out, value);
  }
}

size_t round_up(size_t offset, size_t alignment) {
  return (offset + alignment - 1) / alignment * alignment;
}

// Zeros from `written` up to the next multiple of the alignment.
void pad(AtomicFile& out, size_t written, size_t alignment) {
  static constexpr std::array<std::byte, kMaxAlignment> kZeros{};
  out.write(std::span(kZeros).first(round_up(written, alignment) - written));
}

// The bytes of a tensor of this shape, after checking that GGUF can hold the shape.
size_t tensor_bytes(const std::string& name, DType dtype, const Shape& shape) {
  if (shape.empty() || shape.size() > kMaxDims) {
    fail("GGUF tensor '{}': shape {} has {} dimensions (1 to {} allowed)", name, shape_to_string(shape), shape.size(),
         kMaxDims);
  }
  int64_t numel = 1;
  for (const int64_t extent : shape) {
    if (extent < 0 || __builtin_mul_overflow(numel, extent, &numel)) {
      fail("GGUF tensor '{}' has an impossible shape {}", name, shape_to_string(shape));
    }
  }
  // Rows are stored as whole blocks; a block never spans two rows.
  const DTypeTraits& traits = dtype_traits(dtype);
  if (shape.back() % traits.block_elems != 0) {
    fail("GGUF tensor '{}': innermost dimension {} is not a multiple of the {} block size {}", name, shape.back(),
         traits.name, traits.block_elems);
  }
  return dtype_bytes(dtype, numel);
}

}  // namespace

void GgufWriter::add_u8(const std::string& key, uint8_t value) {
  add_scalar(key, kU8, value);
}
void GgufWriter::add_i8(const std::string& key, int8_t value) {
  add_scalar(key, kI8, value);
}
void GgufWriter::add_u16(const std::string& key, uint16_t value) {
  add_scalar(key, kU16, value);
}
void GgufWriter::add_i16(const std::string& key, int16_t value) {
  add_scalar(key, kI16, value);
}
void GgufWriter::add_i32(const std::string& key, int32_t value) {
  add_scalar(key, kI32, value);
}
void GgufWriter::add_u64(const std::string& key, uint64_t value) {
  add_scalar(key, kU64, value);
}
void GgufWriter::add_i64(const std::string& key, int64_t value) {
  add_scalar(key, kI64, value);
}
void GgufWriter::add_f32(const std::string& key, float value) {
  add_scalar(key, kF32, value);
}
void GgufWriter::add_f64(const std::string& key, double value) {
  add_scalar(key, kF64, value);
}
void GgufWriter::add_bool(const std::string& key, bool value) {
  add_scalar(key, kBool, static_cast<uint8_t>(value ? 1 : 0));
}

void GgufWriter::add_u32(const std::string& key, uint32_t value) {
  const bool alignment = key == kAlignmentKey;
  if (alignment && (!std::has_single_bit(value) || value > kMaxAlignment)) {
    fail("GGUF {} must be a power of two up to {}, found {}", kAlignmentKey, kMaxAlignment, value);
  }
  add_scalar(key, kU32, value);
  if (alignment) alignment_ = value;
}

void GgufWriter::add_encoded(const std::string& key, GgufValueType type, std::span<const std::byte> encoded) {
  if (key == kAlignmentKey) {
    uint32_t value = 0;
    if (type != kU32 || encoded.size() != sizeof value) fail("GGUF {} must be a u32", kAlignmentKey);
    std::memcpy(&value, encoded.data(), sizeof value);
    return add_u32(key, value);
  }
  begin_value(key, type);
  metadata_.append(reinterpret_cast<const char*>(encoded.data()), encoded.size());
}

void GgufWriter::add_string(const std::string& key, std::string_view value) {
  begin_value(key, kString);
  put_string(metadata_, value);
}

void GgufWriter::add_string_array(const std::string& key, std::span<const std::string> values) {
  add_array(key, kString, values);
}
void GgufWriter::add_f32_array(const std::string& key, std::span<const float> values) {
  add_array(key, kF32, values);
}
void GgufWriter::add_i32_array(const std::string& key, std::span<const int32_t> values) {
  add_array(key, kI32, values);
}
void GgufWriter::add_u32_array(const std::string& key, std::span<const uint32_t> values) {
  add_array(key, kU32, values);
}

// Every check comes before the first byte is appended, so a refused value leaves the writer as it was.
void GgufWriter::begin_value(const std::string& key, GgufValueType type) {
  if (key.empty()) fail("GGUF metadata key is empty");
  if (keys_.contains(key)) fail("GGUF metadata key '{}' is added twice", key);
  // llama.cpp refuses a file whose alignment is of another type.
  if (key == kAlignmentKey && type != kU32) fail("GGUF {} must be a u32", kAlignmentKey);
  keys_.insert(key);
  put_string(metadata_, key);
  put(metadata_, static_cast<uint32_t>(type));
  ++kv_count_;
}

template <typename T>
void GgufWriter::add_scalar(const std::string& key, GgufValueType type, T value) {
  begin_value(key, type);
  put(metadata_, value);
}

template <typename T>
void GgufWriter::add_array(const std::string& key, GgufValueType element_type, std::span<const T> values) {
  begin_value(key, kArray);
  put(metadata_, static_cast<uint32_t>(element_type));
  put<uint64_t>(metadata_, values.size());
  for (const T& value : values) put_element(metadata_, value);
}

void GgufWriter::add_tensor(const std::string& name, DType dtype, Shape shape, std::span<const std::byte> data) {
  if (name.empty()) fail("GGUF tensor name is empty");
  if (name.size() > kMaxNameBytes) fail("GGUF tensor name '{}' is longer than {} bytes", name, kMaxNameBytes);
  if (tensor_names_.contains(name)) fail("GGUF tensor '{}' is added twice", name);
  const size_t expected = tensor_bytes(name, dtype, shape);
  if (data.size() != expected) {
    fail("GGUF tensor '{}': {} data of shape {} takes {} bytes, given {}", name, dtype_name(dtype),
         shape_to_string(shape), expected, data.size());
  }
  tensor_names_.insert(name);
  tensors_.push_back(Tensor{name, dtype, std::move(shape), data});
}

void GgufWriter::add_tensor(const std::string& name, const TensorView& view) {
  // Sized by the checked shape: TensorView::nbytes() would fail on partial blocks without naming the tensor.
  add_tensor(name, view.dtype, view.shape, std::span(view.data, tensor_bytes(name, view.dtype, view.shape)));
}

// The descriptors, offsets counted from the data section with each tensor padded to the
// alignment, as llama.cpp's gguf_add_tensor places them.
std::string GgufWriter::tensor_infos() const {
  std::string out;
  uint64_t offset = 0;
  for (const Tensor& tensor : tensors_) {
    put_string(out, tensor.name);
    put(out, static_cast<uint32_t>(tensor.shape.size()));
    // Every extent as given, innermost first. (llama.cpp's C writer drops outer extents of 1,
    // which a ggml tensor cannot tell from absent ones; gguf-py keeps them, as here.)
    for (auto extent = tensor.shape.rbegin(); extent != tensor.shape.rend(); ++extent) {
      put(out, static_cast<uint64_t>(*extent));
    }
    put(out, dtype_traits(tensor.dtype).ggml_type);
    put(out, offset);
    offset += round_up(tensor.data.size(), alignment_);
  }
  return out;
}

void GgufWriter::write(const std::string& path) const {
  std::string header = "GGUF";
  put(header, kVersion);
  put<uint64_t>(header, tensors_.size());
  put(header, kv_count_);
  const std::string infos = tensor_infos();

  AtomicFile out(path);
  out.write(header);
  out.write(metadata_);
  out.write(infos);
  pad(out, header.size() + metadata_.size() + infos.size(), alignment_);
  // Straight from the caller's memory: no copy of the weights is made.
  for (const Tensor& tensor : tensors_) {
    out.write(tensor.data);
    pad(out, tensor.data.size(), alignment_);
  }
  out.commit();
}

}  // namespace medllm
