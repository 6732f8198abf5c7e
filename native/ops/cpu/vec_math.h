// Vectorised float helpers shared by the CPU ops (softmax, SiLU, normalisation statistics), written
// with GCC vector extensions so the compiler emits AVX-512/AVX2/SSE from -march.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace glide::cpu {

#if defined(__AVX512F__)
constexpr int kVec = 16;
#elif defined(__AVX__)
constexpr int kVec = 8;
#else
constexpr int kVec = 4;
#endif

typedef float vec_f __attribute__((vector_size(kVec * 4)));
typedef int32_t vec_i __attribute__((vector_size(kVec * 4)));

inline vec_f load_vec(const float* p) {
  vec_f v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

inline void store_vec(float* p, vec_f v) { std::memcpy(p, &v, sizeof(v)); }

inline vec_f splat(float x) { return vec_f{} + x; }

/** e^x per lane (Cephes expf: range reduction by ln 2, degree-6 polynomial; ~1 ulp, clamped to the
 *  float range, so very negative x gives ~0, never NaN). */
inline vec_f exp_vec(vec_f x) {
  x = x < splat(88.3762626647949f) ? x : splat(88.3762626647949f);
  x = x > splat(-87.3365447504f) ? x : splat(-87.3365447504f);
  const vec_f fx = x * 1.44269504088896341f + 0.5f;
  vec_i n = __builtin_convertvector(fx, vec_i);  // truncation, fixed to floor below
  vec_f nf = __builtin_convertvector(n, vec_f);
  const vec_i over = nf > fx;  // -1 where truncation rounded up (negative fx)
  n += over;
  nf = __builtin_convertvector(n, vec_f);
  x = x - nf * 0.693359375f - nf * -2.12194440e-4f;
  vec_f y = splat(1.9875691500e-4f);
  y = y * x + 1.3981999507e-3f;
  y = y * x + 8.3334519073e-3f;
  y = y * x + 4.1665795894e-2f;
  y = y * x + 1.6666665459e-1f;
  y = y * x + 5.0000001201e-1f;
  y = y * (x * x) + x + 1.0f;
  const vec_i bits = (n + 127) << 23;
  vec_f scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return y * scale;
}

/** x[i] = e^(x[i]·scale) */
inline void exp_scaled_inplace(float* x, int64_t n, float scale) {
  int64_t i = 0;
  for (; i + kVec <= n; i += kVec) store_vec(x + i, exp_vec(load_vec(x + i) * scale));
  if (i < n) {
    float tail[kVec] = {};
    std::memcpy(tail, x + i, static_cast<size_t>(n - i) * sizeof(float));
    store_vec(tail, exp_vec(load_vec(tail) * scale));
    std::memcpy(x + i, tail, static_cast<size_t>(n - i) * sizeof(float));
  }
}

/** y[i] = v / (1 + e^(−v)) with v = x[i]·a + b (an affine map fused before SiLU). */
inline void affine_silu(const float* x, float* y, int64_t n, float a, float b) {
  int64_t i = 0;
  for (; i + kVec <= n; i += kVec) {
    const vec_f v = load_vec(x + i) * a + b;
    store_vec(y + i, v / (1.0f + exp_vec(-v)));
  }
  for (; i < n; ++i) {
    const float v = x[i] * a + b;
    y[i] = v / (1.0f + std::exp(-v));
  }
}

/** max of x[0..n), n >= 1 */
inline float max_of(const float* x, int64_t n) {
  float m = x[0];
  int64_t i = 0;
  if (n >= kVec) {
    vec_f mv = load_vec(x);
    for (i = kVec; i + kVec <= n; i += kVec) {
      const vec_f v = load_vec(x + i);
      mv = v > mv ? v : mv;
    }
    for (int l = 0; l < kVec; ++l) m = mv[l] > m ? mv[l] : m;
  }
  for (; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}

/** Σ x[i] accumulated in double (kVec independent lanes, so it vectorises). */
inline double sum_of(const float* x, int64_t n) {
  double lanes[kVec] = {};
  int64_t i = 0;
  for (; i + kVec <= n; i += kVec)
    for (int l = 0; l < kVec; ++l) lanes[l] += x[i + l];
  double s = 0.0;
  for (; i < n; ++i) s += x[i];
  for (int l = 0; l < kVec; ++l) s += lanes[l];
  return s;
}

/** Σ (x[i] − mean)² accumulated in double. */
inline double centered_square_sum(const float* x, int64_t n, double mean) {
  double lanes[kVec] = {};
  int64_t i = 0;
  for (; i + kVec <= n; i += kVec)
    for (int l = 0; l < kVec; ++l) {
      const double d = x[i + l] - mean;
      lanes[l] += d * d;
    }
  double s = 0.0;
  for (; i < n; ++i) s += (x[i] - mean) * (x[i] - mean);
  for (int l = 0; l < kVec; ++l) s += lanes[l];
  return s;
}

}  // namespace glide::cpu
