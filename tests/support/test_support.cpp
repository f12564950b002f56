#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "core/utf8.hpp"
#include "formats/safetensors.hpp"

namespace medllm::test {

namespace fs = std::filesystem;

fs::path shared_data(const std::string& relative) {
  return fs::path(MEDLLM_SHARED_DATA) / relative;
}
fs::path repo_path(const std::string& relative) {
  return fs::path(MEDLLM_SOURCE_DIR) / relative;
}
fs::path stories260k_path() {
  return repo_path("data/models/stories260K/stories260K.gguf");
}

Model* StoriesSuite::model_ = nullptr;
Tokenizer* StoriesSuite::tokenizer_ = nullptr;

void StoriesSuite::SetUpTestSuite() {
  model_ = Model::load(stories260k_path().string()).release();
  tokenizer_ = Tokenizer::load(*model_).release();
}

void StoriesSuite::TearDownTestSuite() {
  delete tokenizer_;
  delete model_;
  tokenizer_ = nullptr;
  model_ = nullptr;
}

fs::path fresh_temp_dir(const std::string& name) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = fs::path(::testing::TempDir()) / "medllm-tests" /
                 (std::string(info ? info->test_suite_name() : "suite") + "." + (info ? info->name() : "test")) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

OwnedTensor random_tensor(const std::string& name, Shape shape, DType dtype, uint64_t seed, float scale) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> values(static_cast<size_t>(shape_numel(shape)));
  for (float& v : values) v = normal(rng);
  OwnedTensor tensor{name, dtype, std::move(shape), {}};
  tensor.bytes.resize(dtype_bytes(dtype, static_cast<int64_t>(values.size())));
  from_f32(dtype, values.data(), tensor.bytes.data(), static_cast<int64_t>(values.size()));
  return tensor;
}

OwnedTensor random_blocks(const std::string& name, Shape shape, DType dtype, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const DTypeTraits& traits = dtype_traits(dtype);
  OwnedTensor tensor{name, dtype, std::move(shape), {}};
  tensor.bytes.resize(dtype_bytes(dtype, shape_numel(tensor.shape)));
  for (auto& byte : tensor.bytes) byte = static_cast<std::byte>(rng());
  std::uniform_real_distribution<float> magnitude(1e-4f, 0.1f);
  for (size_t block = 0; block < tensor.bytes.size(); block += traits.block_bytes) {
    for (const uint16_t offset : traits.f16_scale_offsets) {
      const uint16_t scale = f32_to_f16(rng() % 2 ? magnitude(rng) : -magnitude(rng));
      std::memcpy(tensor.bytes.data() + block + offset, &scale, sizeof scale);
    }
  }
  return tensor;
}

std::vector<float> random_normals(size_t n, uint64_t seed, float scale) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> values(n);
  for (float& v : values) v = normal(rng);
  return values;
}

std::vector<DType> all_dtypes() {
  std::vector<DType> out;
  for (size_t i = 0; i < kDTypeCount; ++i) out.push_back(static_cast<DType>(i));
  return out;
}

OwnedTensor* TinyModel::find(const std::string& name) {
  for (auto& tensor : tensors) {
    if (tensor.name == name) return &tensor;
  }
  return nullptr;
}

TinyModel tiny_llama(DType dtype, uint64_t seed) {
  constexpr int64_t hidden = 32, layers = 2, heads = 4, kv_heads = 2, ffn = 48, vocab = 64;
  constexpr int64_t head_dim = hidden / heads;
  TinyModel model;
  model.config = {{"architectures", {"LlamaForCausalLM"}},
                  {"model_type", "llama"},
                  {"hidden_size", hidden},
                  {"intermediate_size", ffn},
                  {"num_hidden_layers", layers},
                  {"num_attention_heads", heads},
                  {"num_key_value_heads", kv_heads},
                  {"vocab_size", vocab},
                  {"max_position_embeddings", 128},
                  {"rms_norm_eps", 1e-5},
                  {"rope_theta", 10000.0},
                  {"tie_word_embeddings", false},
                  {"bos_token_id", 1},
                  {"eos_token_id", 2}};
  auto add = [&](const std::string& name, Shape shape, float scale = 0.2f) {
    const DType stored = shape.size() == 1 ? DType::F32 : dtype;  // norms stay f32
    model.tensors.push_back(random_tensor(name, std::move(shape), stored, seed++, scale));
  };
  add("model.embed_tokens.weight", {vocab, hidden}, 1.0f);
  for (int64_t i = 0; i < layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    add(p + "input_layernorm.weight", {hidden});
    add(p + "self_attn.q_proj.weight", {heads * head_dim, hidden});
    add(p + "self_attn.k_proj.weight", {kv_heads * head_dim, hidden});
    add(p + "self_attn.v_proj.weight", {kv_heads * head_dim, hidden});
    add(p + "self_attn.o_proj.weight", {hidden, heads * head_dim});
    add(p + "post_attention_layernorm.weight", {hidden});
    add(p + "mlp.gate_proj.weight", {ffn, hidden});
    add(p + "mlp.up_proj.weight", {ffn, hidden});
    add(p + "mlp.down_proj.weight", {hidden, ffn});
  }
  add("model.norm.weight", {hidden});
  add("lm_head.weight", {vocab, hidden});
  return model;
}

void write_hf_model(const fs::path& dir, const TinyModel& model) {
  fs::create_directories(dir);
  write_file(dir / "config.json", model.config.dump(2));
  std::vector<std::pair<std::string, TensorView>> views;
  for (const auto& tensor : model.tensors) views.emplace_back(tensor.name, tensor.view());
  write_safetensors((dir / "model.safetensors").string(), views);
}

namespace {

// True when each decode of context + continuation[0, j) (less a trailing U+FFFD run: a character
// still incomplete) is a prefix of `whole`.
bool decodes_grow_by_appending(const Tokenizer& tokenizer, const std::vector<int32_t>& context,
                               const std::vector<int32_t>& continuation, const std::string& whole) {
  std::vector<int32_t> ids = context;
  for (const int32_t id : continuation) {
    ids.push_back(id);
    std::string text = tokenizer.decode(ids);
    while (text.ends_with("\xEF\xBF\xBD")) text.resize(text.size() - 3);
    if (!whole.starts_with(text)) return false;
  }
  return true;
}

}  // namespace

size_t check_continuation_streaming(const Tokenizer& tokenizer, const std::vector<std::vector<int32_t>>& sequences,
                                    uint64_t seed) {
  std::mt19937_64 rng(seed);
  size_t checked = 0, failures = 0;
  for (const std::vector<int32_t>& sequence : sequences) {
    const bool bos = tokenizer.bos_id() && rng() % 2 == 0;
    const bool noise = rng() % 4 == 0;
    std::vector<int32_t> context, continuation, all;
    std::string whole, head;
    // A few tries at a split whose context text is a prefix of the whole (not inside a character).
    for (int attempt = 0; attempt < 8 && (attempt == 0 || !whole.starts_with(head)); ++attempt) {
      const size_t split = sequence.empty() ? 0 : rng() % (sequence.size() + 1);
      context.assign(bos ? 1 : 0, bos ? *tokenizer.bos_id() : 0);
      context.insert(context.end(), sequence.begin(), sequence.begin() + static_cast<std::ptrdiff_t>(split));
      continuation.assign(sequence.begin() + static_cast<std::ptrdiff_t>(split), sequence.end());
      for (int i = 0; noise && i < 4; ++i) {
        continuation.push_back(static_cast<int32_t>(rng() % static_cast<uint64_t>(tokenizer.vocab_size())));
      }
      all = context;
      all.insert(all.end(), continuation.begin(), continuation.end());
      whole = tokenizer.decode(all);
      head = tokenizer.decode(context);
    }
    if (!whole.starts_with(head)) continue;
    // Random ids can form invalid byte runs, which Hugging Face's ByteFallback shows as U+FFFD as a
    // whole once a later byte spoils them: text already shown changes, so no stream can match.
    if (noise && !decodes_grow_by_appending(tokenizer, context, continuation, whole)) continue;
    ++checked;
    StreamDecoder stream(tokenizer, context);
    std::string streamed;
    bool split_character = false;
    for (const int32_t id : continuation) {
      const std::string piece = stream.push(id);
      split_character |= utf8::find_invalid(piece) != std::string::npos;
      streamed += piece;
    }
    streamed += stream.flush();
    if ((split_character || streamed != whole.substr(head.size())) && ++failures <= 5) {
      ADD_FAILURE()
          << "continuation of " << nlohmann::json(context).dump() << " by " << nlohmann::json(continuation).dump()
          << (split_character ? " split a character" : "") << "\n  streamed "
          << nlohmann::json(streamed).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n  expected "
          << nlohmann::json(whole.substr(head.size())).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  }
  EXPECT_EQ(failures, 0u) << "continuations whose streamed text differs";
  return checked;
}

}  // namespace medllm::test
