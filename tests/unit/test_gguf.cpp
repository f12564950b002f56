#include <gtest/gtest.h>

#include "core/error.hpp"
#include "formats/gguf.hpp"
#include "support/gguf_builder.hpp"
#include "support/test_support.hpp"

namespace medllm {
namespace {

GgufFile parse(const std::string& bytes) {
  return parse_gguf(std::as_bytes(std::span(bytes.data(), bytes.size())));
}

std::string parse_error(const std::string& bytes) {
  try {
    parse(bytes);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Gguf, ReadsTheEmbeddedStoriesModel) {
  TensorStore store;
  const GgufFile file = load_gguf(test::stories260k_path().string(), store);
  EXPECT_EQ(file.version, 3u);
  EXPECT_EQ(file.metadata["general.architecture"], "llama");
  EXPECT_EQ(file.metadata["llama.embedding_length"], 64);
  EXPECT_EQ(file.metadata["tokenizer.ggml.tokens"].size(), 512u);
  EXPECT_EQ(store.view("token_embd.weight").shape, (Shape{512, 64}));
  EXPECT_EQ(store.view("blk.0.ffn_gate.weight").shape, (Shape{172, 64}));
  EXPECT_EQ(store.view("blk.0.attn_k.weight").shape, (Shape{32, 64}));
}

TEST(Gguf, EveryTruncationIsAnErrorNotACrash) {
  const std::string full = test::read_file(test::stories260k_path());
  // Every cut inside the header and metadata, then a sample of cuts inside the tensor data.
  std::vector<size_t> cuts;
  for (size_t n = 0; n < 12000; n += 7) cuts.push_back(n);
  for (size_t n = 12000; n < full.size(); n += full.size() / 97) cuts.push_back(n);
  cuts.push_back(full.size() - 1);
  for (size_t n : cuts) {
    const std::string error = parse_error(full.substr(0, n));
    EXPECT_NE(error, "(no error)") << "cut at " << n;
  }
}

TEST(Gguf, RejectsMalformedStructures) {
  const std::vector<uint8_t> row(64 * 4, 0);
  auto valid = [&] { return test::GgufBuilder().string("general.architecture", "llama"); };
  EXPECT_EQ(parse_error(valid().tensor("t", {64}, 0, row).build()), "(no error)");
  EXPECT_NE(parse_error(std::string("GGUX") + valid().build().substr(4)).find("bad magic"), std::string::npos);
  EXPECT_NE(parse_error(valid().build(1)).find("version 1"), std::string::npos);
  EXPECT_NE(parse_error(valid().tensor("t", {64}, 0, std::vector<uint8_t>(100)).build()).find("outside"),
            std::string::npos);
  EXPECT_NE(parse_error(valid().tensor("t", {64}, 99, row).build()).find("unknown ggml type 99"), std::string::npos);
  EXPECT_NE(parse_error(valid().tensor("t", {30}, 8, row).build()).find("not a multiple"), std::string::npos);
  EXPECT_NE(parse_error(valid().tensor("t", {1, 1, 1, 1, 1}, 0, row).build()).find("5 dimensions"), std::string::npos);
  EXPECT_NE(parse_error(valid().tensor("t", {uint64_t{1} << 40, uint64_t{1} << 40}, 0, row).build()).find("impossible"),
            std::string::npos);
  EXPECT_NE(parse_error(valid().string("general.architecture", "x").build()).find("appears twice"), std::string::npos);
  EXPECT_NE(parse_error(valid().u32("general.alignment", 24).build()).find("power of two"), std::string::npos);
  EXPECT_NE(parse_error(valid().raw_bool("b", 2).build()).find("neither 0 nor 1"), std::string::npos);

  // A string length far beyond the file.
  std::string huge = valid().build();
  huge[24 + 7] = '\x7f';  // high byte of the first key's length
  EXPECT_NE(parse_error(huge), "(no error)");
  // Counts beyond what the file could hold.
  std::string counts = valid().build();
  counts[8 + 7] = '\x10';  // tensor count high byte
  EXPECT_NE(parse_error(counts).find("more than the file can hold"), std::string::npos);
}

TEST(Gguf, LoadErrorsNameTheFile) {
  const auto dir = test::fresh_temp_dir("gguf");
  const auto path = dir / "broken.gguf";
  const std::string full = test::read_file(test::stories260k_path());
  test::write_file(path, full.substr(0, full.size() / 2));
  TensorStore store;
  try {
    load_gguf(path.string(), store);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace medllm
