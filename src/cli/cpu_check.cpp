// Runs before anything else in the program, and is itself compiled for plain x86-64: the rest of
// a portable build uses x86-64-v3 instructions (AVX2, FMA, F16C, BMI2) from its first static
// initializer on, so on an older CPU it would die of an illegal instruction without a word.

#include <cstdio>
#include <cstdlib>

namespace {

// Priority 101: before the constructors without one, which may already use AVX2.
__attribute__((constructor(101))) void require_x86_64_v3() {
#if defined(MEDLLM_PORTABLE_X86_64_V3) && defined(__x86_64__)
  __builtin_cpu_init();
  // x86-64-v3's defining features (every CPU with them has its F16C, LZCNT and MOVBE too); named
  // one by one because older compilers do not know the level's name.
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2")) return;
  std::fputs(
      "medllm: error: this CPU lacks the x86-64-v3 instructions (AVX2, FMA, F16C, BMI2) this build of medllm "
      "needs; build it on this machine with -DMEDLLM_NATIVE=ON\n",
      stderr);
  std::_Exit(1);
#endif
}

}  // namespace
