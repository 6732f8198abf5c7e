// 16-lane float vectors for the oneDNN backend's own kernels (GroupNorm, attention, elementwise glue),
// with bfloat16 loads/stores. AVX-512 intrinsics where the compiler targets AVX-512 (-march=native), else
// GCC vector extensions with the same meaning, so the kernels build on any x86-64/ARM CPU.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__AVX512F__) && defined(__AVX512BW__)
// GCC 12's AVX-512 intrinsics pass _mm512_undefined_*() through masked builtins, which -Wall reports as
// uninitialised at every call site (GCC bug 105593, fixed in GCC 13): silence it for the header only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#define GLIDE_AVX512 1
#endif

namespace glide::onednn::simd {

constexpr int kLanes = 16;
using bf16 = uint16_t;

/** float32 -> bfloat16, round to nearest even (NaN stays NaN). */
inline bf16 to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<bf16>((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<bf16>(u >> 16);
}

inline float from_bf16(bf16 b) {
  const uint32_t u = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline float to_float(float x) { return x; }
inline float to_float(bf16 x) { return from_bf16(x); }
template <typename T>
inline T from_float(float x);
template <>
inline float from_float<float>(float x) { return x; }
template <>
inline bf16 from_float<bf16>(float x) { return to_bf16(x); }

#if GLIDE_AVX512
using vf = __m512;

inline vf set1(float x) { return _mm512_set1_ps(x); }
inline vf zero() { return _mm512_setzero_ps(); }
inline vf fmadd(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
inline vf vmax(vf a, vf b) { return _mm512_max_ps(a, b); }
inline float reduce_add(vf a) { return _mm512_reduce_add_ps(a); }
inline float reduce_max(vf a) { return _mm512_reduce_max_ps(a); }

inline vf load(const float* p) { return _mm512_loadu_ps(p); }
inline vf load(const bf16* p) {
  const __m512i w = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  return _mm512_castsi512_ps(_mm512_slli_epi32(w, 16));
}
/** First n (< 16) lanes from p, the rest 0. */
inline vf load_part(const float* p, int n) { return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1), p); }
inline vf load_part(const bf16* p, int n) {
  const __m256i h = _mm256_maskz_loadu_epi16(static_cast<__mmask16>((1u << n) - 1), p);
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

inline __m256i pack_bf16(vf v) {
#if defined(__AVX512BF16__)
  return reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(v));
#else
  // Round to nearest even on the bit pattern (inputs here are finite).
  const __m512i u = _mm512_castps_si512(v);
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
  const __m512i r = _mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff)));
  return _mm512_cvtepi32_epi16(_mm512_srli_epi32(r, 16));
#endif
}

inline void store(float* p, vf v) { _mm512_storeu_ps(p, v); }
inline void store(bf16* p, vf v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), pack_bf16(v)); }
inline void store_part(float* p, vf v, int n) { _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1), v); }
inline void store_part(bf16* p, vf v, int n) {
  _mm256_mask_storeu_epi16(p, static_cast<__mmask16>((1u << n) - 1), pack_bf16(v));
}

/** e^x per lane (range reduction by ln 2 and a degree-6 polynomial, ~1 ulp; x below −87 gives 0). */
inline vf exp(vf x) {
  x = _mm512_min_ps(x, set1(88.3762626647949f));
  const __mmask16 tiny = _mm512_cmp_ps_mask(x, set1(-87.3365447504f), _CMP_LT_OQ);
  x = _mm512_max_ps(x, set1(-87.3365447504f));
  const vf n = _mm512_roundscale_ps(_mm512_mul_ps(x, set1(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT);
  vf r = fmadd(n, set1(-0.693359375f), x);
  r = fmadd(n, set1(2.12194440e-4f), r);
  vf y = set1(1.9875691500e-4f);
  y = fmadd(y, r, set1(1.3981999507e-3f));
  y = fmadd(y, r, set1(8.3334519073e-3f));
  y = fmadd(y, r, set1(4.1665795894e-2f));
  y = fmadd(y, r, set1(1.6666665459e-1f));
  y = fmadd(y, r, set1(5.0000001201e-1f));
  y = fmadd(y, _mm512_mul_ps(r, r), _mm512_add_ps(r, set1(1.0f)));
  const __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
  return _mm512_maskz_mul_ps(static_cast<__mmask16>(~tiny), y, _mm512_castsi512_ps(e));
}

#else  // portable fallback: GCC vector extensions
// 64-byte vectors passed by value between these inline helpers: GCC's note that their ABI differs
// without AVX-512 does not concern code that never crosses a library boundary.
#pragma GCC diagnostic ignored "-Wpsabi"
typedef float vf __attribute__((vector_size(64)));
typedef int32_t vi __attribute__((vector_size(64)));

inline vf set1(float x) { return vf{} + x; }
inline vf zero() { return vf{}; }
inline vf fmadd(vf a, vf b, vf c) { return a * b + c; }
inline vf vmax(vf a, vf b) { return a > b ? a : b; }
inline float reduce_add(vf a) {
  float s = 0.0f;
  for (int i = 0; i < kLanes; ++i) s += a[i];
  return s;
}
inline float reduce_max(vf a) {
  float m = a[0];
  for (int i = 1; i < kLanes; ++i) m = a[i] > m ? a[i] : m;
  return m;
}
template <typename T>
inline vf load_part(const T* p, int n) {
  vf v = zero();
  for (int i = 0; i < n; ++i) v[i] = to_float(p[i]);
  return v;
}
template <typename T>
inline vf load(const T* p) { return load_part(p, kLanes); }
template <typename T>
inline void store_part(T* p, vf v, int n) {
  for (int i = 0; i < n; ++i) p[i] = from_float<T>(v[i]);
}
template <typename T>
inline void store(T* p, vf v) { store_part(p, v, kLanes); }
inline vf exp(vf x) {
  vf y;
  for (int i = 0; i < kLanes; ++i) y[i] = std::exp(x[i]);
  return y;
}
#endif

/** x·sigmoid(x) per lane. */
inline vf silu(vf x) { return x / (set1(1.0f) + exp(zero() - x)); }

}  // namespace glide::onednn::simd
