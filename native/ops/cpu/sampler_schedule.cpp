// The `squaredcos_cap_v2` beta schedule in float64, evaluated with the C library's cos.
// Why native: the reference (Python's math.cos → glibc) and V8's Math.cos disagree by one ulp on ~7% of
// the inputs, and 1 − ᾱ(t2)/ᾱ(t1) cancels ~12 bits for small t, so a one-ulp cos difference becomes a
// ~3000-ulp beta difference. Computing it here with std::cos reproduces the reference exactly on glibc.
#include "ops/cpu/sampler_schedule.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace glide::cpu {

namespace {

constexpr double kPi = 3.141592653589793;  // Python's math.pi

// Same operations as the reference lambda: ((t + 0.008) / 1.008 * π) / 2, cos, then `** 2`, which Python
// evaluates with the C library's pow. glibc's pow(c, 2) is not always c·c (c = 0x1.3ce1d1c19df39p-1, hit by
// T = 4000, rounds the other way), and compilers fold a literal pow(c, 2.0) into c·c, so the exponent is
// read from a volatile.
double alpha_bar(double t) {
  static volatile double two = 2.0;
  return std::pow(std::cos((t + 0.008) / 1.008 * kPi / 2), two);
}

}  // namespace

std::vector<double> squaredcos_cap_v2_betas(int steps) {
  if (steps < 1) throw std::invalid_argument("squaredcos_cap_v2: diffusion_steps must be >= 1, got " + std::to_string(steps));
  std::vector<double> betas(static_cast<size_t>(steps));
  for (int i = 0; i < steps; i++) {
    const double t1 = static_cast<double>(i) / steps;
    const double t2 = static_cast<double>(i + 1) / steps;
    betas[static_cast<size_t>(i)] = std::min(1 - alpha_bar(t2) / alpha_bar(t1), 0.999);
  }
  return betas;
}

}  // namespace glide::cpu
