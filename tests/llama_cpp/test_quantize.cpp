// medllm quantize against llama.cpp's llama_model_quantize (the npm package's libllama): from the
// same f32 and f16 files, with and without an importance matrix, every tensor must come out in
// the same type with the same bytes, and the whole file byte for byte as llama.cpp writes it.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>

#include <medllm/model.hpp>

#include "core/mapped_file.hpp"
#include "formats/gguf.hpp"
#include "formats/gguf_imatrix.hpp"
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

// Whole files alike, byte for byte: metadata (values and order), tensor table, alignment, data.
bool same_bytes(const fs::path& a, const fs::path& b) {
  const MappedFile x(a.string()), y(b.string());
  return x.size() == y.size() && std::equal(x.bytes().begin(), x.bytes().end(), y.bytes().begin());
}

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
  EXPECT_TRUE(same_bytes(ours, theirs)) << "the files differ outside the tensors' bytes";
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

// The matrix random_imatrix leaves out (quantized without importance, then).
constexpr const char* kLeftOut = "blk.0.attn_k.weight";

// A random importance matrix for the matrices of a source file, as medllm imatrix would write it
// (sums of squares and token counts), but for kLeftOut.
fs::path random_imatrix(const fs::path& model) {
  const fs::path path = model.parent_path() / "imatrix.gguf";
  if (fs::exists(path)) return path;
  const MappedFile mapped(model.string());
  const GgufFile file = parse_gguf(mapped.bytes());
  std::mt19937_64 rng(5);
  std::lognormal_distribution<double> spread(0.0, 1.5);
  ImportanceMatrix matrix{.chunks = 3, .chunk_size = 64, .datasets = {"calibration.txt"}};
  for (const GgufTensorInfo& t : file.tensors) {
    if (t.ne.size() != 2 || !t.name.starts_with("blk.") || t.name == kLeftOut) continue;
    ImportanceMatrix::Entry& entry = matrix.entries[t.name];
    entry.count = 192;
    for (uint64_t c = 0; c < t.ne[0]; ++c) entry.sums.push_back(192 * spread(rng));
  }
  write_importance_gguf(matrix, path.string());
  return path;
}

// What llama-quantize hands llama_model_quantize for an imatrix file, from llama.cpp's own reader:
// each matrix's sums divided by its token count.
std::map<std::string, std::vector<float>> llama_quantize_importance(const fs::path& imatrix) {
  std::map<std::string, std::vector<float>> out;
  for (const auto& [name, entry] : reference::load_imatrix_with_llama_cpp(imatrix.string()).entries) {
    std::vector<float>& values = out[name];
    for (const float sum : entry.sums) values.push_back(sum / static_cast<float>(entry.counts.at(0)));
  }
  return out;
}

class QuantizeWithImatrixLikeLlamaCpp : public ::testing::TestWithParam<Case> {};

TEST_P(QuantizeWithImatrixLikeLlamaCpp, EveryTensorHasTheSameTypeAndBytes) {
  const Case c = GetParam();
  const fs::path& in = source(c.from, c.mix_shape);
  const fs::path imatrix = random_imatrix(in);
  const std::string stem = std::string(c.type) + (c.pure ? "_pure" : "") + "_imatrix";
  const fs::path ours = in.parent_path() / (stem + ".medllm.gguf"),
                 theirs = in.parent_path() / (stem + ".llama_cpp.gguf"),
                 plain = in.parent_path() / (stem + ".plain.gguf");
  ThreadPool pool(2);
  const QuantizeResult result =
      quantize_gguf(in.string(), ours.string(), {.type = c.type, .pure = c.pure, .imatrix = imatrix.string()}, pool);
  quantize_gguf(in.string(), plain.string(), {.type = c.type, .pure = c.pure}, pool);
  const auto importance = llama_quantize_importance(imatrix);
  // What llama-quantize records of the importance matrix, through llama_model_quantize's overrides.
  const std::vector<reference::MetadataOverride> record = {
      {"quantize.imatrix.file", imatrix.string()},
      {"quantize.imatrix.dataset", std::string("calibration.txt")},
      {"quantize.imatrix.entries_count", static_cast<int64_t>(importance.size())},
      {"quantize.imatrix.chunks_count", int64_t{3}}};
  reference::LlamaCpp::open().quantize(in.string(), theirs.string(),
                                       static_cast<int>(find_quantize_preset(c.type)->ftype), 2, c.pure, &importance,
                                       record);
  const Tensors a(ours), b(theirs), without(plain);
  ASSERT_EQ(a.file.tensors.size(), b.file.tensors.size());
  size_t weighted = 0, differ_from_plain = 0;
  for (size_t i = 0; i < a.file.tensors.size(); ++i) {
    const GgufTensorInfo &x = a.file.tensors[i], &y = b.file.tensors[i], &z = without.file.tensors[i];
    ASSERT_EQ(x.name, y.name);
    EXPECT_EQ(x.ggml_type, y.ggml_type) << x.name;
    ASSERT_EQ(x.nbytes, y.nbytes) << x.name;
    EXPECT_TRUE(std::equal(a.bytes(x).begin(), a.bytes(x).end(), b.bytes(y).begin())) << x.name << " bytes differ";
    weighted += result.tensors[i].weighted;
    differ_from_plain +=
        x.ggml_type != z.ggml_type || !std::equal(a.bytes(x).begin(), a.bytes(x).end(), without.bytes(z).begin());
    if (x.name == kLeftOut) {
      EXPECT_FALSE(result.tensors[i].weighted) << "it has no importance data";
    }
  }
  EXPECT_GE(weighted, 8u) << "the layers' matrices are quantized under the importance matrix";
  EXPECT_GE(differ_from_plain, weighted) << "and come out otherwise than without it";
  // llama-quantize's record of the importance matrix.
  EXPECT_EQ(a.file.metadata["quantize.imatrix.file"], imatrix.string().substr(0, 127))
      << "cut as llama-quantize cuts it";
  EXPECT_EQ(a.file.metadata["quantize.imatrix.dataset"], "calibration.txt");
  EXPECT_EQ(a.file.metadata["quantize.imatrix.entries_count"], importance.size());
  EXPECT_EQ(a.file.metadata["quantize.imatrix.chunks_count"], 3);
  EXPECT_TRUE(same_bytes(ours, theirs)) << "the files differ outside the tensors' bytes";
}

INSTANTIATE_TEST_SUITE_P(
    Types, QuantizeWithImatrixLikeLlamaCpp,
    ::testing::Values(Case{"Q4_K_M", DType::F32, false, true}, Case{"Q5_K_M", DType::F16, false, true},
                      Case{"Q6_K", DType::F32, false, true}, Case{"Q3_K_M", DType::F32, false, true},
                      Case{"Q2_K", DType::F32, false, true}, Case{"IQ4_XS", DType::F32, false, true},
                      Case{"IQ4_NL", DType::F32, false, true}, Case{"Q4_0", DType::F32, false, true},
                      Case{"Q5_0", DType::F32, false, true}, Case{"Q4_1", DType::F32, true},
                      Case{"Q5_1", DType::F16, true}),
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

// medllm's reader (formats/gguf_imatrix) and llama.cpp's agree on a file.
void expect_read_as_llama_cpp_reads(const fs::path& path) {
  const ImatrixFile ours = read_imatrix(path.string());
  const reference::LlamaCppImatrix theirs = reference::load_imatrix_with_llama_cpp(path.string());
  EXPECT_EQ(ours.datasets, theirs.datasets);
  EXPECT_EQ(ours.chunk_count, theirs.chunk_count);
  EXPECT_EQ(ours.chunk_size, theirs.chunk_size);
  ASSERT_EQ(ours.entries.size(), theirs.entries.size());
  for (const auto& [name, entry] : theirs.entries) {
    ASSERT_TRUE(ours.entries.contains(name)) << name;
    EXPECT_EQ(ours.entries.at(name).sums, entry.sums) << name;
    EXPECT_EQ(ours.entries.at(name).counts, entry.counts) << name;
  }
}

// The binary layout older llama-imatrix builds wrote (imatrix.dat): per entry its name, call
// count and values (already divided by the token count, times the calls), then the chunk count
// and dataset name.
void write_legacy_imatrix(const fs::path& path, bool with_trailer) {
  std::ofstream out(path, std::ios::binary);
  const auto i32 = [&](int32_t v) { out.write(reinterpret_cast<const char*>(&v), sizeof v); };
  i32(2);
  for (const auto& [name, calls] : {std::pair{"blk.0.attn_q.weight", 10}, std::pair{"blk.0.ffn_down.weight", 0}}) {
    i32(static_cast<int32_t>(std::strlen(name)));
    out.write(name, static_cast<std::streamsize>(std::strlen(name)));
    i32(calls);
    i32(64);
    for (int j = 0; j < 64; ++j) {
      const float v = 0.5f + static_cast<float>(j) * 0.25f;
      out.write(reinterpret_cast<const char*>(&v), sizeof v);
    }
  }
  if (!with_trailer) return;
  i32(7);
  i32(8);
  out.write("med.text", 8);
}

TEST(ImatrixFile, ReadsGgufAndLegacyFilesAsLlamaCppDoes) {
  const fs::path dir = test::fresh_temp_dir("imatrix_read");
  write_legacy_imatrix(dir / "with_trailer.dat", true);
  write_legacy_imatrix(dir / "bare.dat", false);
  expect_read_as_llama_cpp_reads(dir / "with_trailer.dat");
  expect_read_as_llama_cpp_reads(dir / "bare.dat");
  expect_read_as_llama_cpp_reads(random_imatrix(source(DType::F32)));
  // llama-quantize's normalisation: legacy values divided by the calls (none: as they are).
  const Importance legacy = load_importance((dir / "with_trailer.dat").string());
  EXPECT_FLOAT_EQ(legacy.columns.at("blk.0.attn_q.weight")[4], 1.5f / 10);
  EXPECT_FLOAT_EQ(legacy.columns.at("blk.0.ffn_down.weight")[4], 1.5f);
  EXPECT_EQ(legacy.datasets, std::vector<std::string>{"med.text"});
  EXPECT_EQ(load_importance((dir / "with_trailer.dat").string(), {}, {"ffn_down"}).columns.size(), 1u);
  EXPECT_EQ(load_importance((dir / "with_trailer.dat").string(), {"ffn_down"}).columns.count("blk.0.ffn_down.weight"),
            1u);
}

TEST(ImatrixFile, BrokenFilesNameWhatIsWrong) {
  const fs::path dir = test::fresh_temp_dir("imatrix_broken");
  write_legacy_imatrix(dir / "whole.dat", true);
  const auto error_of = [](const fs::path& path) {
    try {
      read_imatrix(path.string());
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const auto truncated = [&](size_t size) {
    std::ifstream in(dir / "whole.dat", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    bytes.resize(size);
    std::ofstream(dir / "cut.dat", std::ios::binary) << bytes;
    return error_of(dir / "cut.dat");
  };
  EXPECT_NE(truncated(100).find("entry 1 of 2: the file ends inside its values"), std::string::npos) << truncated(100);
  EXPECT_NE(truncated(2).find("the file ends inside the entry count"), std::string::npos);
  EXPECT_NE(truncated(0).find("the file ends inside the entry count"), std::string::npos);
  // A GGUF file without the imatrix keys (a model) is not an importance matrix.
  const std::string model = error_of(source(DType::F32));
  EXPECT_NE(model.find("key 'imatrix.datasets' is missing: not an imatrix file"), std::string::npos) << model;
  // A matrix whose importance does not fit the tensor is an error naming both.
  const fs::path in = source(DType::F32);
  ImportanceMatrix wrong{.chunks = 1, .chunk_size = 8, .datasets = {"x"}};
  wrong.entries["blk.1.ffn_up.weight"] = {.sums = std::vector<double>(100, 1.0), .count = 8};
  write_importance_gguf(wrong, (dir / "wrong.gguf").string());
  ThreadPool pool(1);
  try {
    quantize_gguf(in.string(), (dir / "out.gguf").string(),
                  {.type = "Q4_K_M", .imatrix = (dir / "wrong.gguf").string()}, pool);
    ADD_FAILURE() << "a mismatched importance matrix was accepted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("tensor 'blk.1.ffn_up.weight': the importance matrix"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("has 100 values for it, not its 256 columns"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir / "out.gguf"));
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
