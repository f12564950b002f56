#pragma once
// A token string <-> id table with lookups by string_view (no allocation per lookup).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/hf/components.hpp"

namespace medllm::hf {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

class Vocabulary {
 public:
  // Adds a token; a token seen before keeps its first id. Ids may leave gaps.
  void add(std::string token, int32_t id);
  std::optional<int32_t> find(std::string_view token) const {
    auto it = ids_.find(token);
    return it == ids_.end() ? std::nullopt : std::optional<int32_t>(it->second);
  }
  const std::string* token(int32_t id) const {
    return id >= 0 && static_cast<size_t>(id) < tokens_.size() && has_[static_cast<size_t>(id)] ? &tokens_[id]
                                                                                                : nullptr;
  }
  size_t size() const { return tokens_.size(); }  // highest id + 1

 private:
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> ids_;
  std::vector<std::string> tokens_;
  std::vector<bool> has_;
};

// A Model whose tokens are a Vocabulary: lookups in both directions come from it.
class VocabularyModel : public Model {
 public:
  std::optional<int32_t> token_to_id(std::string_view token) const override { return vocab_.find(token); }
  std::optional<std::string> id_to_token(int32_t id) const override {
    const std::string* token = vocab_.token(id);
    return token ? std::optional<std::string>(*token) : std::nullopt;
  }
  size_t vocab_size() const override { return vocab_.size(); }

 protected:
  Vocabulary vocab_;
};

}  // namespace medllm::hf
