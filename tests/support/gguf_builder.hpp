#pragma once
// Builds GGUF v3 files byte by byte, so tests can write valid files and deliberately broken ones.

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace medllm::test {

class GgufBuilder {
 public:
  enum Type : uint32_t {
    U8 = 0,
    I8 = 1,
    U16 = 2,
    I16 = 3,
    U32 = 4,
    I32 = 5,
    F32 = 6,
    BOOL = 7,
    STRING = 8,
    ARRAY = 9,
    U64 = 10,
    I64 = 11,
    F64 = 12
  };

  GgufBuilder& u32(const std::string& key, uint32_t value) { return scalar(key, U32, value); }
  GgufBuilder& f32(const std::string& key, float value) { return scalar(key, F32, value); }
  GgufBuilder& boolean(const std::string& key, bool value) { return scalar(key, BOOL, static_cast<uint8_t>(value)); }
  GgufBuilder& raw_bool(const std::string& key, uint8_t byte) { return scalar(key, BOOL, byte); }
  GgufBuilder& string(const std::string& key, const std::string& value) {
    begin_kv(key, STRING);
    put_string(kv_, value);
    return *this;
  }
  GgufBuilder& strings(const std::string& key, const std::vector<std::string>& values) {
    begin_kv(key, ARRAY);
    put(kv_, static_cast<uint32_t>(STRING));
    put(kv_, static_cast<uint64_t>(values.size()));
    for (const auto& v : values) put_string(kv_, v);
    return *this;
  }
  template <typename T>
  GgufBuilder& array(const std::string& key, Type element_type, const std::vector<T>& values) {
    begin_kv(key, ARRAY);
    put(kv_, static_cast<uint32_t>(element_type));
    put(kv_, static_cast<uint64_t>(values.size()));
    for (const auto& v : values) put(kv_, v);
    return *this;
  }
  // ne in ggml order (ne[0] innermost); data appended at the next aligned offset.
  GgufBuilder& tensor(const std::string& name, const std::vector<uint64_t>& ne, uint32_t ggml_type,
                      const std::vector<uint8_t>& data) {
    while (data_.size() % alignment_ != 0) data_.push_back(0);
    put_string(infos_, name);
    put(infos_, static_cast<uint32_t>(ne.size()));
    for (uint64_t d : ne) put(infos_, d);
    put(infos_, ggml_type);
    put(infos_, static_cast<uint64_t>(data_.size()));
    data_.insert(data_.end(), data.begin(), data.end());
    ++tensor_count_;
    return *this;
  }

  std::string build(uint32_t version = 3) const {
    std::vector<uint8_t> out;
    put(out, static_cast<uint32_t>(0x46554747));
    put(out, version);
    put(out, tensor_count_);
    put(out, kv_count_);
    out.insert(out.end(), kv_.begin(), kv_.end());
    out.insert(out.end(), infos_.begin(), infos_.end());
    while (out.size() % alignment_ != 0) out.push_back(0);
    out.insert(out.end(), data_.begin(), data_.end());
    return std::string(out.begin(), out.end());
  }

 private:
  template <typename T>
  static void put(std::vector<uint8_t>& out, T value) {
    uint8_t bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    out.insert(out.end(), bytes, bytes + sizeof(T));
  }
  static void put_string(std::vector<uint8_t>& out, const std::string& s) {
    put(out, static_cast<uint64_t>(s.size()));
    out.insert(out.end(), s.begin(), s.end());
  }
  void begin_kv(const std::string& key, Type type) {
    put_string(kv_, key);
    put(kv_, static_cast<uint32_t>(type));
    ++kv_count_;
  }
  template <typename T>
  GgufBuilder& scalar(const std::string& key, Type type, T value) {
    begin_kv(key, type);
    put(kv_, value);
    return *this;
  }

  std::vector<uint8_t> kv_, infos_, data_;
  uint64_t kv_count_ = 0, tensor_count_ = 0;
  size_t alignment_ = 32;
};

}  // namespace medllm::test
