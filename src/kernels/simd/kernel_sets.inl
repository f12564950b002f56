// Compiles the SIMD kernel file named by MEDLLM_SIMD_KERNELS (a .inl under kernels/simd/) once per
// kernel set, in namespaces isa_avx2 and isa_avx512 (kernels/simd/target.hpp). A kernel file
// includes every header the kernels need, then, inside an anonymous namespace:
//
//   #define MEDLLM_SIMD_KERNELS "kernels/simd/foo.inl"
//   #include "kernels/simd/kernel_sets.inl"

namespace isa_avx2 {
#define MEDLLM_AVX512 0
#include MEDLLM_SIMD_KERNELS
#undef MEDLLM_AVX512
}  // namespace isa_avx2

#if MEDLLM_AVX512_COMPILED
MEDLLM_BEGIN_AVX512
namespace isa_avx512 {
#define MEDLLM_AVX512 1
#include "kernels/simd/exp16.inl"  // first: kernels use it

#include MEDLLM_SIMD_KERNELS
#undef MEDLLM_AVX512
}  // namespace isa_avx512
MEDLLM_END_AVX512
#endif

#undef MEDLLM_SIMD_KERNELS
