#include "formats/gguf_quantize.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <optional>

#include "core/error.hpp"
#include "core/mapped_file.hpp"
#include "formats/gguf.hpp"
#include "formats/gguf_writer.hpp"

namespace medllm {

namespace {


DType stored_type(const GgufTensorInfo& info) {
  const std::optional<DType> type = dtype_from_ggml_type(info.ggml_type);
  if (!type) fail("tensor '{}' has ggml type {}, which medllm does not read", info.name, info.ggml_type);
  return *type;
}

// The input's metadata, every value as it was encoded, with the file type (and the block layout
// version) set where they stand or appended.
void copy_metadata(const GgufFile& file, std::span<const std::byte> bytes, uint32_t ftype, GgufWriter& writer) {
  bool file_type = false, version = false;
  for (const GgufEntry& entry : file.entries) {
    if (entry.key == "general.file_type") {
      writer.add_u32(entry.key, ftype);
      file_type = true;
    } else if (entry.key == "general.quantization_version") {
      writer.add_u32(entry.key, kQuantizationVersion);
      version = true;
    } else {
      writer.add_encoded(entry.key, entry.type, bytes.subspan(entry.offset, entry.size));
    }
  }
  if (!version) writer.add_u32("general.quantization_version", kQuantizationVersion);
  if (!file_type) writer.add_u32("general.file_type", ftype);
}

// The layer of "blk.N.…", -1 for the tensors outside the layers.
int layer_of(const std::string& name) {
  int layer = -1;
  if (name.starts_with("blk.")) std::sscanf(name.c_str(), "blk.%d.", &layer);
  return layer;
}

// The order llama.cpp writes tensors in: those outside the layers, then layer by layer, each
// group by name (llama_model_loader's weight_name_comparer).
std::vector<size_t> llama_cpp_order(const GgufFile& file) {
  std::vector<size_t> order(file.tensors.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const std::string &x = file.tensors[a].name, &y = file.tensors[b].name;
    const int lx = layer_of(x), ly = layer_of(y);
    return lx != ly ? lx < ly : x < y;
  });
  return order;
}

}  // namespace

std::vector<std::byte> convert_rows(DType from, DType to, const std::byte* data, int64_t rows, int64_t columns,
                                    ThreadPool& pool) {
  const size_t in_row = dtype_bytes(from, columns), out_row = dtype_bytes(to, columns);
  std::vector<std::byte> out(out_row * static_cast<size_t>(rows));
  pool.parallel_for(rows, [&](int64_t begin, int64_t end) {
    std::vector<float> values(static_cast<size_t>(columns));
    for (int64_t r = begin; r < end; ++r) {
      to_f32(from, data + static_cast<size_t>(r) * in_row, values.data(), columns);
      from_f32(to, values.data(), out.data() + static_cast<size_t>(r) * out_row, columns);
    }
  });
  return out;
}

QuantizeResult quantize_gguf(const std::string& in, const std::string& out, const QuantizeOptions& options,
                             ThreadPool& pool,
                             const std::function<void(size_t, size_t, const QuantizedTensor&)>& progress) {
  const QuantizePreset* preset = find_quantize_preset(options.type);
  if (preset == nullptr) fail("unknown type '{}' (one of {})", options.type, quantize_preset_names());
  const MappedFile mapped(in);
  const GgufFile file = with_context(in, [&] { return parse_gguf(mapped.bytes()); });
  QuantizeMix mix(*preset, file, options.pure);
  GgufWriter writer;
  copy_metadata(file, mapped.bytes(), preset->ftype, writer);
  QuantizeResult result;
  std::vector<std::vector<std::byte>> converted;  // alive until the writer has written them
  converted.reserve(file.tensors.size());
  const std::vector<size_t> order = llama_cpp_order(file);
  for (size_t i = 0; i < order.size(); ++i) {
    const GgufTensorInfo& info = file.tensors[order[i]];
    QuantizedTensor tensor{info.name, {info.ne.rbegin(), info.ne.rend()}, DType::F32, DType::F32, info.nbytes, 0};
    with_context(fmt::format("{}: tensor '{}'", in, info.name), [&] {
      tensor.from = stored_type(info);
      tensor.to = mix.type_for(info, tensor.from);
      const std::byte* data = mapped.data() + file.data_offset + info.offset;
      std::span<const std::byte> bytes(data, info.nbytes);
      if (tensor.to != tensor.from) {
        if (is_block_quantized(tensor.from) && !options.allow_requantize) {
          fail("is {} already; converting it to {} would quantize twice (--allow-requantize permits it)",
               dtype_name(tensor.from), dtype_name(tensor.to));
        }
        if (is_block_quantized(tensor.to) && !all_finite(tensor.from, data, shape_numel(tensor.shape))) {
          fail("holds NaN or infinite values; its {} blocks would be garbage", dtype_name(tensor.to));
        }
        const auto columns = static_cast<int64_t>(info.ne[0]);
        bytes = converted.emplace_back(
            convert_rows(tensor.from, tensor.to, data, shape_numel(tensor.shape) / columns, columns, pool));
      }
      tensor.bytes_out = bytes.size();
      writer.add_tensor(info.name, tensor.to, tensor.shape, bytes);
    });
    result.bytes_in += tensor.bytes_in;
    result.bytes_out += tensor.bytes_out;
    result.tensors.push_back(tensor);
    if (progress) progress(i, file.tensors.size(), result.tensors.back());
  }
  writer.write(out);
  return result;
}

}  // namespace medllm
