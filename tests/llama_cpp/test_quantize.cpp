// medllm quantize against llama.cpp's llama_model_quantize (the npm package's libllama): from the
// same f32 and f16 files, every tensor must come out in the same type with the same bytes.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <string>

#include <medllm/model.hpp>

#include "core/mapped_file.hpp"
#include "formats/gguf.hpp"
#include "formats/gguf_quantize.hpp"
#include "llama_cpp.hpp"
#include "random_gguf.hpp"
#include "runtime/importance.hpp"
#include "support/test_support.hpp"

namespace medllm {
namespace {

namespace fs = std::filesystem;

// Rows of 256 and 512 (k-quant super-blocks) and untied embeddings, so output.weight has its rule.
constexpr bench::LlamaShape kShape{
    .hidden = 256, .layers = 2, .heads = 4, .kv_heads = 2, .ffn = 512, .vocab = 512, .max_positions = 256};
// For the mixes: 9 layers, so the rules for the first and last eighth and every third layer
// between all apply; 4 query heads per key/value head (the iq4 rules); and down projections with
// rows of 320, which no super-block divides (the fallback types).
constexpr bench::LlamaShape kMixShape{
    .hidden = 256, .layers = 9, .heads = 8, .kv_heads = 2, .ffn = 320, .vocab = 512, .max_positions = 256};

const fs::path& source(DType dtype, bool mix_shape = false) {
  static std::map<std::pair<DType, bool>, fs::path> paths;
  const auto key = std::make_pair(dtype, mix_shape);
  if (!paths.contains(key)) {
    const std::string name =
        std::string(mix_shape ? "quantize_mix_source_" : "quantize_source_") + std::string(dtype_name(dtype));
    const fs::path file = test::fresh_temp_dir(name) / "model.gguf";
    bench::ensure_random_llama_gguf(file, mix_shape ? kMixShape : kShape, dtype);
    paths[key] = file;
  }
  return paths.at(key);
}

struct Tensors {
  MappedFile mapped;
  GgufFile file;
  explicit Tensors(const fs::path& path) : mapped(path.string()), file(parse_gguf(mapped.bytes())) {}
  std::span<const std::byte> bytes(const GgufTensorInfo& t) const {
    return mapped.bytes().subspan(file.data_offset + t.offset, t.nbytes);
  }
};

struct Case {
  const char* type;
  DType from;
  bool pure;
  bool mix_shape = false;
};

class QuantizeLikeLlamaCpp : public ::testing::TestWithParam<Case> {};

TEST_P(QuantizeLikeLlamaCpp, EveryTensorHasTheSameTypeAndBytes) {
  const Case c = GetParam();
  const fs::path& in = source(c.from, c.mix_shape);
  const std::string stem = std::string(c.type) + (c.pure ? "_pure" : "");
  const fs::path ours = in.parent_path() / (stem + ".medllm.gguf"),
                 theirs = in.parent_path() / (stem + ".llama_cpp.gguf");
  ThreadPool pool(2);
  quantize_gguf(in.string(), ours.string(), {.type = c.type, .pure = c.pure}, pool);
  reference::LlamaCpp::open().quantize(in.string(), theirs.string(),
                                       static_cast<int>(find_quantize_preset(c.type)->ftype), 2, c.pure);
  const Tensors a(ours), b(theirs);
  ASSERT_EQ(a.file.tensors.size(), b.file.tensors.size());
  size_t quantized = 0;
  std::set<uint32_t> types;
  for (size_t i = 0; i < a.file.tensors.size(); ++i) {
    const GgufTensorInfo &x = a.file.tensors[i], &y = b.file.tensors[i];
    ASSERT_EQ(x.name, y.name);
    EXPECT_EQ(x.ne, y.ne) << x.name;
    EXPECT_EQ(x.ggml_type, y.ggml_type) << x.name;
    ASSERT_EQ(x.nbytes, y.nbytes) << x.name;
    EXPECT_TRUE(std::equal(a.bytes(x).begin(), a.bytes(x).end(), b.bytes(y).begin())) << x.name << " bytes differ";
    quantized += x.ggml_type == dtype_traits(find_quantize_preset(c.type)->type).ggml_type;
    types.insert(x.ggml_type);
  }
  EXPECT_GE(quantized, 8u) << "most matrices take the type";
  // f32 norms and the main type; every block-type mix but Q8_0's puts output.weight in q6_k at least.
  const DType main = find_quantize_preset(c.type)->type;
  EXPECT_EQ(types.size() > 2, !c.pure && is_block_quantized(main) && main != DType::Q8_0)
      << "the mix's rules must have chosen other types, and only then";
  EXPECT_EQ(a.file.metadata["general.file_type"], find_quantize_preset(c.type)->ftype);
  EXPECT_EQ(a.file.metadata["tokenizer.ggml.tokens"], b.file.metadata["tokenizer.ggml.tokens"]);
}

INSTANTIATE_TEST_SUITE_P(
    Types, QuantizeLikeLlamaCpp,
    ::testing::Values(Case{"Q8_0", DType::F32, false}, Case{"Q8_0", DType::F16, false}, Case{"F16", DType::F32, false},
                      Case{"BF16", DType::F32, false}, Case{"Q4_0", DType::F32, true}, Case{"Q4_1", DType::F32, true},
                      Case{"Q5_0", DType::F16, true}, Case{"Q5_1", DType::F32, true},
                      Case{"Q4_0", DType::F32, false, true}, Case{"Q4_K_M", DType::F32, false, true},
                      Case{"Q4_K_M", DType::F16, false, true}, Case{"Q5_K_M", DType::F32, false, true},
                      Case{"Q6_K", DType::F32, false, true}, Case{"Q4_K_S", DType::F32, false, true},
                      Case{"Q5_K_S", DType::F32, false, true}, Case{"Q3_K_S", DType::F32, false, true},
                      Case{"Q3_K_M", DType::F32, false, true}, Case{"Q3_K_L", DType::F32, false, true},
                      Case{"Q2_K", DType::F32, false, true}, Case{"IQ4_NL", DType::F32, false, true},
                      Case{"IQ4_XS", DType::F32, false, true}, Case{"Q4_K", DType::F32, true},
                      Case{"Q2_K", DType::F16, false}, Case{"IQ4_XS", DType::F32, false}),
    [](const auto& test_info) {
      const Case& c = test_info.param;
      return std::string(c.type) + "_from_" + std::string(dtype_name(c.from)) + (c.pure ? "_pure" : "") +
             (c.mix_shape ? "_9_layers" : "");
    });

// medllm imatrix's file as llama.cpp's own reader (libllama-common's common_imatrix_load) sees it:
// every matrix, its sums and counts, and the metadata.
TEST(ImatrixFile, LlamaCppReadsMedllmsImatrix) {
  const auto model = Model::load(test::stories260k_path().string(), {.threads = 2});
  std::vector<int32_t> tokens(40);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<int32_t>(3 + (i * 53) % 500);
  ImportanceMatrix ours = collect_importance(*model, tokens, {.chunk_size = 16, .bos = 1});
  ours.datasets = {"calibration.txt"};
  const fs::path path = test::fresh_temp_dir("imatrix_llama_cpp") / "imatrix.gguf";
  write_importance_gguf(ours, path.string());
  const reference::LlamaCppImatrix theirs = reference::load_imatrix_with_llama_cpp(path.string());
  EXPECT_EQ(theirs.chunk_count, 2);
  EXPECT_EQ(theirs.chunk_size, 16);
  EXPECT_EQ(theirs.datasets, std::vector<std::string>{"calibration.txt"});
  ASSERT_EQ(theirs.entries.size(), ours.entries.size());
  for (const auto& [name, entry] : ours.entries) {
    ASSERT_TRUE(theirs.entries.contains(name)) << name;
    const auto& read = theirs.entries.at(name);
    EXPECT_EQ(read.counts, std::vector<int64_t>{32}) << name;
    ASSERT_EQ(read.sums.size(), entry.sums.size()) << name;
    for (size_t j = 0; j < entry.sums.size(); ++j) ASSERT_EQ(read.sums[j], static_cast<float>(entry.sums[j])) << name;
  }
}

TEST(Quantize, ErrorsNameTheTypeTensorOrOption) {
  ThreadPool pool(1);
  const std::string in = source(DType::F32).string();
  const fs::path dir = source(DType::F32).parent_path();
  const auto error_of = [&](const QuantizeOptions& options, const std::string& input) {
    try {
      quantize_gguf(input, (dir / "error.gguf").string(), options, pool);
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of({.type = "Q9_9"}, in).find("unknown type 'Q9_9'"), std::string::npos);
  const fs::path q8 = dir / "requantize_source.gguf";
  quantize_gguf(in, q8.string(), {.type = "Q8_0"}, pool);
  EXPECT_NE(error_of({.type = "Q4_0", .pure = true}, q8.string()).find("--allow-requantize"), std::string::npos);
  EXPECT_EQ(error_of({.type = "Q4_0", .pure = true, .allow_requantize = true}, q8.string()), "no error");
  // A NaN weight: named, and nothing written.
  fs::remove(dir / "error.gguf");  // the allowed requantization above wrote it
  {
    const MappedFile mapped(in);
    const GgufFile file = parse_gguf(mapped.bytes());
    std::vector<std::byte> bytes(mapped.bytes().begin(), mapped.bytes().end());
    const GgufTensorInfo& victim = *std::find_if(file.tensors.begin(), file.tensors.end(), [](const GgufTensorInfo& t) {
      return t.name == "blk.1.ffn_up.weight";
    });
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::memcpy(bytes.data() + file.data_offset + victim.offset + 8, &nan, sizeof nan);
    const fs::path broken = dir / "nan.gguf";
    std::ofstream(broken, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    const std::string error = error_of({.type = "Q4_K_M"}, broken.string());
    EXPECT_NE(error.find("tensor '" + victim.name + "': holds NaN or infinite values"), std::string::npos) << error;
  }
  EXPECT_FALSE(fs::exists(dir / "error.gguf"));
  EXPECT_FALSE(fs::exists(dir / "error.gguf.tmp"));
}

}  // namespace
}  // namespace medllm
