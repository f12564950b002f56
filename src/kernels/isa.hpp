#pragma once
// Which instruction set the kernels run with, chosen at run time: one binary is built for
// x86-64-v3 (AVX2, FMA, F16C) and carries a second copy of its SIMD kernels for AVX-512, used
// where the CPU has it, and a third of its integer dot products for AVX-512 with VNNI's byte dot
// products (vpdpbusd). MEDLLM_CPU=avx2, avx512 or avx512vnni forces one (tests run every path the
// machine can execute that way).

#include <cstdint>
#include <string_view>

namespace medllm::kernels {

enum class Isa : uint8_t { Avx2, Avx512, Avx512Vnni };
inline constexpr Isa kIsas[] = {Isa::Avx2, Isa::Avx512, Isa::Avx512Vnni};  // from the baseline up

std::string_view isa_name(Isa isa);
// Whether this binary carries kernels for `isa` and this CPU (and its OS) can run them.
bool isa_available(Isa isa);
// The kernels in use: MEDLLM_CPU's choice, else the best available. Read once; an unknown or
// unavailable MEDLLM_CPU is an error (thrown by every call), never a silent fallback.
Isa kernel_isa();

}  // namespace medllm::kernels
