#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "formats/safetensors.hpp"
#include "support/test_support.hpp"

namespace medllm {
namespace {

using nlohmann::json;

// A safetensors file from a header object and raw data (the header is written as given).
std::string make_file(const json& header, const std::string& data) {
  const std::string text = header.dump();
  std::string out(8, '\0');
  const uint64_t size = text.size();
  std::memcpy(out.data(), &size, 8);
  return out + text + data;
}

SafetensorsHeader parse(const std::string& bytes) {
  return parse_safetensors(std::as_bytes(std::span(bytes.data(), bytes.size())));
}

std::string parse_error(const std::string& bytes) {
  try {
    parse(bytes);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

json two_tensors() {
  return {{"a", {{"dtype", "F32"}, {"shape", {2, 2}}, {"data_offsets", {0, 16}}}},
          {"b", {{"dtype", "BF16"}, {"shape", {3}}, {"data_offsets", {16, 22}}}},
          {"__metadata__", {{"format", "pt"}}}};
}

TEST(Safetensors, ParsesAValidFile) {
  const auto header = parse(make_file(two_tensors(), std::string(22, 'x')));
  ASSERT_EQ(header.tensors.size(), 2u);
  EXPECT_EQ(header.tensors[0].name, "a");
  EXPECT_EQ(header.tensors[0].shape, (Shape{2, 2}));
  EXPECT_EQ(header.tensors[1].dtype, "BF16");
  EXPECT_EQ(header.metadata.at("format"), "pt");
}

TEST(Safetensors, WriterRoundTripsThroughTheLoader) {
  const auto dir = test::fresh_temp_dir("roundtrip");
  const test::OwnedTensor a = test::random_tensor("weight.a", {3, 5}, DType::F32, 1);
  const test::OwnedTensor b = test::random_tensor("weight.b", {7}, DType::BF16, 2);
  write_safetensors((dir / "x.safetensors").string(), {{a.name, a.view()}, {b.name, b.view()}});
  TensorStore store;
  load_safetensors((dir / "x.safetensors").string(), store);
  const TensorView va = store.view("weight.a", Shape{3, 5});
  const TensorView vb = store.view("weight.b");
  EXPECT_EQ(vb.dtype, DType::BF16);
  EXPECT_EQ(std::memcmp(va.data, a.bytes.data(), a.bytes.size()), 0);
  EXPECT_EQ(std::memcmp(vb.data, b.bytes.data(), b.bytes.size()), 0);
}

TEST(Safetensors, RejectsMalformedFiles) {
  const std::string data(22, 'x');
  EXPECT_NE(parse_error("abc").find("too short"), std::string::npos);
  // Header length larger than the file: a truncated file.
  std::string truncated = make_file(two_tensors(), data).substr(0, 40);
  EXPECT_NE(parse_error(truncated).find("truncated"), std::string::npos);
  // Data cut short: tensors point past the end.
  EXPECT_NE(parse_error(make_file(two_tensors(), data.substr(0, 20))).find("outside"), std::string::npos);
  // Extra bytes nobody owns.
  EXPECT_NE(parse_error(make_file(two_tensors(), data + "yy")).find("cover"), std::string::npos);

  std::string bad_json = make_file(two_tensors(), data);
  bad_json[8] = '#';
  EXPECT_NE(parse_error(bad_json).find("not valid JSON"), std::string::npos);
  EXPECT_NE(parse_error(make_file(json::array(), "")).find("JSON object"), std::string::npos);

  auto with = [&](auto mutate) {
    json header = two_tensors();
    mutate(header);
    return parse_error(make_file(header, data));
  };
  EXPECT_NE(with([](json& h) { h["a"]["dtype"] = "F33"; }).find("unknown dtype 'F33'"), std::string::npos);
  EXPECT_NE(with([](json& h) { h["a"]["shape"] = {2, -2}; }).find("non-negative"), std::string::npos);
  EXPECT_NE(with([](json& h) { h["a"]["shape"] = {2, 3}; }).find("needs 24 bytes"), std::string::npos);
  EXPECT_NE(with([](json& h) { h["a"]["data_offsets"] = {0, 1000}; }).find("outside"), std::string::npos);
  EXPECT_NE(with([](json& h) { h["a"]["data_offsets"] = {16, 0}; }).find("outside"), std::string::npos);
  EXPECT_NE(with([](json& h) { h["b"]["data_offsets"] = {14, 20}; }).find("overlaps"), std::string::npos);
  EXPECT_NE(with([](json& h) { h["a"].erase("shape"); }).find("lacks 'shape'"), std::string::npos);
  EXPECT_NE(with([](json& h) { h["__metadata__"]["n"] = 3; }).find("must be a string"), std::string::npos);
  json holed = two_tensors();
  holed["b"]["data_offsets"] = {17, 23};
  EXPECT_NE(parse_error(make_file(holed, data + "z")).find("hole of 1 bytes before tensor 'b'"), std::string::npos);
  EXPECT_NE(with([](json& h) { h["a"]["shape"] = {uint64_t{1} << 62, 16}; }).find("too large"), std::string::npos);
}

TEST(Safetensors, LoaderErrorsNameTheFile) {
  const auto dir = test::fresh_temp_dir("named");
  const auto path = dir / "broken.safetensors";
  test::write_file(path, make_file(two_tensors(), std::string(5, 'x')));
  TensorStore store;
  try {
    load_safetensors(path.string(), store);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
  }
}

TEST(Safetensors, MisalignedTensorsAreCopiedToAlignedMemory) {
  const auto dir = test::fresh_temp_dir("aligned");
  json header = {{"pad", {{"dtype", "U8"}, {"shape", {2}}, {"data_offsets", {0, 2}}}},
                 {"w", {{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {2, 10}}}}};
  const float values[2] = {1.5f, -2.25f};
  std::string data(2, '\0');
  data.append(reinterpret_cast<const char*>(values), 8);
  std::string file = make_file(header, data);
  test::write_file(dir / "m.safetensors", file);
  TensorStore store;
  load_safetensors((dir / "m.safetensors").string(), store);
  const TensorView w = store.view("w");
  EXPECT_EQ(reinterpret_cast<uintptr_t>(w.data) % 4, 0u);
  EXPECT_EQ(reinterpret_cast<const float*>(w.data)[1], -2.25f);
  EXPECT_THROW(store.view("pad"), Error);  // U8 cannot be used as weights, with a clear message
}

TEST(Safetensors, ShardedIndexIsChecked) {
  const auto dir = test::fresh_temp_dir("sharded");
  const test::OwnedTensor a = test::random_tensor("a", {4}, DType::F32, 1);
  const test::OwnedTensor b = test::random_tensor("b", {4}, DType::F32, 2);
  write_safetensors((dir / "model-00001-of-00002.safetensors").string(), {{"a", a.view()}});
  write_safetensors((dir / "model-00002-of-00002.safetensors").string(), {{"b", b.view()}});
  json index = {{"metadata", {{"total_size", 32}}},
                {"weight_map", {{"a", "model-00001-of-00002.safetensors"}, {"b", "model-00002-of-00002.safetensors"}}}};
  test::write_file(dir / "model.safetensors.index.json", index.dump());
  {
    TensorStore store;
    load_safetensors_dir(dir.string(), store);
    EXPECT_TRUE(store.contains("a"));
    EXPECT_TRUE(store.contains("b"));
    EXPECT_EQ(store.files().size(), 2u);
  }
  index["weight_map"]["b"] = "model-00001-of-00002.safetensors";
  test::write_file(dir / "model.safetensors.index.json", index.dump());
  {
    TensorStore store;
    try {
      load_safetensors_dir(dir.string(), store);
      FAIL();
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("tensor 'b' is mapped to model-00001-of-00002.safetensors"),
                std::string::npos)
          << e.what();
    }
  }
  index["weight_map"]["b"] = "../escape.safetensors";
  test::write_file(dir / "model.safetensors.index.json", index.dump());
  TensorStore store;
  EXPECT_THROW(load_safetensors_dir(dir.string(), store), Error);
  test::write_file(dir / "model.safetensors.index.json", "{ not json");
  EXPECT_THROW(load_safetensors_dir(dir.string(), store), Error);
}

}  // namespace
}  // namespace medllm
