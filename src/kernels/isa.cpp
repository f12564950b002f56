#include "kernels/isa.hpp"

#include <cstdlib>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "kernels/simd/target.hpp"

namespace medllm::kernels {

namespace {

constexpr bool kAvx512Compiled = MEDLLM_AVX512_COMPILED;

bool cpu_has_avx512() {
#if defined(__x86_64__)
  // libgcc's CPU model sets these only when the OS saves the AVX-512 registers (XGETBV).
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
#else
  return false;
#endif
}

bool cpu_has_vnni() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512vnni");
#else
  return false;
#endif
}

struct Choice {
  std::optional<Isa> isa;
  std::string error;
};

Choice choose() {
  const char* forced = std::getenv("MEDLLM_CPU");
  if (forced == nullptr || *forced == '\0') {
    Isa best = Isa::Avx2;
    for (const Isa isa : kIsas) {
      if (isa_available(isa)) best = isa;
    }
    return {best, {}};
  }
  const std::string name(forced);
  for (const Isa isa : kIsas) {
    if (name != isa_name(isa)) continue;
    if (isa_available(isa)) return {isa, {}};
    return {std::nullopt, "MEDLLM_CPU=" + name + ": " +
                              (kAvx512Compiled ? "this CPU cannot run it" : "this build carries no such kernels")};
  }
  return {std::nullopt, "MEDLLM_CPU=" + name + " is not a kernel set (avx2, avx512, avx512vnni are)"};
}

}  // namespace

std::string_view isa_name(Isa isa) {
  switch (isa) {
    case Isa::Avx2:
      return "avx2";
    case Isa::Avx512:
      return "avx512";
    case Isa::Avx512Vnni:
      return "avx512vnni";
  }
  return "?";
}

bool isa_available(Isa isa) {
  if (isa == Isa::Avx2) return true;  // the build's baseline
  static const bool avx512 = kAvx512Compiled && cpu_has_avx512();
  static const bool vnni = avx512 && cpu_has_vnni();
  return isa == Isa::Avx512 ? avx512 : vnni;
}

Isa kernel_isa() {
  static const Choice choice = choose();
  if (!choice.isa) fail("{}", choice.error);
  return *choice.isa;
}

}  // namespace medllm::kernels
