#include "formats/gguf_quantize.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <variant>

#include "core/error.hpp"
#include "core/mapped_file.hpp"
#include "core/utf8.hpp"
#include "formats/gguf.hpp"
#include "formats/gguf_imatrix.hpp"
#include "formats/gguf_writer.hpp"

namespace medllm {

namespace {

DType stored_type(const GgufTensorInfo& info) {
  const std::optional<DType> type = dtype_from_ggml_type(info.ggml_type);
  if (!type) fail("tensor '{}' has ggml type {}, which medllm does not read", info.name, info.ggml_type);
  return *type;
}

// llama-quantize's record of the importance matrix: the file, the first dataset (each cut to
// 127 bytes, as its fixed-size override holds them; here at a character boundary), the matrix
// count and the chunk count.
constexpr const char* kImatrixFile = "quantize.imatrix.file";
constexpr const char* kImatrixDataset = "quantize.imatrix.dataset";
constexpr const char* kImatrixEntries = "quantize.imatrix.entries_count";
constexpr const char* kImatrixChunks = "quantize.imatrix.chunks_count";

std::string cut_to_127_bytes(const std::string& text) {
  size_t end = std::min<size_t>(text.size(), 127);
  while (end > 0 && end < text.size() && utf8::is_continuation(static_cast<unsigned char>(text[end]))) --end;
  return text.substr(0, end);
}

// llama-quantize's record of an importance matrix, (key, value) in the order it sets them.
using RecordValue = std::variant<std::string, uint32_t>;
std::vector<std::pair<std::string, RecordValue>> importance_record(const Importance& importance) {
  std::vector<std::pair<std::string, RecordValue>> record = {{kImatrixFile, cut_to_127_bytes(importance.file)}};
  if (!importance.datasets.empty()) record.emplace_back(kImatrixDataset, cut_to_127_bytes(importance.datasets.front()));
  record.emplace_back(kImatrixEntries, static_cast<uint32_t>(importance.columns.size()));
  if (importance.chunk_count > 0) record.emplace_back(kImatrixChunks, static_cast<uint32_t>(importance.chunk_count));
  return record;
}

// The input's metadata, every value as it was encoded, then the keys llama.cpp sets (each
// removed where it stood and appended, as gguf_set_val does): the block layout version, the file
// type and the importance matrix's record. The split keys are dropped, as llama.cpp drops them:
// the output is one file. An earlier record of an importance matrix not replaced stays, as there.
void copy_metadata(const GgufFile& file, std::span<const std::byte> bytes, uint32_t ftype, const Importance* importance,
                   GgufWriter& writer) {
  std::vector<std::string> set = {"general.quantization_version", "general.file_type", "split.no", "split.count",
                                  "split.tensors.count"};
  if (importance != nullptr) {
    for (auto& [key, value] : importance_record(*importance)) set.push_back(std::move(key));
  }
  for (const GgufEntry& entry : file.entries) {
    if (std::find(set.begin(), set.end(), entry.key) != set.end()) continue;
    writer.add_encoded(entry.key, entry.type, bytes.subspan(entry.offset, entry.size));
  }
  writer.add_u32("general.quantization_version", kQuantizationVersion);
  writer.add_u32("general.file_type", ftype);
  if (importance != nullptr) add_importance_record(*importance, writer);
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

std::optional<Importance> load_quantize_importance(const QuantizeOptions& options) {
  if (options.imatrix.empty()) {
    if (!options.include_weights.empty() || !options.exclude_weights.empty()) {
      fail("--include-weights and --exclude-weights choose matrices of an importance matrix: give one with --imatrix");
    }
    return std::nullopt;
  }
  Importance importance = load_importance(options.imatrix, options.include_weights, options.exclude_weights);
  // llama-quantize hands llama.cpp no importance matrix when the filters left nothing of it.
  if (importance.columns.empty()) return std::nullopt;
  return importance;
}

void add_importance_record(const Importance& importance, GgufWriter& writer) {
  for (const auto& [key, value] : importance_record(importance)) {
    if (const auto* text = std::get_if<std::string>(&value)) {
      writer.add_string(key, *text);
    } else {
      writer.add_u32(key, std::get<uint32_t>(value));
    }
  }
}

std::vector<std::byte> convert_rows(DType from, DType to, const std::byte* data, int64_t rows, int64_t columns,
                                    ThreadPool& pool, const float* importance, int64_t rows_per_expert) {
  const size_t in_row = dtype_bytes(from, columns), out_row = dtype_bytes(to, columns);
  std::vector<std::byte> out(out_row * static_cast<size_t>(rows));
  pool.parallel_for(rows, [&](int64_t begin, int64_t end) {
    std::vector<float> values(static_cast<size_t>(columns));
    for (int64_t r = begin; r < end; ++r) {
      to_f32(from, data + static_cast<size_t>(r) * in_row, values.data(), columns);
      const float* row_importance = importance != nullptr ? importance + (r / rows_per_expert) * columns : nullptr;
      from_f32_row(to, values.data(), out.data() + static_cast<size_t>(r) * out_row, columns, row_importance);
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
  const std::optional<Importance> importance = load_quantize_importance(options);
  QuantizeMix mix(*preset, file, options.pure, importance.has_value());
  GgufWriter writer;
  copy_metadata(file, mapped.bytes(), preset->ftype, importance ? &*importance : nullptr, writer);
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
        const float* weights = importance ? importance_for(*importance, info) : nullptr;
        tensor.weighted = weights != nullptr && weighs_importance(tensor.to);
        bytes = converted.emplace_back(convert_rows(tensor.from, tensor.to, data, shape_numel(tensor.shape) / columns,
                                                    columns, pool, weights,
                                                    static_cast<int64_t>(info.ne.size() > 1 ? info.ne[1] : 1)));
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
