#pragma once
// How a kernel file carries its SIMD code twice (or three times). The code lives in a .inl file
// under kernels/simd/ with no includes and no namespace of its own, written with `#if
// MEDLLM_AVX512` (and `#if MEDLLM_VNNI`) for its wider branches; kernels/simd/kernel_sets.inl
// compiles it for the build's baseline (x86-64-v3, namespace isa_avx2), inside a target region for
// AVX-512 (isa_avx512) and, where the file asks for it, for AVX-512 with VNNI (isa_avx512vnni).
// MEDLLM_SIMD_CALL / MEDLLM_SIMD_CALL_VNNI call the copy kernel_isa() names.
//
// A target region rather than a second translation unit built with -mavx512f: templates and
// inline functions of the standard headers, included before the region, are instantiated for
// the baseline only, so no AVX-512 instruction can reach code that runs on an AVX2 machine through
// a shared instantiation (tests/support/check_isa_isolation.py checks the built libraries).

#include "kernels/isa.hpp"

// GCC and clang (the sanitizer and fuzz build) both compile the AVX-512 set, each with its own
// target pragma.
#if defined(__x86_64__) && defined(__GNUC__)
#define MEDLLM_AVX512_COMPILED 1
#else
#define MEDLLM_AVX512_COMPILED 0
#endif

// The target region of the AVX-512 set (a pragma does not expand macros, _Pragma does).
// -Wpsabi: functions returning __m512 are called only from inside the region, where the calling
// convention is the same on both sides. -W(maybe-)uninitialized: GCC 12 reports the
// _mm512_undefined_* placeholders inside its own intrinsics headers (avx512fintrin.h).
// MEDLLM_BEGIN_AVX512_VNNI: the same with VNNI's byte dot products, for the kernel files that
// have a third set (kernels/simd/kernel_sets.inl, MEDLLM_SIMD_VNNI_SET).
#if defined(__clang__)
// clang has no `#pragma GCC target`; its attribute region gives the functions defined inside it
// the target and leaves the standard headers' templates (declared before it) at the baseline, as
// GCC's region does (build.isa_isolation checks the result of either).
// _Pragma takes one string literal, unsplit:
// clang-format off
#define MEDLLM_BEGIN_AVX512 \
  _Pragma("clang attribute push(__attribute__((target(\"avx512f,avx512bw,avx512vl,avx512dq\"))), apply_to = function)")
#define MEDLLM_BEGIN_AVX512_VNNI \
  _Pragma("clang attribute push(__attribute__((target(\"avx512f,avx512bw,avx512vl,avx512dq,avx512vnni\"))), apply_to = function)")
// clang-format on
#define MEDLLM_END_AVX512 _Pragma("clang attribute pop")
#else
#define MEDLLM_BEGIN_AVX512                                                                 \
  _Pragma("GCC push_options") _Pragma("GCC target(\"avx512f,avx512bw,avx512vl,avx512dq\")") \
      _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wpsabi\"")          \
          _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"")                       \
              _Pragma("GCC diagnostic ignored \"-Wuninitialized\"")
#define MEDLLM_BEGIN_AVX512_VNNI                                                                       \
  _Pragma("GCC push_options") _Pragma("GCC target(\"avx512f,avx512bw,avx512vl,avx512dq,avx512vnni\")") \
      _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wpsabi\"")                     \
          _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"")                                  \
              _Pragma("GCC diagnostic ignored \"-Wuninitialized\"")
#define MEDLLM_END_AVX512 _Pragma("GCC diagnostic pop") _Pragma("GCC pop_options")
#endif

// fn(args...) in the kernel set in use: MEDLLM_SIMD_CALL in a kernel file of two sets (the
// AVX-512 one serves VNNI machines too), MEDLLM_SIMD_CALL_VNNI in one of three.
#if MEDLLM_AVX512_COMPILED
#define MEDLLM_SIMD_CALL(fn, ...)                                                                \
  (::medllm::kernels::kernel_isa() != ::medllm::kernels::Isa::Avx2 ? isa_avx512::fn(__VA_ARGS__) \
                                                                   : isa_avx2::fn(__VA_ARGS__))
#define MEDLLM_SIMD_CALL_VNNI(fn, ...)                                                                     \
  (::medllm::kernels::kernel_isa() == ::medllm::kernels::Isa::Avx512Vnni ? isa_avx512vnni::fn(__VA_ARGS__) \
                                                                         : MEDLLM_SIMD_CALL(fn, __VA_ARGS__))
#else
#define MEDLLM_SIMD_CALL(fn, ...) (::medllm::kernels::kernel_isa(), isa_avx2::fn(__VA_ARGS__))
#define MEDLLM_SIMD_CALL_VNNI MEDLLM_SIMD_CALL
#endif
