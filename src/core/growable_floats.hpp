#pragma once
// A float array that grows without copying: anonymous memory, grown with mremap (the kernel moves
// page tables, not data). New elements read as zero, and pages take physical memory only when
// first written. For the key/value cache, which grows a little with every generated token: a
// std::vector doubling its storage copied and zeroed the whole cache each time, and the fresh
// pages' faults came on top (about 11 % of a long decode).

#include <cstddef>

namespace medllm {

class GrowableFloats {
 public:
  GrowableFloats() = default;
  ~GrowableFloats();
  GrowableFloats(GrowableFloats&& other) noexcept;
  GrowableFloats& operator=(GrowableFloats&& other) noexcept;
  GrowableFloats(const GrowableFloats&) = delete;
  GrowableFloats& operator=(const GrowableFloats&) = delete;

  // At least `count` elements, the first size() unchanged. Throws Error when memory runs out.
  void grow(size_t count);
  float* data() { return static_cast<float*>(base_); }
  const float* data() const { return static_cast<const float*>(base_); }
  size_t size() const { return count_; }

 private:
  void release();
  void* base_ = nullptr;
  size_t bytes_ = 0;  // mapped, whole pages
  size_t count_ = 0;
};

}  // namespace medllm
