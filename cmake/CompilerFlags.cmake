# Warnings and optimisation flags shared by every medllm target (applied through medllm_options).
add_library(medllm_options INTERFACE)
target_compile_options(medllm_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wno-unused-parameter)
# Fused multiply-add wherever the source writes a * b + c, stated rather than left to the
# compiler's default: the batch-invariant kernels rely on every instantiation contracting alike.
target_compile_options(medllm_options INTERFACE -ffp-contract=fast)
# No code reads errno after a math call; without this flag GCC keeps sqrt scalar (to set errno on
# negative input), which leaves loops such as AdamW's update unvectorised.
target_compile_options(medllm_options INTERFACE -fno-math-errno)
# A portable binary by default: x86-64-v3 (AVX2, FMA, F16C) everywhere, and the SIMD kernels'
# AVX-512 set chosen at run time where the CPU has it (src/kernels/isa.hpp).
if(MEDLLM_NATIVE)
  target_compile_options(medllm_options INTERFACE -march=native)
else()
  target_compile_options(medllm_options INTERFACE -march=x86-64-v3)
endif()
if(CMAKE_BUILD_TYPE STREQUAL "Release")
  target_compile_options(medllm_options INTERFACE -O3)
endif()
if(MEDLLM_SANITIZE)
  target_compile_options(medllm_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                                  -fno-sanitize-recover=undefined)
  target_link_options(medllm_options INTERFACE -fsanitize=address,undefined)
  # -O1 (what the ASan documentation recommends) and line tables only (-g1: the reports' stack
  # traces keep file:line): instrumented files compiled at -O2 with full debug info took twice as
  # long, which made the sanitizer build the longest step of CI. Later flags win over the build
  # type's -O2 -g.
  target_compile_options(medllm_options INTERFACE -O1 -g1)
endif()
if(MEDLLM_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "MEDLLM_FUZZ needs clang (CC=clang CXX=clang++)")
  endif()
  # Coverage for libFuzzer only where the fuzzers look (src/CMakeLists.txt, fuzz/CMakeLists.txt):
  # the same build runs the sanitizer test suite, whose time goes to the kernels and the training
  # loop, which no fuzzer reaches and which comparison tracing would slow down.
  set(MEDLLM_FUZZ_COVERAGE -fsanitize=fuzzer-no-link)
  set(MEDLLM_FUZZED_LAYERS core formats tokenizer templating model data eval serve)
endif()
