// Philox4x32-10 and the Box–Muller transform of docs/noise.md, as __host__ __device__ code. On the device
// every float64 operation is an explicit round-to-nearest intrinsic (__dmul_rn, __dadd_rn, __fma_rn, ...),
// so nvcc cannot contract a multiply and an add into an FMA that the CPU reference does not have; on the
// host (the emulation the tests run without a GPU) the same expressions are plain IEEE operations.
#include <cmath>

#include "ops/cuda/kernel_common.cuh"
#include "ops/cuda/sampler_noise.h"

namespace glide::cuda {
namespace {

#ifdef __CUDA_ARCH__
#define NOISE_MUL(a, b) __dmul_rn(a, b)
#define NOISE_ADD(a, b) __dadd_rn(a, b)
#define NOISE_SUB(a, b) __dsub_rn(a, b)
#define NOISE_DIV(a, b) __ddiv_rn(a, b)
#define NOISE_FMA(a, b, c) __fma_rn(a, b, c)
#define NOISE_SQRT(a) __dsqrt_rn(a)
#else
#define NOISE_MUL(a, b) ((a) * (b))
#define NOISE_ADD(a, b) ((a) + (b))
#define NOISE_SUB(a, b) ((a) - (b))
#define NOISE_DIV(a, b) ((a) / (b))
#define NOISE_FMA(a, b, c) std::fma(a, b, c)
#define NOISE_SQRT(a) std::sqrt(a)
#endif

constexpr uint32_t kPhiloxM0 = 0xD2511F53u;
constexpr uint32_t kPhiloxM1 = 0xCD9E8D57u;
constexpr uint32_t kPhiloxW0 = 0x9E3779B9u;
constexpr uint32_t kPhiloxW1 = 0xBB67AE85u;
constexpr double kTwoPow32Inv = 1.0 / 4294967296.0;
constexpr double kLn2 = 0.6931471805599453;
constexpr double kPiOver2 = 1.5707963267948966;
constexpr double kSqrtHalf = 0.7071067811865476;

constexpr double factorial(int n) { return n <= 1 ? 1.0 : n * factorial(n - 1); }

// The coefficient tables of docs/noise.md (each one correctly rounded double; see the CPU twin).
struct NoiseCoefficients {
  double log[12];
  double sin[8];
  double cos[9];
};
constexpr NoiseCoefficients kCoef = {
    {1.0, 1.0 / 3, 1.0 / 5, 1.0 / 7, 1.0 / 9, 1.0 / 11, 1.0 / 13, 1.0 / 15, 1.0 / 17, 1.0 / 19, 1.0 / 21, 1.0 / 23},
    {-1 / factorial(3), 1 / factorial(5), -1 / factorial(7), 1 / factorial(9), -1 / factorial(11), 1 / factorial(13),
     -1 / factorial(15), 1 / factorial(17)},
    {-1 / factorial(2), 1 / factorial(4), -1 / factorial(6), 1 / factorial(8), -1 / factorial(10), 1 / factorial(12),
     -1 / factorial(14), 1 / factorial(16), -1 / factorial(18)}};
__constant__ NoiseCoefficients kDeviceCoef = kCoef;

__host__ __device__ inline const NoiseCoefficients& coefficients() {
#ifdef __CUDA_ARCH__
  return kDeviceCoef;
#else
  return kCoef;
#endif
}

template <int N>
__host__ __device__ inline double horner(const double (&c)[N], double z) {
  double p = c[N - 1];
#pragma unroll
  for (int k = N - 2; k >= 0; k--) p = NOISE_FMA(p, z, c[k]);
  return p;
}

__host__ __device__ inline uint32_t mulhilo(uint32_t a, uint32_t b, uint32_t* hi) {
#ifdef __CUDA_ARCH__
  *hi = __umulhi(a, b);
  return a * b;
#else
  const uint64_t p = static_cast<uint64_t>(a) * b;
  *hi = static_cast<uint32_t>(p >> 32);
  return static_cast<uint32_t>(p);
#endif
}

__host__ __device__ inline void philox(uint32_t c[4], uint32_t k0, uint32_t k1) {
#pragma unroll
  for (int round = 0; round < 10; round++) {
    if (round > 0) {
      k0 += kPhiloxW0;
      k1 += kPhiloxW1;
    }
    uint32_t hi0, hi1;
    const uint32_t lo0 = mulhilo(kPhiloxM0, c[0], &hi0);
    const uint32_t lo1 = mulhilo(kPhiloxM1, c[2], &hi1);
    const uint32_t n0 = hi1 ^ c[1] ^ k0, n2 = hi0 ^ c[3] ^ k1;
    c[0] = n0;
    c[1] = lo1;
    c[2] = n2;
    c[3] = lo0;
  }
}

__host__ __device__ inline double noise_log(double u) {
  int e;
  double m = frexp(u, &e);
  if (m < kSqrtHalf) {
    m = m * 2;  // exact
    e = e - 1;
  }
  const double s = NOISE_DIV(NOISE_SUB(m, 1.0), NOISE_ADD(m, 1.0));
  const double z = NOISE_MUL(s, s);
  const double log_m = NOISE_MUL(NOISE_ADD(s, s), horner(coefficients().log, z));
  return NOISE_FMA(static_cast<double>(e), kLn2, log_m);
}

__host__ __device__ inline void noise_sincos_turns(double v, double* sin_out, double* cos_out) {
  const double w = NOISE_MUL(v, 4.0);
  const double q = floor(NOISE_ADD(w, 0.5));
  const double f = NOISE_SUB(w, q);
  const double theta = NOISE_MUL(f, kPiOver2);
  const double z = NOISE_MUL(theta, theta);
  const double theta3 = NOISE_MUL(theta, z);
  const double s = NOISE_FMA(theta3, horner(coefficients().sin, z), theta);
  const double c = NOISE_FMA(z, horner(coefficients().cos, z), 1.0);
  switch (static_cast<int>(q) & 3) {
    case 0: *sin_out = s; *cos_out = c; break;
    case 1: *sin_out = c; *cos_out = -s; break;
    case 2: *sin_out = -s; *cos_out = -c; break;
    default: *sin_out = -c; *cos_out = s; break;
  }
}

// The four normals of Philox block `block` of (seed, stream).
__host__ __device__ inline void normal_block(uint64_t seed, uint64_t stream_id, uint64_t block, float out[4]) {
  uint32_t c[4] = {static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), static_cast<uint32_t>(stream_id),
                   static_cast<uint32_t>(stream_id >> 32)};
  philox(c, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
#pragma unroll
  for (int pair = 0; pair < 2; pair++) {
    const double u = NOISE_MUL(NOISE_ADD(static_cast<double>(c[2 * pair]), 0.5), kTwoPow32Inv);
    const double v = NOISE_MUL(static_cast<double>(c[2 * pair + 1]), kTwoPow32Inv);
    const double r = NOISE_SQRT(NOISE_MUL(-2.0, noise_log(u)));
    double s, co;
    noise_sincos_turns(v, &s, &co);
    out[2 * pair] = static_cast<float>(NOISE_MUL(r, co));
    out[2 * pair + 1] = static_cast<float>(NOISE_MUL(r, s));
  }
}

__host__ __device__ inline void fill_block(uint64_t seed, uint64_t stream_id, uint64_t block, uint64_t first, uint64_t end,
                                           float* out) {
  float normals[4];
  normal_block(seed, stream_id, block, normals);
#pragma unroll
  for (int lane = 0; lane < 4; lane++) {
    const uint64_t index = block * 4 + static_cast<uint64_t>(lane);
    if (index >= first && index < end) out[index - first] = normals[lane];
  }
}

__global__ void philox_normal_kernel(uint64_t seed, uint64_t stream_id, const uint64_t* key, uint64_t first, uint64_t end,
                                     uint64_t block_begin, int64_t blocks, float* out) {
  if (key != nullptr) {
    seed = key[0];
    stream_id = key[1];
  }
  GLIDE_GRID_STRIDE(bi, blocks) fill_block(seed, stream_id, block_begin + static_cast<uint64_t>(bi), first, end, out);
}

void launch(uint64_t seed, uint64_t stream_id, const uint64_t* key, uint64_t first, int64_t count, float* out,
            cudaStream_t stream) {
  if (count <= 0) return;
  const uint64_t end = first + static_cast<uint64_t>(count);
  const uint64_t block_begin = first / 4;
  const int64_t blocks = static_cast<int64_t>((end + 3) / 4 - block_begin);
  philox_normal_kernel<<<grid_for(blocks), kBlock, 0, stream>>>(seed, stream_id, key, first, end, block_begin, blocks, out);
  GLIDE_CUDA_CHECK_LAUNCH();
}

}  // namespace

void philox_normal_fill(uint64_t seed, uint64_t stream_id, uint64_t first, int64_t count, float* out, cudaStream_t stream) {
  launch(seed, stream_id, nullptr, first, count, out, stream);
}

void philox_normal_fill_indirect(const uint64_t* key, uint64_t first, int64_t count, float* out, cudaStream_t stream) {
  launch(0, 0, key, first, count, out, stream);
}

void philox_normal_fill_emulated(uint64_t seed, uint64_t stream_id, uint64_t first, int64_t count, float* out) {
  if (count <= 0) return;
  const uint64_t end = first + static_cast<uint64_t>(count);
  for (uint64_t block = first / 4; block < (end + 3) / 4; ++block) fill_block(seed, stream_id, block, first, end, out);
}

}  // namespace glide::cuda
