// The GGUF writer: what it writes reads back through formats/gguf.hpp value for value and byte
// for byte, its layout equals one computed here by hand (so these tests do not only trust the
// reader), a tiny Llama written with it loads and runs as the same model as its Hugging Face
// files, and every input it refuses is an error naming what is wrong.

#include "formats/gguf_writer.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <medllm/model.hpp>
#include <medllm/session.hpp>

#include "formats/gguf.hpp"
#include "model/named_weights.hpp"
#include "model/weight_table.hpp"
#include "support/gguf_builder.hpp"
#include "support/test_support.hpp"

namespace medllm {
namespace {

namespace fs = std::filesystem;

std::span<const std::byte> bytes_of(const std::string& text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

std::string written(const GgufWriter& writer, const std::string& name) {
  const fs::path path = test::fresh_temp_dir("gguf_writer") / name;
  writer.write(path.string());
  return test::read_file(path);
}

// The u32 `skip` bytes after `key`'s length and bytes: its value type id (skip 0), or an array's
// element type (skip 4). Read from the bytes, as the reader turns values into JSON without types.
uint32_t u32_after_key(const std::string& file, const std::string& key, size_t skip = 0) {
  std::string pattern(8, '\0');
  const uint64_t length = key.size();
  std::memcpy(pattern.data(), &length, 8);
  pattern += key;
  const size_t at = file.find(pattern);
  if (at == std::string::npos || at + pattern.size() + skip + 4 > file.size()) {
    ADD_FAILURE() << "key " << key << " not found";
    return 99;
  }
  uint32_t type;
  std::memcpy(&type, file.data() + at + pattern.size() + skip, 4);
  return type;
}

TEST(GgufWriter, RoundTripsEveryValueTypeAndTensor) {
  GgufWriter writer;
  writer.add_string("general.architecture", "llama");
  writer.add_u8("v.u8", 200);
  writer.add_i8("v.i8", -100);
  writer.add_u16("v.u16", 60000);
  writer.add_i16("v.i16", -30000);
  writer.add_u32("v.u32", 4000000000u);
  writer.add_i32("v.i32", -2000000000);
  writer.add_u64("v.u64", (uint64_t{1} << 60) + 5);
  writer.add_i64("v.i64", -(int64_t{1} << 60) - 3);
  writer.add_f32("v.f32", 0.1f);
  writer.add_f64("v.f64", 0.1);
  writer.add_bool("v.true", true);
  writer.add_bool("v.false", false);
  writer.add_string("v.string", "h\xC3\xA9llo");
  writer.add_string("v.empty", "");
  const std::string raw_piece("\xFF\x00\xE2", 3);  // not UTF-8, and holds a NUL
  writer.add_string("v.raw", raw_piece);
  const std::vector<std::string> strings = {"a", "", "\xE2\x96\x81the", raw_piece};
  writer.add_string_array("a.strings", strings);
  const std::vector<float> floats = {1.0f, -2.5f, 3e-8f};
  writer.add_f32_array("a.f32", floats);
  const std::vector<int32_t> ints = {-1, 0, std::numeric_limits<int32_t>::max()};
  writer.add_i32_array("a.i32", ints);
  const std::vector<uint32_t> uints = {0, 7, std::numeric_limits<uint32_t>::max()};
  writer.add_u32_array("a.u32", uints);
  writer.add_f32_array("a.empty", std::span<const float>());
  writer.add_u32("general.alignment", 64);

  const std::vector<test::OwnedTensor> tensors = {
      test::random_tensor("t.f32", {3, 5}, DType::F32, 1),
      test::random_tensor("t.f16", {4, 7}, DType::F16, 2),
      test::random_blocks("t.q8_0", {3, 64}, DType::Q8_0, 3),
      test::random_blocks("t.q4_k", {2, 256}, DType::Q4_K, 4),
      test::random_tensor("t.vector", {5}, DType::F32, 5),
      test::random_tensor("t.bf16_3d", {2, 3, 4}, DType::BF16, 6),
      test::random_blocks("t.q6_k_4d", {2, 1, 3, 256}, DType::Q6_K, 7),
  };
  for (const auto& tensor : tensors) writer.add_tensor(tensor.name, tensor.view());

  const std::string file = written(writer, "all.gguf");
  const GgufFile parsed = parse_gguf(bytes_of(file));
  EXPECT_EQ(parsed.version, 3u);
  const nlohmann::json& m = parsed.metadata;
  EXPECT_EQ(m["general.architecture"], "llama");
  EXPECT_EQ(m["v.u8"].get<uint64_t>(), 200u);
  EXPECT_EQ(m["v.i8"].get<int64_t>(), -100);
  EXPECT_EQ(m["v.u16"].get<uint64_t>(), 60000u);
  EXPECT_EQ(m["v.i16"].get<int64_t>(), -30000);
  EXPECT_EQ(m["v.u32"].get<uint64_t>(), 4000000000u);
  EXPECT_EQ(m["v.i32"].get<int64_t>(), -2000000000);
  EXPECT_EQ(m["v.u64"].get<uint64_t>(), (uint64_t{1} << 60) + 5);
  EXPECT_EQ(m["v.i64"].get<int64_t>(), -(int64_t{1} << 60) - 3);
  EXPECT_EQ(m["v.f32"].get<float>(), 0.1f);
  EXPECT_EQ(m["v.f64"].get<double>(), 0.1);
  EXPECT_EQ(m["v.true"], true);
  EXPECT_EQ(m["v.false"], false);
  EXPECT_EQ(m["v.string"], "h\xC3\xA9llo");
  EXPECT_EQ(m["v.empty"], "");
  EXPECT_EQ(m["v.raw"].get<std::string>(), raw_piece);
  EXPECT_EQ(m["a.strings"].get<std::vector<std::string>>(), strings);
  EXPECT_EQ(m["a.f32"].get<std::vector<float>>(), floats);
  EXPECT_EQ(m["a.i32"].get<std::vector<int32_t>>(), ints);
  EXPECT_EQ(m["a.u32"].get<std::vector<uint32_t>>(), uints);
  EXPECT_EQ(m["a.empty"], nlohmann::json::array());
  EXPECT_EQ(m["general.alignment"].get<uint64_t>(), 64u);

  const std::vector<std::pair<std::string, uint32_t>> types = {{"general.architecture", 8},
                                                               {"v.u8", 0},
                                                               {"v.i8", 1},
                                                               {"v.u16", 2},
                                                               {"v.i16", 3},
                                                               {"v.u32", 4},
                                                               {"v.i32", 5},
                                                               {"v.u64", 10},
                                                               {"v.i64", 11},
                                                               {"v.f32", 6},
                                                               {"v.f64", 12},
                                                               {"v.true", 7},
                                                               {"v.false", 7},
                                                               {"v.string", 8},
                                                               {"v.empty", 8},
                                                               {"v.raw", 8},
                                                               {"a.strings", 9},
                                                               {"a.f32", 9},
                                                               {"a.i32", 9},
                                                               {"a.u32", 9},
                                                               {"a.empty", 9},
                                                               {"general.alignment", 4}};
  EXPECT_EQ(parsed.metadata.size(), types.size());
  for (const auto& [key, type] : types) EXPECT_EQ(u32_after_key(file, key), type) << key;
  // An array's element type follows its type id.
  for (const auto& [key, element] : std::vector<std::pair<std::string, uint32_t>>{
           {"a.strings", 8}, {"a.f32", 6}, {"a.i32", 5}, {"a.u32", 4}, {"a.empty", 6}}) {
    EXPECT_EQ(u32_after_key(file, key, 4), element) << key;
  }

  EXPECT_EQ(parsed.alignment, 64u);
  EXPECT_EQ(parsed.data_offset % 64, 0u);
  ASSERT_EQ(parsed.tensors.size(), tensors.size());
  size_t end = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const GgufTensorInfo& info = parsed.tensors[i];
    const test::OwnedTensor& tensor = tensors[i];
    SCOPED_TRACE(tensor.name);
    EXPECT_EQ(info.name, tensor.name);
    EXPECT_EQ(info.ne, std::vector<uint64_t>(tensor.shape.rbegin(), tensor.shape.rend()));
    EXPECT_EQ(info.ggml_type, dtype_traits(tensor.dtype).ggml_type);
    EXPECT_EQ(info.offset % 64, 0u);
    EXPECT_EQ(info.offset, (end + 63) / 64 * 64);  // packed: the next multiple of 64 after the last
    ASSERT_EQ(info.nbytes, tensor.bytes.size());
    EXPECT_EQ(std::memcmp(file.data() + parsed.data_offset + info.offset, tensor.bytes.data(), info.nbytes), 0);
    // The padding after each tensor is zeros.
    end = info.offset + info.nbytes;
    const size_t padded = (end + 63) / 64 * 64;
    EXPECT_EQ(file.substr(parsed.data_offset + end, padded - end), std::string(padded - end, '\0'));
  }
  EXPECT_EQ(file.size(), parsed.data_offset + (end + 63) / 64 * 64);

  // And through the loader: outermost-first shapes, dtypes and the bytes.
  const fs::path path = test::fresh_temp_dir("gguf_writer_load") / "all.gguf";
  writer.write(path.string());
  TensorStore store;
  load_gguf(path.string(), store);
  for (const auto& tensor : tensors) {
    const TensorView view = store.view(tensor.name);
    EXPECT_EQ(view.shape, tensor.shape) << tensor.name;
    EXPECT_EQ(view.dtype, tensor.dtype) << tensor.name;
    EXPECT_EQ(std::memcmp(view.data, tensor.bytes.data(), tensor.bytes.size()), 0) << tensor.name;
  }
}

TEST(GgufWriter, WritesTheLayoutComputedByHand) {
  GgufWriter writer;
  writer.add_u32("a", 7);
  const float values[] = {1.0f, 2.0f};
  writer.add_tensor("t", DType::F32, {2}, std::as_bytes(std::span(values)));
  // clang-format off
  const std::vector<uint8_t> expected = {
      'G', 'G', 'U', 'F',                 // magic
      3, 0, 0, 0,                         // version 3
      1, 0, 0, 0, 0, 0, 0, 0,             // one tensor
      1, 0, 0, 0, 0, 0, 0, 0,             // one key/value
      1, 0, 0, 0, 0, 0, 0, 0, 'a',        // key "a"
      4, 0, 0, 0,                         // of type u32
      7, 0, 0, 0,                         // 7
      1, 0, 0, 0, 0, 0, 0, 0, 't',        // tensor "t"
      1, 0, 0, 0,                         // one dimension
      2, 0, 0, 0, 0, 0, 0, 0,             // ne[0] = 2
      0, 0, 0, 0,                         // GGML_TYPE_F32
      0, 0, 0, 0, 0, 0, 0, 0,             // at offset 0 of the data
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,    // 74 bytes so far: 22 zeros to 96
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      0, 0, 0x80, 0x3f,                   // 1.0f
      0, 0, 0, 0x40,                      // 2.0f
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 104 bytes: 24 zeros to 128
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  };
  // clang-format on
  ASSERT_EQ(expected.size(), 128u);
  EXPECT_EQ(written(writer, "small.gguf"), std::string(expected.begin(), expected.end()));
}

// The test suite's byte-by-byte builder, written independently of the writer, lays out the
// same file for several keys and tensors at the default alignment.
TEST(GgufWriter, MatchesTheTestBuilder) {
  const test::OwnedTensor matrix = test::random_tensor("m", {3, 5}, DType::F32, 11);
  const test::OwnedTensor blocks = test::random_blocks("q", {2, 32}, DType::Q8_0, 12);
  const std::vector<std::string> pieces = {"<s>", "x", ""};
  const std::vector<int32_t> kinds = {3, 1, -2};

  GgufWriter writer;
  writer.add_string("general.architecture", "llama");
  writer.add_u32("llama.block_count", 2);
  writer.add_f32("llama.eps", 1e-5f);
  writer.add_bool("flag", true);
  writer.add_string_array("tokens", pieces);
  writer.add_i32_array("kinds", kinds);
  writer.add_tensor(matrix.name, matrix.view());
  writer.add_tensor(blocks.name, blocks.view());

  auto bytes = [](const test::OwnedTensor& t) {
    const auto* data = reinterpret_cast<const uint8_t*>(t.bytes.data());
    return std::vector<uint8_t>(data, data + t.bytes.size());
  };
  std::string expected = test::GgufBuilder()
                             .string("general.architecture", "llama")
                             .u32("llama.block_count", 2)
                             .f32("llama.eps", 1e-5f)
                             .boolean("flag", true)
                             .strings("tokens", pieces)
                             .array("kinds", test::GgufBuilder::I32, kinds)
                             .tensor("m", {5, 3}, 0, bytes(matrix))
                             .tensor("q", {32, 2}, 8, bytes(blocks))
                             .build();
  expected.append((32 - expected.size() % 32) % 32, '\0');  // the builder leaves the last tensor unpadded
  EXPECT_EQ(written(writer, "builder.gguf"), expected);
}

TEST(GgufWriter, AnEmptyWriterWritesAHeaderOnly) {
  const std::string file = written(GgufWriter(), "empty.gguf");
  EXPECT_EQ(file.size(), 32u);  // 24 header bytes padded to the alignment
  const GgufFile parsed = parse_gguf(bytes_of(file));
  EXPECT_TRUE(parsed.metadata.empty());
  EXPECT_TRUE(parsed.tensors.empty());
}

TEST(GgufWriter, RefusesBadKeysTensorsAndPaths) {
  using test::error_of;
  GgufWriter writer;
  writer.add_u32("k", 1);
  EXPECT_NE(error_of([&] { writer.add_string("k", "again"); }).find("'k' is added twice"), std::string::npos);
  EXPECT_NE(error_of([&] { writer.add_f32_array("k", std::vector<float>{1}); }).find("'k'"), std::string::npos);
  EXPECT_NE(error_of([&] { writer.add_bool("", true); }).find("key is empty"), std::string::npos);
  for (uint32_t bad : {0u, 24u, 8192u}) {
    EXPECT_NE(error_of([&] { writer.add_u32("general.alignment", bad); }).find("power of two up to 4096"),
              std::string::npos);
  }
  EXPECT_NE(error_of([&] { writer.add_u64("general.alignment", 64); }).find("must be a u32"), std::string::npos);

  const test::OwnedTensor t = test::random_tensor("w", {2, 8}, DType::F32, 1);
  writer.add_tensor("w", t.view());
  EXPECT_NE(error_of([&] { writer.add_tensor("w", t.view()); }).find("'w' is added twice"), std::string::npos);
  EXPECT_NE(error_of([&] { writer.add_tensor("", t.view()); }).find("name is empty"), std::string::npos);
  EXPECT_NE(error_of([&] { writer.add_tensor(std::string(64, 'n'), t.view()); }).find("longer than 63"),
            std::string::npos);
  writer.add_tensor(std::string(63, 'n'), t.view());
  const std::string size_error = error_of([&] {
    writer.add_tensor("short", DType::F32, {2, 8}, std::span(t.bytes).first(60));
  });
  EXPECT_NE(size_error.find("'short'"), std::string::npos) << size_error;
  EXPECT_NE(size_error.find("takes 64 bytes, given 60"), std::string::npos) << size_error;
  // 1024 q8_0 elements are whole blocks, but rows of 16 are not.
  const test::OwnedTensor q = test::random_blocks("q", {32, 32}, DType::Q8_0, 2);
  const std::string block_error = error_of([&] { writer.add_tensor("q", DType::Q8_0, {64, 16}, q.bytes); });
  EXPECT_NE(block_error.find("innermost dimension 16 is not a multiple of the q8_0 block size 32"), std::string::npos)
      << block_error;
  const TensorView partial_rows{DType::Q8_0, {64, 16}, q.bytes.data()};
  EXPECT_EQ(error_of([&] { writer.add_tensor("q", partial_rows); }), block_error);
  EXPECT_NE(error_of([&] {
              writer.add_tensor("d5", DType::F32, {1, 1, 2, 2, 4}, t.bytes);
            }).find("5 dimensions"),
            std::string::npos);
  EXPECT_NE(error_of([&] { writer.add_tensor("d0", DType::F32, {}, t.bytes); }).find("0 dimensions"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              writer.add_tensor("neg", DType::F32, {-2, -8}, t.bytes);
            }).find("impossible shape"),
            std::string::npos);

  // Refused additions leave nothing behind: the file holds what was accepted.
  const GgufFile parsed = parse_gguf(bytes_of(written(writer, "after_errors.gguf")));
  EXPECT_EQ(parsed.metadata.size(), 1u);
  ASSERT_EQ(parsed.tensors.size(), 2u);
  EXPECT_EQ(parsed.alignment, 32u);

  const fs::path dir = test::fresh_temp_dir("gguf_writer_paths");
  const fs::path unwritable = dir / "no_such_dir" / "model.gguf";
  const std::string path_error = error_of([&] { writer.write(unwritable.string()); });
  EXPECT_NE(path_error.find(unwritable.string()), std::string::npos) << path_error;
  EXPECT_FALSE(fs::exists(unwritable));
  // A finished write leaves the file alone in its directory: no temporary beside it.
  writer.write((dir / "model.gguf").string());
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
}

// A tiny Llama written as llama.cpp lays one out (GGUF names, q/k rows in its rope order) loads
// as a GGUF model and computes the logits of its Hugging Face files.
TEST(GgufWriter, TinyLlamaLoadsAsTheSameModel) {
  const fs::path dir = test::fresh_temp_dir("gguf_writer_llama");
  test::TinyModel tiny = test::tiny_llama();
  test::write_hf_model(dir / "hf", tiny);
  const auto hf = Model::load((dir / "hf").string());
  const ModelConfig& c = hf->config();

  GgufWriter writer;
  writer.add_string("general.architecture", "llama");
  writer.add_u32("llama.context_length", static_cast<uint32_t>(c.max_position_embeddings));
  writer.add_u32("llama.embedding_length", static_cast<uint32_t>(c.hidden_size));
  writer.add_u32("llama.feed_forward_length", static_cast<uint32_t>(c.intermediate_size));
  writer.add_u32("llama.block_count", static_cast<uint32_t>(c.num_layers));
  writer.add_u32("llama.attention.head_count", static_cast<uint32_t>(c.num_heads));
  writer.add_u32("llama.attention.head_count_kv", static_cast<uint32_t>(c.num_kv_heads));
  writer.add_f32("llama.attention.layer_norm_rms_epsilon", static_cast<float>(c.rms_norm_eps));
  writer.add_f32("llama.rope.freq_base", static_cast<float>(c.layers[0].rope.theta));
  writer.add_u32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(c.bos_token_ids.at(0)));
  writer.add_u32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(c.eos_token_ids.at(0)));

  std::vector<std::vector<std::byte>> permuted;  // alive until write()
  permuted.reserve(2 * static_cast<size_t>(c.num_layers));
  auto add = [&](const std::string& gguf_name, const std::string& hf_name, int64_t rope_heads) {
    const test::OwnedTensor* tensor = tiny.find(hf_name);
    ASSERT_NE(tensor, nullptr) << hf_name;
    const TensorView view = tensor->view();
    if (rope_heads == 0) return writer.add_tensor(gguf_name, view);
    // GGUF row r holds Hugging Face row hf_row_of_gguf_row(r).
    std::vector<std::byte>& rows = permuted.emplace_back(view.nbytes());
    for (int64_t r = 0; r < view.rows(); ++r) {
      std::memcpy(rows.data() + r * view.row_bytes(), view.row(hf_row_of_gguf_row(r, c.head_dim)), view.row_bytes());
    }
    writer.add_tensor(gguf_name, view.dtype, view.shape, rows);
  };
  add(kEmbeddingTensor.gguf, c.weight_prefix + kEmbeddingTensor.hf, 0);
  for (int64_t i = 0; i < c.num_layers; ++i) {
    for (const LayerTensor& t : layer_tensors(c)) {
      add(fmt::format("blk.{}.{}", i, t.gguf), fmt::format("{}layers.{}.{}", c.weight_prefix, i, t.hf), t.rope_heads);
    }
  }
  add(kFinalNormTensor.gguf, c.weight_prefix + kFinalNormTensor.hf, 0);
  add(kLmHeadTensor.gguf, kLmHeadTensor.hf, 0);
  const fs::path path = dir / "tiny.gguf";
  writer.write(path.string());

  const auto gguf = Model::load(path.string());
  EXPECT_EQ(gguf->format(), "gguf");
  EXPECT_EQ(gguf->config().vocab_size, c.vocab_size);
  EXPECT_EQ(gguf->config().num_kv_heads, c.num_kv_heads);
  EXPECT_EQ(gguf->config().rope_layout, RopeLayout::AdjacentPairs);
  EXPECT_FALSE(gguf->config().tie_word_embeddings);
  for (const TensorSummary& tensor : gguf->tensors()) EXPECT_TRUE(tensor.used) << tensor.name;

  const std::vector<int32_t> tokens = {1, 5, 9, 33, 63, 2};
  Session hf_session(*hf), gguf_session(*gguf);
  const std::span<const float> expected = hf_session.forward(tokens, LogitsFor::All);
  const std::span<const float> actual = gguf_session.forward(tokens, LogitsFor::All);
  ASSERT_EQ(actual.size(), expected.size());
  // Equal to rounding (the eps is stored as an f32); rows left in Hugging Face order would be off
  // by about 1e-3 from the second position on.
  for (size_t i = 0; i < expected.size(); ++i) ASSERT_NEAR(actual[i], expected[i], 1e-5f) << "logit " << i;
}

}  // namespace
}  // namespace medllm
