#include "tokenizer/gguf_pre_tokenizers.hpp"

#include <algorithm>
#include <initializer_list>

namespace medllm {

namespace {

using nlohmann::json;

// The split patterns, as the models' tokenizer.json files write them (llama.cpp's copies of the
// (?i:...) and letter-case ones are rewritten for its own regex engine; PCRE2 runs the originals).
constexpr const char* kGpt2 = R"re('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)re";
constexpr const char* kLlama3 =
    R"re((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";
constexpr const char* kQwen2 =
    R"re((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";
constexpr const char* kQwen35 =
    R"re((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";
constexpr const char* kTekken =
    R"re([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";
constexpr const char* kGpt4o =
    R"re([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";
constexpr const char* kSeedCoder =
    R"re((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+)re";
constexpr const char* kDeepseek3Words =
    R"re([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";

struct Entry {
  std::initializer_list<const char*> names;  // the converter's first, then llama.cpp's aliases
  std::initializer_list<const char*> splits;
  bool ignore_merges = false, add_bos = false;
};

const Entry kEntries[] = {
    // llama.cpp's BPE default (a file without tokenizer.ggml.pre, or "default"): punctuation runs,
    // GPT-2's words, digit runs, then digit triples.
    {{"default"}, {R"re([\p{P}\$\+<=>\^~\|]+)re", kGpt2, R"re(\p{N}+)re", "[0-9][0-9][0-9]"}},
    {{"gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum",
      "modern-bert", "exaone4", "mpt", "olmo", "jais", "trillion", "granite-docling"},
     {kGpt2}},
    {{"llama-bpe", "llama3", "llama-v3", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano"},
     {kLlama3},
     true,
     true},
    {{"dbrx"}, {kLlama3}},
    {{"smaug-bpe"}, {kLlama3}},
    {{"qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez", "stablelm2", "hunyuan", "solar-open"}, {kQwen2}},
    {{"qwen35"}, {kQwen35}},
    {{"tekken"}, {kTekken}, true, true},
    {{"gpt-4o", "llama4", "kanana2", "talkie"}, {kGpt4o}},
    {{"seed-coder"}, {kSeedCoder}},
    {{"deepseek-v3"}, {R"re(\p{N}{1,3})re", "[一-龥぀-ゟ゠-ヿ]+", kDeepseek3Words}},
    // Single digits, then GPT-2's words.
    {{"starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b", "mellum2"},
     {R"re(\p{N})re", kGpt2}},
};

GgufPreTokenizer to_pre_tokenizer(const Entry& entry) {
  return {*entry.names.begin(), {entry.splits.begin(), entry.splits.end()}, entry.ignore_merges, entry.add_bos};
}

bool is(const json& step, const char* type) {
  return step.is_object() && step.value("type", "") == type;
}

}  // namespace

std::optional<GgufPreTokenizer> find_gguf_pre_tokenizer(const std::string& name) {
  for (const Entry& entry : kEntries) {
    if (std::any_of(entry.names.begin(), entry.names.end(), [&](const char* n) { return name == n; })) {
      return to_pre_tokenizer(entry);
    }
  }
  return std::nullopt;
}

std::string gguf_pre_tokenizer_names() {
  std::string out;
  for (const Entry& entry : kEntries) {
    for (const char* name : entry.names) out += (out.empty() ? "" : ", ") + std::string(name);
  }
  return out;
}

json hf_pre_tokenizer(const GgufPreTokenizer& pre) {
  json steps = json::array();
  for (const std::string& pattern : pre.splits) {
    steps.push_back(
        {{"type", "Split"}, {"pattern", {{"Regex", pattern}}}, {"behavior", "Isolated"}, {"invert", false}});
  }
  steps.push_back({{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}});
  return {{"type", "Sequence"}, {"pretokenizers", std::move(steps)}};
}

std::optional<std::string> gguf_pre_tokenizer_name(const json& pre_tokenizer) {
  if (is(pre_tokenizer, "ByteLevel")) {
    if (pre_tokenizer.value("use_regex", true)) return "gpt-2";
    return std::nullopt;
  }
  if (!is(pre_tokenizer, "Sequence")) return std::nullopt;
  const json steps = pre_tokenizer.value("pretokenizers", json::array());
  if (steps.size() < 2 || !is(steps.back(), "ByteLevel") || steps.back().value("use_regex", true)) return std::nullopt;
  std::vector<std::string> patterns;
  for (size_t i = 0; i + 1 < steps.size(); ++i) {
    const json& step = steps[i];
    if (!is(step, "Split") || step.value("invert", false) || step.value("behavior", "") != "Isolated") {
      return std::nullopt;
    }
    const json pattern = step.value("pattern", json::object()).value("Regex", json());
    if (!pattern.is_string()) return std::nullopt;
    patterns.push_back(pattern.get<std::string>());
  }
  for (const Entry& entry : kEntries) {
    if (std::equal(patterns.begin(), patterns.end(), entry.splits.begin(), entry.splits.end())) {
      return *entry.names.begin();
    }
  }
  return std::nullopt;
}

}  // namespace medllm
