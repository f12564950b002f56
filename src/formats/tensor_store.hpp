#pragma once
// The tensors of a model as found in its files (safetensors shards or one GGUF), by name.
// Owns the memory maps; tensors are used in place unless their offset breaks alignment.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/mapped_file.hpp"
#include "core/tensor.hpp"

namespace medllm {

struct TensorEntry {
  std::string name;
  std::string stored_type;     // as the file spells it: "BF16", "Q8_0", "I64"
  std::optional<DType> dtype;  // empty when medllm cannot compute with stored_type
  Shape shape;                 // outermost first
  const std::byte* data = nullptr;
  size_t nbytes = 0;
  std::string file;  // the file that holds it, for error messages
};

class TensorStore {
 public:
  // Keeps the map alive for the store's lifetime and returns it.
  const MappedFile& adopt(MappedFile file);
  // Adds a tensor; a name seen before is an error naming both files. Copies the bytes into
  // owned, aligned memory when the mapped location is misaligned for the element type.
  void add(TensorEntry entry);

  const TensorEntry* find(std::string_view name) const;
  bool contains(std::string_view name) const { return find(name) != nullptr; }
  // The tensor as a view; errors name the tensor and file if it is missing, of a type medllm
  // cannot use, or (when expected is given) of another shape.
  TensorView view(std::string_view name, const std::optional<Shape>& expected = std::nullopt) const;

  const std::map<std::string, TensorEntry, std::less<>>& entries() const { return entries_; }
  const std::vector<std::string>& files() const { return file_paths_; }
  size_t total_bytes() const;

 private:
  std::vector<std::unique_ptr<MappedFile>> maps_;
  std::vector<std::string> file_paths_;
  std::map<std::string, TensorEntry, std::less<>> entries_;
  std::vector<std::unique_ptr<std::byte[]>> realigned_;
};

}  // namespace medllm
