// `medllm --version`: what was built and how, so a bug report or a benchmark names its binary:
// version, git commit (from CMake at configure time), build type and compiler, the SIMD
// instructions the kernels were compiled for and those this CPU has, and the BLAS library.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <string>
#include <vector>

#include "cli/commands.hpp"

#ifndef MEDLLM_VERSION
#define MEDLLM_VERSION "unknown"
#endif
#ifndef MEDLLM_GIT_COMMIT
#define MEDLLM_GIT_COMMIT "unknown"
#endif
#ifndef MEDLLM_BUILD_TYPE
#define MEDLLM_BUILD_TYPE "unknown"
#endif

extern "C" char* openblas_get_config(void);  // OpenBLAS, linked through libmedllm

namespace medllm::cli {

namespace {

// The instruction sets the compiler was allowed to use (-march); the kernels pick their code
// paths from these when medllm is compiled (src/kernels).
std::vector<std::string> compiled_simd() {
  std::vector<std::string> isa;
#if defined(__AVX512F__)
  isa.push_back("AVX-512F");
#endif
#if defined(__AVX512BW__)
  isa.push_back("AVX-512BW");
#endif
#if defined(__AVX512VNNI__)
  isa.push_back("AVX-512VNNI");
#endif
#if defined(__AVX2__)
  isa.push_back("AVX2");
#endif
#if defined(__FMA__)
  isa.push_back("FMA");
#endif
#if defined(__F16C__)
  isa.push_back("F16C");
#endif
  return isa;
}

bool cpu_has(const std::string& isa) {
  __builtin_cpu_init();
  if (isa == "AVX-512F") return __builtin_cpu_supports("avx512f");
  if (isa == "AVX-512BW") return __builtin_cpu_supports("avx512bw");
  if (isa == "AVX-512VNNI") return __builtin_cpu_supports("avx512vnni");
  if (isa == "AVX2") return __builtin_cpu_supports("avx2");
  if (isa == "FMA") return __builtin_cpu_supports("fma");
  return true;  // F16C: not queryable through the builtin; every CPU with AVX2 has it
}

std::vector<std::string> detected_simd() {
  std::vector<std::string> isa;
  for (const char* name : {"AVX-512F", "AVX-512BW", "AVX-512VNNI", "AVX2", "FMA"}) {
    if (cpu_has(name)) isa.push_back(name);
  }
  return isa;
}

std::string joined(const std::vector<std::string>& names) {
  return names.empty() ? "none (scalar code)" : fmt::format("{}", fmt::join(names, " "));
}

std::string simd_lines() {
  const std::vector<std::string> compiled = compiled_simd();
  std::vector<std::string> missing;
  for (const std::string& isa : compiled) {
    if (!cpu_has(isa)) missing.push_back(isa);
  }
  std::string text = fmt::format("SIMD compiled: {}\nSIMD detected: {}\n", joined(compiled), joined(detected_simd()));
  if (!missing.empty())
    text += fmt::format("warning: this CPU lacks {}, which this build uses: rebuild with -DMEDLLM_NATIVE=ON here\n",
                        fmt::join(missing, " "));
  return text;
}

}  // namespace

std::string version_text() {
  std::string text = fmt::format("medllm {}\ngit commit: {}\nbuild type: {} (compiler {})\n", MEDLLM_VERSION,
                                 MEDLLM_GIT_COMMIT, MEDLLM_BUILD_TYPE, __VERSION__);
  text += simd_lines();
  text += fmt::format("BLAS: {}", openblas_get_config());
  return text;
}

}  // namespace medllm::cli
