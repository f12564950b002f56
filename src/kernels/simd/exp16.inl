// exp over 16 floats at once (AVX-512), for the kernels that spend their time in exp: softmax,
// cross-entropy and the SiLU gate. glibc's scalar expf costs ~20 cycles a value and the compiler
// will not vectorise it without -ffast-math, which would also drop the NaN checks training relies
// on. Within 2 ulp of std::exp; NaN stays NaN, exp(−inf) = 0, exp(+inf) = +inf.
//
// Included inside a kernel file's AVX-512 namespace and target region (kernels/simd/target.hpp);
// no includes or namespaces of its own.

inline __m512 exp16(__m512 x) {
  // exp(x) = 2^k · exp(r) with k = round(x / ln 2) and r = x − k·ln 2 ∈ [−ln2/2, ln2/2]; exp(r)
  // by its Taylor series to r⁷ (truncation error < 6e-9). Clamping first keeps k in scalef's
  // range; min/max with the constant first return x itself when x is NaN.
  x = _mm512_max_ps(_mm512_set1_ps(-150.0f), _mm512_min_ps(_mm512_set1_ps(89.0f), x));
  const __m512 k =
      _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT);
  // ln 2 in two parts, the first exact in few bits, so k·ln2_hi has no rounding error.
  __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(k, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.0f / 5040.0f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, k);  // p · 2^k, overflowing to inf and underflowing through subnormals to 0
}

// Lanes [0, n) of a 16-wide block: all of them but at the end of an array.
inline __mmask16 lanes(int64_t n) {
  return n >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << n) - 1);
}
