#include "formats/tensor_store.hpp"

#include <cstring>

#include "core/error.hpp"

namespace medllm {

const MappedFile& TensorStore::adopt(MappedFile file) {
  file_paths_.push_back(file.path());
  maps_.push_back(std::make_unique<MappedFile>(std::move(file)));
  return *maps_.back();
}

void TensorStore::add(TensorEntry entry) {
  if (const TensorEntry* previous = find(entry.name)) {
    fail("{}: tensor '{}' is also defined in {}", entry.file, entry.name, previous->file);
  }
  // Element alignment: 4 bytes for f32, 2 for the 16-bit types and the blocks (f16 scale first).
  const size_t alignment = entry.dtype == DType::F32 ? 4 : 2;
  if (entry.dtype && reinterpret_cast<uintptr_t>(entry.data) % alignment != 0) {
    auto copy = std::make_unique<std::byte[]>(entry.nbytes);
    std::memcpy(copy.get(), entry.data, entry.nbytes);
    entry.data = copy.get();
    realigned_.push_back(std::move(copy));
  }
  std::string name = entry.name;
  entries_.emplace(std::move(name), std::move(entry));
}

const TensorEntry* TensorStore::find(std::string_view name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

TensorView TensorStore::view(std::string_view name, const std::optional<Shape>& expected) const {
  const TensorEntry* entry = find(name);
  if (entry == nullptr) {
    fail("tensor '{}' is missing from {}", name,
         file_paths_.size() == 1 ? file_paths_[0] : fmt::format("the {} model files", file_paths_.size()));
  }
  if (!entry->dtype) {
    fail("{}: tensor '{}' has dtype {}, which medllm cannot use as weights (f32, f16, bf16, q8_0, q4_0)", entry->file,
         entry->name, entry->stored_type);
  }
  if (expected && *expected != entry->shape) {
    fail("{}: tensor '{}' has shape {} but the config implies {}", entry->file, entry->name,
         shape_to_string(entry->shape), shape_to_string(*expected));
  }
  return TensorView{*entry->dtype, entry->shape, entry->data};
}

size_t TensorStore::total_bytes() const {
  size_t total = 0;
  for (const auto& [name, entry] : entries_) total += entry.nbytes;
  return total;
}

}  // namespace medllm
