#include "formats/gguf_imatrix.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "core/mapped_file.hpp"

namespace medllm {

namespace {

constexpr uint32_t kGgmlF32 = 0;

// Little-endian reads from a legacy file, each checked against its end.
class LegacyReader {
 public:
  explicit LegacyReader(std::span<const std::byte> bytes) : bytes_(bytes) {}
  bool at_end() const { return pos_ == bytes_.size(); }
  int32_t i32(const char* what) {
    int32_t value;
    std::memcpy(&value, take(sizeof value, what), sizeof value);
    return value;
  }
  const std::byte* take(size_t size, const char* what) {
    if (size > bytes_.size() - pos_) fail("the file ends inside {}", what);
    const std::byte* at = bytes_.data() + pos_;
    pos_ += size;
    return at;
  }

 private:
  std::span<const std::byte> bytes_;
  size_t pos_ = 0;
};

// The legacy layout: an i32 entry count; per entry an i32 name length, the name, an i32 call
// count, an i32 value count and the f32 values; then optionally the i32 chunk count and an i32
// length and the dataset name.
ImatrixFile read_legacy(std::span<const std::byte> bytes) {
  LegacyReader in(bytes);
  ImatrixFile out;
  out.legacy = true;
  const int32_t count = in.i32("the entry count");
  if (count < 1) fail("not a GGUF file, and as a legacy imatrix it holds {} entries", count);
  for (int32_t i = 0; i < count; ++i) {
    with_context(fmt::format("entry {} of {}", i + 1, count), [&] {
      const int32_t length = in.i32("its name length");
      if (length < 0) fail("name length {}", length);
      const auto* name = reinterpret_cast<const char*>(in.take(static_cast<size_t>(length), "its name"));
      // llama.cpp reads the name as a C string: it ends at a NUL byte, if it holds one.
      ImatrixFile::Entry& entry = out.entries[std::string(name, strnlen(name, static_cast<size_t>(length)))];
      const int32_t calls = in.i32("its call count");
      const int32_t values = in.i32("its value count");
      if (values < 1) fail("{} values", values);
      const size_t size = static_cast<size_t>(values) * sizeof(float);
      const std::byte* at = in.take(size, "its values");  // before allocating: the count may be a lie
      entry.sums.resize(static_cast<size_t>(values));
      std::memcpy(entry.sums.data(), at, size);
      entry.counts = {calls};
    });
  }
  if (in.at_end()) return out;
  out.chunk_count = in.i32("the chunk count");
  if (in.at_end()) return out;
  const int32_t length = in.i32("the dataset name length");
  if (length > 0) {
    const auto* name = reinterpret_cast<const char*>(in.take(static_cast<size_t>(length), "the dataset name"));
    out.datasets.emplace_back(name, strnlen(name, static_cast<size_t>(length)));
  }
  return out;
}

int32_t metadata_u32(const GgufFile& file, const std::string& key) {
  const auto found = file.metadata.find(key);
  if (found == file.metadata.end()) fail("key '{}' is missing: not an imatrix file", key);
  if (!found->is_number_unsigned() || found->get<uint64_t>() > INT32_MAX) {
    fail("key '{}' must be a chunk count, not {}", key, found->dump());
  }
  return found->get<int32_t>();
}

// The F32 values of one tensor of a parsed GGUF file, copied: a file's alignment (general.alignment)
// need not be a multiple of 4.
std::vector<float> f32_values(std::span<const std::byte> bytes, const GgufFile& file, const GgufTensorInfo& t) {
  if (t.ggml_type != kGgmlF32) fail("tensor '{}' must be F32 (ggml type 0), not ggml type {}", t.name, t.ggml_type);
  std::vector<float> values(t.nbytes / sizeof(float));
  std::memcpy(values.data(), bytes.data() + file.data_offset + t.offset, values.size() * sizeof(float));
  return values;
}

ImatrixFile read_gguf_imatrix(std::span<const std::byte> bytes) {
  const GgufFile file = parse_gguf(bytes);
  ImatrixFile out;
  const auto datasets = file.metadata.find("imatrix.datasets");
  if (datasets == file.metadata.end()) fail("key 'imatrix.datasets' is missing: not an imatrix file");
  if (!datasets->is_array()) fail("key 'imatrix.datasets' must be an array of strings");
  for (const auto& name : *datasets) {
    if (!name.is_string()) fail("key 'imatrix.datasets' must be an array of strings");
    out.datasets.push_back(name.get<std::string>());
  }
  out.chunk_count = metadata_u32(file, "imatrix.chunk_count");
  out.chunk_size = metadata_u32(file, "imatrix.chunk_size");
  if (file.tensors.empty()) fail("it holds no matrices");
  std::map<std::string, std::pair<const GgufTensorInfo*, const GgufTensorInfo*>> parts;
  for (const GgufTensorInfo& t : file.tensors) {
    if (t.name.ends_with(".in_sum2")) parts[t.name.substr(0, t.name.size() - 8)].first = &t;
    if (t.name.ends_with(".counts")) parts[t.name.substr(0, t.name.size() - 7)].second = &t;
  }
  for (const auto& [name, pair] : parts) {
    const auto [sums, counts] = pair;
    if (sums == nullptr || counts == nullptr) {
      fail("matrix '{}' has {} but not {}", name, sums != nullptr ? "in_sum2" : "counts",
           sums != nullptr ? "counts" : "in_sum2");
    }
    ImatrixFile::Entry& entry = out.entries[name];
    std::vector<float> s = f32_values(bytes, file, *sums);
    const std::vector<float> c = f32_values(bytes, file, *counts);
    if (c.empty() || s.size() % c.size() != 0) {
      fail("matrix '{}' has {} sums for {} experts' counts", name, s.size(), c.size());
    }
    entry.sums = std::move(s);
    for (const float count : c) {
      if (!(std::fabs(count) < 9e18f)) fail("matrix '{}' has a token count of {}", name, count);
      entry.counts.push_back(std::lround(count));
    }
  }
  return out;
}

bool is_gguf(std::span<const std::byte> bytes) {
  return bytes.size() >= 4 && std::memcmp(bytes.data(), "GGUF", 4) == 0;
}

// llama-quantize's normalisation of one matrix.
std::vector<float> mean_squares(const ImatrixFile::Entry& entry, bool legacy) {
  std::vector<float> out(entry.sums.size());
  if (legacy) {
    const int64_t calls = entry.counts.empty() ? 0 : entry.counts[0];
    for (size_t i = 0; i < out.size(); ++i) {
      out[i] = calls > 0 ? entry.sums[i] / static_cast<float>(calls) : entry.sums[i];
    }
    return out;
  }
  const size_t per_expert = entry.sums.size() / entry.counts.size();
  for (size_t e = 0; e < entry.counts.size(); ++e) {
    const auto count = static_cast<float>(entry.counts[e]);
    for (size_t i = e * per_expert; i < (e + 1) * per_expert; ++i) out[i] = count > 0 ? entry.sums[i] / count : 1.0f;
  }
  return out;
}

bool contains_any(const std::string& name, const std::vector<std::string>& parts) {
  for (const std::string& part : parts) {
    if (name.find(part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

ImatrixFile parse_imatrix(std::span<const std::byte> bytes) {
  return is_gguf(bytes) ? read_gguf_imatrix(bytes) : read_legacy(bytes);
}

ImatrixFile read_imatrix(const std::string& path) {
  const MappedFile mapped(path);
  return with_context(path, [&] { return parse_imatrix(mapped.bytes()); });
}

Importance load_importance(const std::string& path, const std::vector<std::string>& include,
                           const std::vector<std::string>& exclude) {
  if (!include.empty() && !exclude.empty()) fail("--include-weights and --exclude-weights cannot be used together");
  const ImatrixFile file = read_imatrix(path);
  Importance out{.file = path, .datasets = file.datasets, .chunk_count = file.chunk_count};
  for (const auto& [name, entry] : file.entries) {
    if (contains_any(name, exclude) || (!include.empty() && !contains_any(name, include))) continue;
    std::vector<float> columns = mean_squares(entry, file.legacy);
    for (const float v : columns) {
      if (!std::isfinite(v)) fail("{}: matrix '{}' holds a non-finite importance ({})", path, name, v);
    }
    out.columns.emplace(name, std::move(columns));
  }
  return out;
}

const float* importance_for(const Importance& importance, const GgufTensorInfo& tensor) {
  const auto found = importance.columns.find(tensor.name);
  if (found == importance.columns.end()) return nullptr;
  const uint64_t experts = tensor.ne.size() > 2 ? tensor.ne[2] : 1;
  if (found->second.size() == tensor.ne[0] * experts) return found->second.data();
  if (tensor.name == "token_embd.weight" || tensor.name == "per_layer_token_embd.weight") return nullptr;
  fail("the importance matrix {} has {} values for it, not its {} columns{}", importance.file, found->second.size(),
       tensor.ne[0], experts > 1 ? fmt::format(" × {} experts", experts) : "");
}

}  // namespace medllm
