// The Unigram model of tokenizer.json, on top of the SentencePiece Unigram implementation (the
// `tokenizers` library ported the same Viterbi segmentation, unknown-token penalty and fusing).

#include "core/error.hpp"
#include "core/json_fields.hpp"
#include "core/json_file.hpp"
#include "tokenizer/hf/components.hpp"
#include "tokenizer/hf/vocabulary.hpp"
#include "tokenizer/sentencepiece/unigram.hpp"

namespace medllm::hf {

namespace {

class Unigram final : public VocabularyModel {
 public:
  Unigram(const json& config, const std::string& where) {
    const json& entries = required_field(config, "vocab", where);
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
    if (optional_field(config, "unk_id", where) == nullptr)
      fail("{}.unk_id: a Unigram model without an unknown token is not supported", where);
    const auto unk = required_integer(config, "unk_id", where, 0, static_cast<int64_t>(vocab.size()) - 1);
    model_ = std::make_unique<sentencepiece::UnigramModel>(vocab, static_cast<int32_t>(unk),
                                                           optional_bool(config, "byte_fallback", where, false));
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
