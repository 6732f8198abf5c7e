// Philox4x32-10 and the Box–Muller transform of docs/noise.md.
// Every float64 multiply–add below is an explicit std::fma and no product feeds an addition otherwise, so
// -ffp-contract cannot change a rounding: the same seed gives the same bits under any compiler flags,
// thread count, or on CUDA with __fma_rn (issue 8 reimplements this file's math exactly).
#include "ops/cpu/sampler_noise.h"

#include <cmath>

namespace glide::cpu {

namespace {

constexpr uint32_t kPhiloxM0 = 0xD2511F53u;
constexpr uint32_t kPhiloxM1 = 0xCD9E8D57u;
constexpr uint32_t kPhiloxW0 = 0x9E3779B9u;  // golden ratio
constexpr uint32_t kPhiloxW1 = 0xBB67AE85u;  // sqrt(3) - 1

constexpr double kTwoPow32Inv = 1.0 / 4294967296.0;
constexpr double kLn2 = 0.6931471805599453;     // RN(ln 2)
constexpr double kPiOver2 = 1.5707963267948966;  // RN(π/2)

constexpr double factorial(int n) { return n <= 1 ? 1.0 : n * factorial(n - 1); }  // exact for n <= 22

// Horner with fma over coefficients c[0] + c[1]·z + ... (highest first in the loop).
template <int N>
double horner(const double (&c)[N], double z) {
  double p = c[N - 1];
  for (int k = N - 2; k >= 0; k--) p = std::fma(p, z, c[k]);
  return p;
}

// 1/(2k+1), k = 0..11: ln m = 2s · Σ z^k/(2k+1), z = s², |s| ≤ 0.1716 (truncation < 1e-18 relative).
constexpr double kLogCoef[12] = {1.0,        1.0 / 3,  1.0 / 5,  1.0 / 7,  1.0 / 9,  1.0 / 11,
                                 1.0 / 13,   1.0 / 15, 1.0 / 17, 1.0 / 19, 1.0 / 21, 1.0 / 23};
// sin θ = θ + θ³ · Σ (−1)^(k+1) z^k/(2k+3)!, cos θ = 1 + z · Σ (−1)^(k+1) z^k/(2k+2)!, |θ| ≤ π/4.
constexpr double kSinCoef[8] = {-1 / factorial(3),  1 / factorial(5),  -1 / factorial(7),  1 / factorial(9),
                                -1 / factorial(11), 1 / factorial(13), -1 / factorial(15), 1 / factorial(17)};
constexpr double kCosCoef[9] = {-1 / factorial(2),  1 / factorial(4),  -1 / factorial(6),
                                1 / factorial(8),   -1 / factorial(10), 1 / factorial(12),
                                -1 / factorial(14), 1 / factorial(16),  -1 / factorial(18)};

inline uint32_t mulhilo(uint32_t a, uint32_t b, uint32_t* hi) {
  const uint64_t p = static_cast<uint64_t>(a) * b;
  *hi = static_cast<uint32_t>(p >> 32);
  return static_cast<uint32_t>(p);
}

}  // namespace

std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> c, std::array<uint32_t, 2> k) {
  for (int round = 0; round < 10; round++) {
    if (round > 0) {
      k[0] += kPhiloxW0;
      k[1] += kPhiloxW1;
    }
    uint32_t hi0, hi1;
    const uint32_t lo0 = mulhilo(kPhiloxM0, c[0], &hi0);
    const uint32_t lo1 = mulhilo(kPhiloxM1, c[2], &hi1);
    c = {hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0};
  }
  return c;
}

double noise_log(double u) {
  int e;
  double m = std::frexp(u, &e);  // u = m·2^e, m in [0.5, 1)
  if (m < 0.7071067811865476) {   // RN(√½): keep m in [√½, √2) so |s| stays small
    m = m * 2;
    e = e - 1;
  }
  const double s = (m - 1) / (m + 1);  // m − 1 is exact (Sterbenz)
  const double z = s * s;
  const double log_m = (s + s) * horner(kLogCoef, z);
  return std::fma(static_cast<double>(e), kLn2, log_m);
}

void noise_sincos_turns(double v, double* sin_out, double* cos_out) {
  // v·4 = q + f with q the nearest quarter turn and f in [−½, ½): all exact for v = w·2^-32.
  const double w = v * 4;
  const double q = std::floor(w + 0.5);
  const double f = w - q;
  const double theta = f * kPiOver2;
  const double z = theta * theta;
  const double theta3 = theta * z;
  const double s = std::fma(theta3, horner(kSinCoef, z), theta);
  const double c = std::fma(z, horner(kCosCoef, z), 1.0);
  switch (static_cast<int>(q) & 3) {  // rotate by q quarter turns
    case 0: *sin_out = s; *cos_out = c; break;
    case 1: *sin_out = c; *cos_out = -s; break;
    case 2: *sin_out = -s; *cos_out = -c; break;
    default: *sin_out = -c; *cos_out = s; break;
  }
}

void philox_normal_fill(uint64_t seed, uint64_t stream, uint64_t first, int64_t count, float* out) {
  if (count <= 0) return;
  const std::array<uint32_t, 2> key = {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
  const uint64_t block_begin = first / 4;
  const uint64_t block_end = (first + static_cast<uint64_t>(count) + 3) / 4;
  const int64_t blocks = static_cast<int64_t>(block_end - block_begin);
#pragma omp parallel for schedule(static) if (blocks > 4096)
  for (int64_t bi = 0; bi < blocks; bi++) {
    const uint64_t block = block_begin + static_cast<uint64_t>(bi);
    const auto word = philox4x32_10({static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32),
                                     static_cast<uint32_t>(stream), static_cast<uint32_t>(stream >> 32)},
                                    key);
    float normals[4];
    for (int pair = 0; pair < 2; pair++) {
      const double u = (static_cast<double>(word[2 * pair]) + 0.5) * kTwoPow32Inv;  // (0, 1)
      const double v = static_cast<double>(word[2 * pair + 1]) * kTwoPow32Inv;       // [0, 1)
      const double r = std::sqrt(-2 * noise_log(u));
      double s, c;
      noise_sincos_turns(v, &s, &c);
      normals[2 * pair] = static_cast<float>(r * c);
      normals[2 * pair + 1] = static_cast<float>(r * s);
    }
    for (int lane = 0; lane < 4; lane++) {
      const uint64_t index = block * 4 + static_cast<uint64_t>(lane);
      if (index >= first && index < first + static_cast<uint64_t>(count)) out[index - first] = normals[lane];
    }
  }
}

}  // namespace glide::cpu
