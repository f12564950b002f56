// GrowableFloats (core/growable_floats.hpp): the key/value cache's storage keeps its contents
// across growth, reads zero in new elements, and reports what it cannot allocate.

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>

#include "core/error.hpp"
#include "core/growable_floats.hpp"

namespace medllm {
namespace {

TEST(GrowableFloats, KeepsItsContentsAndZeroesNewElements) {
  GrowableFloats a;
  EXPECT_EQ(a.size(), 0u);
  a.grow(10);
  for (int i = 0; i < 10; ++i) a.data()[i] = static_cast<float>(i) + 0.5f;
  // From one page to many, twice: mremap may move the mapping each time.
  for (size_t count : {size_t{100000}, size_t{3000000}}) {
    a.grow(count);
    ASSERT_EQ(a.size(), count);
    for (int i = 0; i < 10; ++i) ASSERT_EQ(a.data()[i], static_cast<float>(i) + 0.5f) << count;
    for (size_t i = 10; i < count; i += 997) ASSERT_EQ(a.data()[i], 0.0f) << i;
    a.data()[count - 1] = 7.0f;
  }
  EXPECT_EQ(a.data()[99999], 7.0f);
  a.grow(5);  // never shrinks
  EXPECT_EQ(a.size(), 3000000u);
}

TEST(GrowableFloats, MovesAndReportsWhatItCannotHold) {
  GrowableFloats a;
  a.grow(4);
  a.data()[3] = 2.0f;
  GrowableFloats b = std::move(a);
  EXPECT_EQ(b.size(), 4u);
  EXPECT_EQ(b.data()[3], 2.0f);
  EXPECT_EQ(a.size(), 0u);                    // NOLINT(bugprone-use-after-move): a moved-from buffer is empty
  EXPECT_THROW(b.grow(SIZE_MAX / 2), Error);  // more bytes than a size_t holds
  // 2^48 bytes, more than the 2^47 of a process's address space: the kernel refuses the mapping
  // (mremap for a grown buffer, mmap for an empty one), whatever the overcommit setting.
  const size_t too_many = size_t{1} << 46;
  EXPECT_THROW(b.grow(too_many), Error);
  EXPECT_EQ(b.size(), 4u);
  EXPECT_EQ(b.data()[3], 2.0f);  // a failed growth keeps what was there
  GrowableFloats empty;
  EXPECT_THROW(empty.grow(too_many), Error);
  EXPECT_EQ(empty.size(), 0u);
}

}  // namespace
}  // namespace medllm
