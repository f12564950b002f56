#include "tokenizer/gguf_vocab.hpp"

#include "core/error.hpp"
#include "core/json_fields.hpp"
#include "core/json_file.hpp"
#include "tokenizer/gguf_pre_tokenizers.hpp"
#include "tokenizer/gguf_sentencepiece.hpp"
#include "tokenizer/hf/hf_tokenizer.hpp"

namespace medllm {

namespace {

using nlohmann::json;

std::unique_ptr<Tokenizer> gpt2_from_gguf(const json& metadata, const std::string& source) {
  const std::string where = source + " metadata";
  const json& tokens = required_field(metadata, "tokenizer.ggml.tokens", where);
  const json& merges = required_field(metadata, "tokenizer.ggml.merges", where);
  if (!tokens.is_array() || !merges.is_array()) fail("{}: tokenizer tokens and merges must be arrays", source);
  const json types = metadata.value("tokenizer.ggml.token_type", json::array());
  json vocab = json::object();
  json added = json::array();
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (!tokens[i].is_string()) fail("{}: tokenizer.ggml.tokens[{}] is not valid UTF-8 text", source, i);
    const std::string& token = tokens[i].get_ref<const std::string&>();
    vocab[token] = i;
    const int type = i < types.size() && types[i].is_number_integer() ? types[i].get<int>() : 1;
    if (type == 3 || type == 4) {  // control and user-defined tokens are matched in the text as wholes
      added.push_back({{"id", i}, {"content", token}, {"special", type == 3}, {"normalized", false}});
    }
  }
  // llama.cpp splits as "default" when the file names no pre-tokenizer.
  const std::string name = metadata.value("tokenizer.ggml.pre", std::string("default"));
  const std::optional<GgufPreTokenizer> pre = find_gguf_pre_tokenizer(name);
  if (!pre) fail("{}: GGUF pre-tokenizer '{}' is not supported yet ({} are)", source, name, gguf_pre_tokenizer_names());
  json tokenizer = {
      {"model",
       {{"type", "BPE"}, {"vocab", std::move(vocab)}, {"merges", merges}, {"ignore_merges", pre->ignore_merges}}},
      {"pre_tokenizer", hf_pre_tokenizer(*pre)},
      {"decoder", {{"type", "ByteLevel"}}},
      {"added_tokens", std::move(added)}};
  json config = json::object();
  const auto token_text = [&](const char* key) -> std::optional<std::string> {
    if (!metadata.contains(key) || !metadata[key].is_number_unsigned()) return std::nullopt;
    const size_t id = metadata[key].get<size_t>();
    if (id >= tokens.size()) fail("{}: {} = {} is outside the vocabulary", source, key, id);
    return tokens[id].get<std::string>();
  };
  if (auto bos = token_text("tokenizer.ggml.bos_token_id")) config["bos_token"] = *bos;
  if (auto eos = token_text("tokenizer.ggml.eos_token_id")) config["eos_token"] = *eos;
  config["add_bos_token"] = metadata.value("tokenizer.ggml.add_bos_token", pre->add_bos);
  config["add_eos_token"] = metadata.value("tokenizer.ggml.add_eos_token", false);
  return std::make_unique<hf::HfTokenizer>(tokenizer, config, source);
}

}  // namespace

std::unique_ptr<Tokenizer> tokenizer_from_gguf(const json& metadata, const std::string& source) {
  if (!metadata.contains("tokenizer.ggml.model")) fail("{}: the GGUF file has no embedded tokenizer", source);
  const json& model = metadata["tokenizer.ggml.model"];
  if (model == "llama") return GgufSentencePieceTokenizer::from_gguf(metadata, source);
  if (model == "gpt2") {
    try {
      return gpt2_from_gguf(metadata, source);
    } catch (const json::exception& e) {  // a metadata value of an unexpected type
      fail("{}: malformed tokenizer metadata: {}", source, e.what());
    }
  }
  fail("{}: embedded tokenizer model {} is not supported (llama, gpt2 are)", source, json_for_message(model));
}

}  // namespace medllm
