#include "data/dataset.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <medllm/tokenizer.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/sha256.hpp"

namespace medllm {

namespace {

constexpr char kMagic[8] = {'M', 'L', 'L', 'M', 'D', 'S', '0', '1'};

size_t padded8(size_t n) {
  return (n + 7) / 8 * 8;
}

}  // namespace

std::string tokenizer_fingerprint(const Tokenizer& tokenizer) {
  Sha256 hash;
  hash.update(fmt::format("vocab {} bos {} eos {}\n", tokenizer.vocab_size(), tokenizer.bos_id().value_or(-1),
                          tokenizer.eos_id().value_or(-1)));
  for (int64_t id = 0; id < tokenizer.vocab_size(); ++id) {
    const auto i = static_cast<int32_t>(id);
    hash.update(tokenizer.token_text(i));
    hash.update(tokenizer.is_control(i) ? std::string_view("\x01\n", 2) : std::string_view("\x00\n", 2));
  }
  return hash.hex_digest();
}

void DatasetWriter::add(std::span<const int32_t> tokens, std::span<const uint8_t> scored) {
  if (tokens.size() != scored.size()) fail("dataset: {} tokens but {} target flags", tokens.size(), scored.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] < 0) fail("dataset: negative token id {}", tokens[i]);
    tokens_.push_back(static_cast<uint32_t>(tokens[i]));
    scored_.push_back(scored[i] != 0);
    scored_count_ += scored[i] != 0;
  }
  offsets_.push_back(tokens_.size());
}

void DatasetWriter::write(const std::string& path, nlohmann::json header) const {
  header["format"] = "medllm-dataset";
  header["version"] = 1;
  header["documents"] = documents();
  header["tokens"] = tokens();
  header["scored_tokens"] = scored_count_;
  std::string header_text = header.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  header_text.resize(padded8(16 + header_text.size()) - 16, ' ');
  AtomicFile out(path);
  out.write(std::string_view(kMagic, 8));
  const uint64_t length = header_text.size();
  out.write(std::as_bytes(std::span(&length, 1)));
  out.write(header_text);
  out.write(std::as_bytes(std::span(tokens_)));
  out.write(std::as_bytes(std::span(scored_)));
  const std::string padding(padded8(scored_.size()) - scored_.size(), '\0');
  out.write(padding);
  out.write(std::as_bytes(std::span(offsets_)));
  out.commit();
}

ShardLayout parse_shard(std::span<const std::byte> bytes, const std::string& path) {
  ShardLayout out;
  nlohmann::json& header = out.header;
  if (bytes.size() < 16 || std::memcmp(bytes.data(), kMagic, 8) != 0)
    fail("{}: not a medllm dataset shard (bad magic; make one with `medllm data prepare`)", path);
  uint64_t header_length;
  std::memcpy(&header_length, bytes.data() + 8, 8);
  if (header_length > bytes.size() - 16 || (16 + header_length) % 8 != 0)
    fail("{}: header length {} does not fit the file of {} bytes", path, header_length, bytes.size());
  try {
    header = nlohmann::json::parse(std::string_view(reinterpret_cast<const char*>(bytes.data()) + 16, header_length));
  } catch (const nlohmann::json::exception& e) {
    fail("{}: invalid header JSON: {}", path, e.what());
  }
  if (!header.is_object() || !header.contains("format") || header["format"] != "medllm-dataset" ||
      !header.contains("version") || header["version"] != 1)
    fail("{}: header is not a version 1 medllm-dataset header", path);
  if (header.contains("tokenizer")) {
    const nlohmann::json& tokenizer = header["tokenizer"];
    if (!tokenizer.is_object() || !tokenizer.contains("sha256") || !tokenizer["sha256"].is_string() ||
        !tokenizer.contains("vocab_size") || !tokenizer["vocab_size"].is_number_unsigned())
      fail("{}: header field 'tokenizer' must be {{\"sha256\": string, \"vocab_size\": integer}}", path);
  }
  const auto count = [&](const char* key) {
    if (!header.contains(key) || !header[key].is_number_unsigned())
      fail("{}: header field '{}' must be a non-negative integer", path, key);
    return header[key].get<uint64_t>();
  };
  const uint64_t documents = count("documents");
  const uint64_t tokens = count("tokens");
  const uint64_t data_start = 16 + header_length;
  const uint64_t available = bytes.size() - data_start;
  if (tokens > available / 5 || documents + 1 > available / 8)
    fail("{}: {} tokens and {} documents do not fit the file of {} bytes", path, tokens, documents, bytes.size());
  const uint64_t expected = 4 * tokens + padded8(tokens) + 8 * (documents + 1);
  if (available != expected)
    fail("{}: data section is {} bytes, expected {} for {} tokens and {} documents (truncated or corrupt)", path,
         available, expected, tokens, documents);
  out.documents = static_cast<int64_t>(documents);
  out.tokens = static_cast<int64_t>(tokens);
  out.token_data = reinterpret_cast<const uint32_t*>(bytes.data() + data_start);
  out.scored_data = reinterpret_cast<const uint8_t*>(bytes.data() + data_start + 4 * tokens);
  std::vector<uint64_t>& offsets = out.offsets;
  offsets.resize(documents + 1);
  std::memcpy(offsets.data(), bytes.data() + data_start + 4 * tokens + padded8(tokens), 8 * (documents + 1));
  if (offsets.front() != 0 || offsets.back() != tokens)
    fail("{}: document offsets must run from 0 to {} tokens", path, tokens);
  for (size_t i = 1; i < offsets.size(); ++i) {
    if (offsets[i] < offsets[i - 1]) fail("{}: document offsets decrease at document {}", path, i - 1);
  }
  const int64_t vocab = header.contains("tokenizer") ? header["tokenizer"]["vocab_size"].get<int64_t>() : 0;
  if (vocab > 0) {
    const uint32_t* bad = std::find_if(out.token_data, out.token_data + out.tokens,
                                       [vocab](uint32_t id) { return static_cast<int64_t>(id) >= vocab; });
    if (bad != out.token_data + out.tokens)
      fail("{}: token id {} at index {} is outside the vocabulary of {}", path, *bad, bad - out.token_data, vocab);
  }
  return out;
}

DatasetShard::DatasetShard(const std::string& path) : file_(path), layout_(parse_shard(file_.bytes(), path)) {}

std::span<const uint32_t> DatasetShard::document_tokens(int64_t document) const {
  const auto& o = layout_.offsets;
  return {layout_.token_data + o[document], o[document + 1] - o[document]};
}

std::span<const uint8_t> DatasetShard::document_scored(int64_t document) const {
  const auto& o = layout_.offsets;
  return {layout_.scored_data + o[document], o[document + 1] - o[document]};
}

std::vector<std::unique_ptr<DatasetShard>> open_split(const std::string& directory, const std::string& split) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(directory)) fail("{}: dataset directory not found", directory);
  std::vector<std::string> paths;
  for (const auto& entry : fs::directory_iterator(directory)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(split + "-") && name.ends_with(".mlds")) paths.push_back(entry.path().string());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<std::unique_ptr<DatasetShard>> shards;
  for (const auto& path : paths) shards.push_back(std::make_unique<DatasetShard>(path));
  return shards;
}

void require_tokenizer(const std::vector<std::unique_ptr<DatasetShard>>& shards, const Tokenizer& tokenizer,
                       const std::string& model) {
  const std::string fingerprint = tokenizer_fingerprint(tokenizer);
  for (const auto& shard : shards) {
    const std::string theirs =
        shard->header().contains("tokenizer") ? shard->header()["tokenizer"].value("sha256", "") : "";
    if (theirs != fingerprint)
      fail(
          "{}: prepared with another tokenizer than {}'s (vocabulary fingerprint {} vs {}); run `medllm data "
          "prepare` with this model",
          shard->path(), model, theirs.substr(0, 12), fingerprint.substr(0, 12));
  }
}

}  // namespace medllm
