// Compiles the SIMD kernel file named by MEDLLM_SIMD_KERNELS (a .inl under kernels/simd/) once per
// kernel set, in namespaces isa_avx2 and isa_avx512 (kernels/simd/target.hpp), and, where the file
// defines MEDLLM_SIMD_VNNI_SET, a third time in isa_avx512vnni (MEDLLM_VNNI is 1 there, 0 in the
// others). A kernel file includes every header the kernels need, then, inside an anonymous
// namespace:
//
//   #define MEDLLM_SIMD_KERNELS "kernels/simd/foo.inl"
//   #include "kernels/simd/kernel_sets.inl"

#define MEDLLM_VNNI 0
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
#undef MEDLLM_VNNI

#ifdef MEDLLM_SIMD_VNNI_SET
#define MEDLLM_VNNI 1
MEDLLM_BEGIN_AVX512_VNNI
namespace isa_avx512vnni {
#define MEDLLM_AVX512 1
#include "kernels/simd/exp16.inl"

#include MEDLLM_SIMD_KERNELS
#undef MEDLLM_AVX512
}  // namespace isa_avx512vnni
MEDLLM_END_AVX512
#endif
#endif

#undef MEDLLM_VNNI
#undef MEDLLM_SIMD_VNNI_SET
#undef MEDLLM_SIMD_KERNELS
