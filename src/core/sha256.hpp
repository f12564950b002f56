#pragma once
// SHA-256 (FIPS 180-4), for model identity in results and for tokenizer/data fingerprints.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace medllm {

class Sha256 {
 public:
  Sha256();
  void update(std::span<const std::byte> bytes);
  void update(std::string_view text) { update(std::as_bytes(std::span(text.data(), text.size()))); }
  std::string hex_digest();  // finishes the hash

 private:
  void block(const uint8_t* chunk);
  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t length_ = 0;
};

std::string sha256_hex(std::string_view text);
// The SHA-256 of a file's content, read in 1 MiB chunks; errors name the path.
std::string sha256_file(const std::string& path);

}  // namespace medllm
