#include "formats/gguf_quantize.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <optional>

#include "core/error.hpp"
#include "core/mapped_file.hpp"
#include "core/utf8.hpp"
#include "formats/gguf.hpp"
#include "formats/gguf_writer.hpp"

namespace medllm {

namespace {

// llama-quantize's names and llama_ftype ids (llama.h), with the type each puts most tensors in.
constexpr QuantizePreset kPresets[] = {
    {"F32", 0, DType::F32},       {"F16", 1, DType::F16},      {"BF16", 32, DType::BF16},
    {"Q8_0", 7, DType::Q8_0},     {"Q4_0", 2, DType::Q4_0},    {"Q4_1", 3, DType::Q4_1},
    {"Q5_0", 8, DType::Q5_0},     {"Q5_1", 9, DType::Q5_1},    {"Q2_K", 10, DType::Q2_K},
    {"Q3_K_S", 11, DType::Q3_K},  {"Q3_K_M", 12, DType::Q3_K}, {"Q3_K_L", 13, DType::Q3_K},
    {"Q4_K_S", 14, DType::Q4_K},  {"Q4_K_M", 15, DType::Q4_K}, {"Q5_K_S", 16, DType::Q5_K},
    {"Q5_K_M", 17, DType::Q5_K},  {"Q6_K", 18, DType::Q6_K},   {"IQ4_NL", 25, DType::IQ4_NL},
    {"IQ4_XS", 30, DType::IQ4_XS}};

constexpr uint32_t kQuantizationVersion = 2;  // GGML_QNT_VERSION: the block layouts of core/quant_blocks.hpp

bool is_block_type(DType type) {
  return dtype_traits(type).block_elems > 1;
}

// The presets whose per-tensor rules medllm has: the float ones (none) and the 32-block ones,
// whose only rule without an importance matrix is the output matrix's.
bool rules_known(const QuantizePreset& preset) {
  return !is_block_type(preset.type) || dtype_traits(preset.type).block_elems == 32;
}

// llama.cpp quantizes the 2-D and 3-D weights except norms, expert routers and a few small tables.
bool allows_quantization(const std::string& name, size_t dims) {
  if (dims < 2 || !name.ends_with("weight")) return false;
  for (const char* kept : {"_norm.weight", "ffn_gate_inp.weight", "altup", "laurel", "per_layer_model_proj",
                           "ssm_conv1d", "shortconv.conv.weight", "time_mix_first.weight"}) {
    if (name.find(kept) != std::string::npos) return false;
  }
  return name != "position_embd.weight" && name != "token_types.weight";
}

// A type whose blocks do not divide the rows falls back as llama.cpp's tensor_type_fallback does.
DType fallback(DType type, int64_t columns) {
  if (columns % dtype_traits(type).block_elems == 0) return type;
  switch (type) {
    case DType::Q2_K:
    case DType::Q3_K:
      type = DType::Q4_0;
      break;
    case DType::Q4_K:
      type = DType::Q5_0;
      break;
    case DType::Q5_K:
      type = DType::Q5_1;
      break;
    case DType::Q6_K:
      type = DType::Q8_0;
      break;
    case DType::IQ4_XS:
      type = DType::IQ4_NL;
      break;
    default:
      break;
  }
  return columns % dtype_traits(type).block_elems == 0 ? type : DType::F16;
}

// The type llama_model_quantize gives a tensor (without an importance matrix).
DType chosen_type(const QuantizePreset& preset, const GgufTensorInfo& info, DType stored, bool pure, bool tied) {
  if (!allows_quantization(info.name, info.ne.size())) return stored;
  if (!is_block_type(preset.type)) return preset.type;
  DType type = preset.type;
  const auto columns = static_cast<int64_t>(info.ne[0]);
  if (!pure) {
    if (!rules_known(preset)) {
      fail("the {} mix (llama.cpp's choice of type per tensor) is not implemented yet; --pure puts every tensor in {}",
           preset.name, dtype_name(preset.type));
    }
    // The output matrix (or the embeddings that double as it) keeps more bits.
    if (info.name == "output.weight" || (tied && info.name == "token_embd.weight")) {
      if (columns % dtype_traits(type).block_elems != 0) {
        type = DType::Q8_0;
      } else if (type != DType::Q8_0) {
        type = DType::Q6_K;
      }
    }
  }
  return fallback(type, columns);
}

DType stored_type(const GgufTensorInfo& info) {
  const std::optional<DType> type = dtype_from_ggml_type(info.ggml_type);
  if (!type) fail("tensor '{}' has ggml type {}, which medllm does not read", info.name, info.ggml_type);
  return *type;
}

// Converts a tensor's rows (in parallel) from one type to another through f32.
std::vector<std::byte> convert(const GgufTensorInfo& info, DType from, DType to, const std::byte* data,
                               ThreadPool& pool) {
  const auto columns = static_cast<int64_t>(info.ne[0]);
  int64_t rows = 1;
  for (size_t d = 1; d < info.ne.size(); ++d) rows *= static_cast<int64_t>(info.ne[d]);
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

const QuantizePreset* find_quantize_preset(std::string_view name) {
  const std::string wanted = utf8::upper_ascii(name);
  for (const QuantizePreset& preset : kPresets) {
    if (preset.name == wanted) return &preset;
  }
  return nullptr;
}

std::string quantize_preset_names() {
  std::string out;
  for (const QuantizePreset& preset : kPresets) out += (out.empty() ? "" : ", ") + std::string(preset.name);
  return out;
}

QuantizeResult quantize_gguf(const std::string& in, const std::string& out, const QuantizeOptions& options,
                             ThreadPool& pool,
                             const std::function<void(size_t, size_t, const QuantizedTensor&)>& progress) {
  const QuantizePreset* preset = find_quantize_preset(options.type);
  if (preset == nullptr) fail("unknown type '{}' (one of {})", options.type, quantize_preset_names());
  const MappedFile mapped(in);
  const GgufFile file = with_context(in, [&] { return parse_gguf(mapped.bytes()); });
  const bool tied = std::none_of(file.tensors.begin(), file.tensors.end(),
                                 [](const GgufTensorInfo& t) { return t.name == "output.weight"; });
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
      tensor.to = chosen_type(*preset, info, tensor.from, options.pure, tied);
      const std::byte* data = mapped.data() + file.data_offset + info.offset;
      std::span<const std::byte> bytes(data, info.nbytes);
      if (tensor.to != tensor.from) {
        if (is_block_type(tensor.from) && !options.allow_requantize) {
          fail("is {} already; converting it to {} would quantize twice (--allow-requantize permits it)",
               dtype_name(tensor.from), dtype_name(tensor.to));
        }
        bytes = converted.emplace_back(convert(info, tensor.from, tensor.to, data, pool));
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
