// The Unigram model of tokenizer.json, on top of the SentencePiece Unigram implementation (the
// `tokenizers` library ported the same Viterbi segmentation, unknown-token penalty and fusing).

#include "core/error.hpp"
#include "core/json_file.hpp"
#include "tokenizer/hf/components.hpp"
#include "tokenizer/hf/vocabulary.hpp"
#include "tokenizer/sentencepiece/unigram.hpp"

namespace medllm::hf {

namespace {

class Unigram final : public VocabularyModel {
 public:
  Unigram(const json& config, const std::string& where) {
    const json& entries = require(config, "vocab", where);
    if (!entries.is_array() || entries.empty()) fail("{}.vocab: expected a non-empty array of [piece, score]", where);
    std::vector<sentencepiece::VocabEntry> vocab;
    vocab.reserve(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      const json& entry = entries[i];
      if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string() || !entry[1].is_number()) {
        fail("{}.vocab[{}]: expected [piece, score], found {}", where, i, json_for_message(entry));
      }
      vocab.push_back({entry[0].get<std::string>(), entry[1].get<float>(), sentencepiece::PieceType::Normal});
      vocab_.add(vocab.back().piece, static_cast<int32_t>(i));
    }
    const json& unk = config.contains("unk_id") ? config["unk_id"] : json();
    if (unk.is_null()) fail("{}.unk_id: a Unigram model without an unknown token is not supported", where);
    if (!unk.is_number_integer() || unk.get<int64_t>() < 0 || unk.get<size_t>() >= vocab.size()) {
      fail("{}.unk_id: {} is not an id of the vocabulary", where, json_for_message(unk));
    }
    model_ = std::make_unique<sentencepiece::UnigramModel>(vocab, unk.get<int32_t>(),
                                                           optional_bool(config, "byte_fallback", false, where));
  }

  void encode(std::string_view word, std::vector<int32_t>& out) const override { model_->encode(word, out); }

 private:
  std::unique_ptr<sentencepiece::UnigramModel> model_;
};

}  // namespace

std::unique_ptr<Model> parse_unigram_model(const json& config, const std::string& where) {
  return std::make_unique<Unigram>(config, where);
}

}  // namespace medllm::hf
