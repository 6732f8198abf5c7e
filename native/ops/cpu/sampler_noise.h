// Counter-based standard-normal noise: Philox4x32-10 + a fixed Box–Muller transform (docs/noise.md).
// Element i of stream s under seed k is a pure function of (k, s, i), so any slice can be generated on
// any thread or device and the result never depends on how the work is split.
#pragma once
#include <array>
#include <cstdint>

namespace glide::cpu {

// One Philox4x32-10 block (Salmon et al. 2011; Random123's known-answer vectors hold).
std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> counter, std::array<uint32_t, 2> key);

// out[j] = normal(seed, stream, first + j) for j < count; float32, bit-reproducible (see docs/noise.md).
void philox_normal_fill(uint64_t seed, uint64_t stream, uint64_t first, int64_t count, float* out);

// The deterministic float64 elementary functions of the transform, exposed for the tests.
double noise_log(double u);                     // ln u for u in (0, 1]
void noise_sincos_turns(double v, double* s, double* c);  // sin/cos of 2πv for v in [0, 1)

}  // namespace glide::cpu
