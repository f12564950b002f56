#include "core/growable_floats.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>

#include "core/error.hpp"

namespace medllm {

GrowableFloats::~GrowableFloats() {
  release();
}

GrowableFloats::GrowableFloats(GrowableFloats&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)),
      bytes_(std::exchange(other.bytes_, 0)),
      count_(std::exchange(other.count_, 0)) {}

GrowableFloats& GrowableFloats::operator=(GrowableFloats&& other) noexcept {
  if (this != &other) {
    release();
    base_ = std::exchange(other.base_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
    count_ = std::exchange(other.count_, 0);
  }
  return *this;
}

void GrowableFloats::grow(size_t count) {
  if (count <= count_) return;
  const auto page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  if (count > (SIZE_MAX - page) / sizeof(float)) fail("cannot hold {} floats: too many", count);
  const size_t bytes = (count * sizeof(float) + page - 1) / page * page;
  if (bytes > bytes_) {
    void* grown = base_ == nullptr ? ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                                   : ::mremap(base_, bytes_, bytes, MREMAP_MAYMOVE);
    if (grown == MAP_FAILED) fail("cannot allocate {} bytes: {}", bytes, std::strerror(errno));
    base_ = grown;
    bytes_ = bytes;
  }
  count_ = count;
}

void GrowableFloats::release() {
  if (base_ != nullptr) ::munmap(base_, bytes_);
  base_ = nullptr;
  bytes_ = 0;
  count_ = 0;
}

}  // namespace medllm
