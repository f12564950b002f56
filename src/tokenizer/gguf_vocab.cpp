#include "tokenizer/gguf_vocab.hpp"

#include "core/error.hpp"
#include "core/json_fields.hpp"
#include "core/json_file.hpp"
#include "tokenizer/gguf_sentencepiece.hpp"
#include "tokenizer/hf/hf_tokenizer.hpp"

namespace medllm {

namespace {

using nlohmann::json;

// The byte-level pre-tokenizers llama.cpp names in tokenizer.ggml.pre (the first name is the
// one its converter writes), each with the split pattern the Hugging Face tokenizers of those
// models define.
struct NamedPreTokenizer {
  std::initializer_list<const char*> names;
  const char* pattern;
};
const NamedPreTokenizer kPreTokenizers[] = {
    {{"llama-bpe", "llama3", "llama-v3"},
     R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"},
    {{"qwen2"},
     R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"},
};

const char* pre_tokenizer_pattern(const std::string& pre) {
  for (const NamedPreTokenizer& known : kPreTokenizers) {
    for (const char* name : known.names) {
      if (pre == name) return known.pattern;
    }
  }
  return nullptr;
}

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
  const std::string pre = metadata.value("tokenizer.ggml.pre", std::string("default"));
  json pre_tokenizer;
  if (const char* pattern = pre_tokenizer_pattern(pre)) {
    pre_tokenizer = {
        {"type", "Sequence"},
        {"pretokenizers",
         {{{"type", "Split"}, {"pattern", {{"Regex", pattern}}}, {"behavior", "Isolated"}, {"invert", false}},
          {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}}}};
  } else if (pre == "default" || pre == "gpt-2" || pre == "gpt2") {
    pre_tokenizer = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}};
  } else {
    fail("{}: GGUF pre-tokenizer '{}' is not supported yet (gpt-2, llama-bpe, qwen2 are)", source, pre);
  }
  json tokenizer = {
      {"model",
       {{"type", "BPE"}, {"vocab", std::move(vocab)}, {"merges", merges}, {"ignore_merges", pre == "llama-bpe"}}},
      {"pre_tokenizer", std::move(pre_tokenizer)},
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
  config["add_bos_token"] = metadata.value("tokenizer.ggml.add_bos_token", false);
  config["add_eos_token"] = metadata.value("tokenizer.ggml.add_eos_token", false);
  return std::make_unique<hf::HfTokenizer>(tokenizer, config, source);
}

}  // namespace

std::optional<std::string> gguf_pre_tokenizer_name(const json& pre_tokenizer) {
  const auto is = [](const json& step, const char* type) { return step.is_object() && step.value("type", "") == type; };
  if (is(pre_tokenizer, "ByteLevel")) {
    if (pre_tokenizer.value("use_regex", true)) return "gpt-2";
    return std::nullopt;
  }
  if (!is(pre_tokenizer, "Sequence")) return std::nullopt;
  const json steps = pre_tokenizer.value("pretokenizers", json::array());
  if (steps.size() != 2 || !is(steps[0], "Split") || !is(steps[1], "ByteLevel") || steps[1].value("use_regex", true) ||
      steps[0].value("invert", false) || steps[0].value("behavior", "") != "Isolated") {
    return std::nullopt;
  }
  const json pattern = steps[0].value("pattern", json::object()).value("Regex", json());
  for (const NamedPreTokenizer& known : kPreTokenizers) {
    if (pattern.is_string() && pattern.get<std::string>() == known.pattern) return *known.names.begin();
  }
  return std::nullopt;
}

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
