#include "tokenizer/gguf_vocab_export.hpp"

#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/json_file.hpp"
#include "core/mapped_file.hpp"
#include "tokenizer/gguf_pre_tokenizers.hpp"
#include "tokenizer/gguf_vocab.hpp"
#include "tokenizer/sentencepiece/model_proto.hpp"
#include "tokenizer/sentencepiece/vocab.hpp"

namespace medllm {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// GGUF token types (llama.h's llama_token_type; the same numbers as SentencePiece's piece types).
enum TokenType : int32_t { kNormal = 1, kControl = 3, kUserDefined = 4, kUnused = 5 };

struct Vocab {
  std::vector<std::string> tokens;
  std::vector<float> scores;  // SentencePiece vocabularies only
  std::vector<int32_t> types;
};

Vocab unused_vocab(int64_t size, bool scored) {
  Vocab vocab;
  for (int64_t i = 0; i < size; ++i) vocab.tokens.push_back("[PAD" + std::to_string(i) + "]");
  vocab.types.assign(static_cast<size_t>(size), kUnused);
  if (scored) vocab.scores.assign(static_cast<size_t>(size), -10000.0f);
  return vocab;
}

std::optional<json> read_json_if_present(const fs::path& path) {
  if (!fs::exists(path)) return std::nullopt;
  return read_json_file(path.string());
}

// Added tokens that are control tokens in all but name, as llama.cpp's converter recognises them.
bool looks_special(const std::string& token) {
  const auto wrapped = [&](std::string_view open, std::string_view close) {
    return token.size() >= open.size() + close.size() && token.starts_with(open) && token.ends_with(close);
  };
  return token == "<pad>" || token == "<mask>" || token == "<2mass>" || token == "[@BOS@]" || wrapped("<|", "|>") ||
         wrapped("<\xEF\xBD\x9C", "\xEF\xBD\x9C>") || wrapped("<unused", ">");
}

// An added token: control when marked special (or looking it), else user-defined with
// SentencePiece's visible spaces as spaces, as llama.cpp matches such tokens in raw text.
void set_added(Vocab& vocab, size_t id, std::string token, bool special) {
  if (special || looks_special(token)) {
    vocab.types[id] = kControl;
  } else {
    token = sentencepiece::with_spaces(token);
    vocab.types[id] = kUserDefined;
  }
  vocab.tokens[id] = std::move(token);
  if (!vocab.scores.empty()) vocab.scores[id] = -1000.0f;
}

void check_id(int64_t id, int64_t vocab_size, const std::string& what) {
  if (id < 0 || id >= vocab_size) fail("{} is id {}, outside the model's vocabulary of {}", what, id, vocab_size);
}

Vocab sentencepiece_vocab(const fs::path& dir, int64_t vocab_size, const std::optional<json>& tokenizer_config) {
  const fs::path path = dir / "tokenizer.model";
  const MappedFile file(path.string());
  const sentencepiece::ModelProto proto = with_context(path.string(), [&] {
    return sentencepiece::parse_model_proto(
        std::string_view(reinterpret_cast<const char*>(file.data()), file.bytes().size()));
  });
  if (static_cast<int64_t>(proto.pieces.size()) > vocab_size) {
    fail("{}: {} pieces, more than the model's vocab_size {}", path.string(), proto.pieces.size(), vocab_size);
  }
  Vocab vocab = unused_vocab(vocab_size, true);
  for (size_t id = 0; id < proto.pieces.size(); ++id) {
    vocab.tokens[id] = proto.pieces[id].piece;
    vocab.scores[id] = proto.pieces[id].score;
    vocab.types[id] = static_cast<int32_t>(proto.pieces[id].type);
  }
  if (const auto added = read_json_if_present(dir / "added_tokens.json"); added && added->is_object()) {
    for (const auto& [token, id] : added->items()) {
      check_id(id.get<int64_t>(), vocab_size,
               fmt::format("{}: added token '{}'", (dir / "added_tokens.json").string(), token));
      vocab.tokens[id.get<size_t>()] = token;
      vocab.scores[id.get<size_t>()] = -1000.0f;
      vocab.types[id.get<size_t>()] = kUserDefined;
    }
  }
  if (tokenizer_config && tokenizer_config->contains("added_tokens_decoder")) {
    for (const auto& [key, entry] : (*tokenizer_config)["added_tokens_decoder"].items()) {
      const int64_t id = std::stoll(key);
      check_id(id, vocab_size, fmt::format("tokenizer_config.json: added_tokens_decoder '{}'", key));
      set_added(vocab, static_cast<size_t>(id), entry.at("content").get<std::string>(), entry.value("special", false));
    }
  }
  return vocab;
}

// tokenizer.json's merges, as "a b" strings (the newer [a, b] pairs joined, a space inside a
// part written as U+0120 the way llama.cpp's converter does).
std::vector<std::string> merges_of(const json& model, const std::string& source) {
  std::vector<std::string> merges;
  for (const json& merge : model.value("merges", json::array())) {
    if (merge.is_string()) {
      merges.push_back(merge.get<std::string>());
    } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
      std::string joined;
      for (const json& part : merge) {
        std::string text = part.get<std::string>();
        for (size_t at; (at = text.find(' ')) != std::string::npos;) text.replace(at, 1, "\xC4\xA0");
        joined += (joined.empty() ? "" : " ") + text;
      }
      merges.push_back(joined);
    } else {
      fail("{}: model.merges[{}] is neither \"a b\" nor [\"a\", \"b\"]", source, merges.size());
    }
  }
  return merges;
}

Vocab byte_level_vocab(const json& tokenizer, int64_t vocab_size, const std::string& source) {
  Vocab vocab = unused_vocab(vocab_size, false);
  for (const auto& [token, id] : tokenizer["model"].at("vocab").items()) {
    check_id(id.get<int64_t>(), vocab_size, fmt::format("{}: token '{}'", source, token));
    vocab.tokens[id.get<size_t>()] = token;
    vocab.types[id.get<size_t>()] = kNormal;
  }
  for (const json& added : tokenizer.value("added_tokens", json::array())) {
    const int64_t id = added.at("id").get<int64_t>();
    check_id(id, vocab_size, fmt::format("{}: added token '{}'", source, added.at("content").get<std::string>()));
    set_added(vocab, static_cast<size_t>(id), added.at("content").get<std::string>(), added.value("special", false));
  }
  return vocab;
}

// The text of a special token entry of tokenizer_config.json: a string or an AddedToken object.
std::optional<std::string> token_text(const json& config, const std::string& key) {
  if (!config.contains(key)) return std::nullopt;
  const json& value = config[key];
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("content") && value["content"].is_string())
    return value["content"].get<std::string>();
  return std::nullopt;
}

// bos/eos/unk/pad/sep ids: tokenizer_config.json's tokens looked up in the vocabulary, else
// config.json's *_token_id.
void add_special_ids(const Vocab& vocab, const std::optional<json>& tokenizer_config, const std::optional<json>& config,
                     GgufWriter& writer) {
  std::map<std::string, int64_t> ids;
  for (int64_t i = static_cast<int64_t>(vocab.tokens.size()) - 1; i >= 0; --i) ids[vocab.tokens[i]] = i;
  // GGUF's key names (gguf-py spells the separator "seperator") and Hugging Face's.
  constexpr std::pair<const char*, const char*> kKinds[] = {
      {"bos", "bos"}, {"eos", "eos"}, {"unknown", "unk"}, {"padding", "pad"}, {"seperator", "sep"}};
  for (const auto& [kind, hf_kind] : kKinds) {
    const std::string hf = hf_kind;
    std::optional<int64_t> id;
    if (tokenizer_config) {
      if (const auto text = token_text(*tokenizer_config, hf + "_token"); text && ids.contains(*text)) id = ids[*text];
    }
    if (!id && config && config->contains(hf + "_token_id") && (*config)[hf + "_token_id"].is_number_integer()) {
      id = (*config)[hf + "_token_id"].get<int64_t>();
    }
    if (id && *id >= 0 && *id < static_cast<int64_t>(vocab.tokens.size())) {
      writer.add_u32(fmt::format("tokenizer.ggml.{}_token_id", kind), static_cast<uint32_t>(*id));
    }
  }
}

// add_bos_token / add_eos_token: tokenizer_config.json's, else whether tokenizer.json's template
// post-processor puts a special token first / last.
void add_bos_eos_flags(const std::optional<json>& tokenizer, const std::optional<json>& tokenizer_config,
                       GgufWriter& writer) {
  std::optional<bool> bos, eos;
  if (tokenizer && tokenizer->contains("post_processor") && (*tokenizer)["post_processor"].is_object()) {
    const json& post = (*tokenizer)["post_processor"];
    for (const json& step : post.value("processors", json::array({post}))) {
      if (step.value("type", "") != "TemplateProcessing") continue;
      const json single = step.value("single", json::array());
      if (single.size() > 1) {
        bos = single.front().contains("SpecialToken");
        eos = single.back().contains("SpecialToken");
      }
    }
  }
  if (tokenizer_config) {
    if (tokenizer_config->contains("add_bos_token") && (*tokenizer_config)["add_bos_token"].is_boolean())
      bos = (*tokenizer_config)["add_bos_token"].get<bool>();
    if (tokenizer_config->contains("add_eos_token") && (*tokenizer_config)["add_eos_token"].is_boolean())
      eos = (*tokenizer_config)["add_eos_token"].get<bool>();
  }
  if (bos) writer.add_bool("tokenizer.ggml.add_bos_token", *bos);
  if (eos) writer.add_bool("tokenizer.ggml.add_eos_token", *eos);
}

// tokenizer.chat_template (and tokenizer.chat_template.<name> for named extra templates).
void add_chat_templates(const fs::path& dir, const std::optional<json>& tokenizer_config, GgufWriter& writer) {
  json templates;
  if (tokenizer_config && tokenizer_config->contains("chat_template")) {
    templates = (*tokenizer_config)["chat_template"];
  } else if (fs::exists(dir / "chat_template.jinja")) {
    std::ifstream in(dir / "chat_template.jinja", std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    templates = text.str();
  } else if (const auto file = read_json_if_present(dir / "chat_template.json")) {
    templates = file->value("chat_template", json());
  }
  if (templates.is_string()) {
    writer.add_string("tokenizer.chat_template", templates.get<std::string>());
  } else if (templates.is_array()) {
    for (const json& named : templates) {
      const std::string name = named.value("name", "");
      const std::string key = name == "default" ? "tokenizer.chat_template" : "tokenizer.chat_template." + name;
      writer.add_string(key, named.value("template", ""));
    }
  } else if (!templates.is_null()) {
    fail("{}: chat_template must be a string or a list of named templates", (dir / "tokenizer_config.json").string());
  }
}

// Everything add_gguf_vocab_from_hf writes.
void add_vocab(const fs::path& dir, int64_t vocab_size, GgufWriter& writer) {
  const auto tokenizer_config = read_json_if_present(dir / "tokenizer_config.json");
  const auto config = read_json_if_present(dir / "config.json");
  const auto tokenizer = read_json_if_present(dir / "tokenizer.json");
  Vocab vocab;
  if (fs::exists(dir / "tokenizer.model")) {
    vocab = sentencepiece_vocab(dir, vocab_size, tokenizer_config);
    writer.add_string("tokenizer.ggml.model", "llama");
    writer.add_string("tokenizer.ggml.pre", "default");
    writer.add_string_array("tokenizer.ggml.tokens", vocab.tokens);
    writer.add_f32_array("tokenizer.ggml.scores", vocab.scores);
    writer.add_i32_array("tokenizer.ggml.token_type", vocab.types);
  } else if (tokenizer) {
    const std::string source = (dir / "tokenizer.json").string();
    if (!tokenizer->contains("model") || (*tokenizer)["model"].value("type", "") != "BPE") {
      fail("{}: only byte-level BPE tokenizers (or a tokenizer.model beside it) are written to GGUF yet", source);
    }
    const auto pre = gguf_pre_tokenizer_name(tokenizer->value("pre_tokenizer", json()));
    if (!pre) {
      fail(
          "{}: llama.cpp has no name for its pre_tokenizer (medllm knows the names of GPT-2's, Llama 3's, "
          "Qwen2's, Qwen3.5's, Mistral's tekken, GPT-4o's, DeepSeek-V3's and StarCoder's); llama.cpp would split "
          "text differently",
          source);
    }
    vocab = byte_level_vocab(*tokenizer, vocab_size, source);
    writer.add_string("tokenizer.ggml.model", "gpt2");
    writer.add_string("tokenizer.ggml.pre", *pre);
    writer.add_string_array("tokenizer.ggml.tokens", vocab.tokens);
    writer.add_i32_array("tokenizer.ggml.token_type", vocab.types);
    writer.add_string_array("tokenizer.ggml.merges", merges_of((*tokenizer)["model"], source));
  } else {
    fail("{}: no tokenizer.json or tokenizer.model; llama.cpp cannot load a GGUF without its vocabulary", dir.string());
  }
  add_special_ids(vocab, tokenizer_config, config, writer);
  add_bos_eos_flags(tokenizer, tokenizer_config, writer);
  add_chat_templates(dir, tokenizer_config, writer);
}

}  // namespace

void add_gguf_vocab_from_hf(const fs::path& dir, int64_t vocab_size, GgufWriter& writer) {
  try {
    add_vocab(dir, vocab_size, writer);
  } catch (const nlohmann::json::exception& e) {  // a field of the wrong type or missing
    fail("{}: the tokenizer files do not have the fields of a Hugging Face tokenizer: {}", dir.string(), e.what());
  }
}

}  // namespace medllm
