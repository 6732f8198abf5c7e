// Diffusion noise schedules that need the C library's math (see sampler_schedule.cpp for why).
#pragma once
#include <vector>

namespace glide::cpu {

// betas[i] = min(1 − ᾱ((i+1)/T)/ᾱ(i/T), 0.999) with ᾱ(t) = cos((t + 0.008)/1.008 · π/2)², float64.
std::vector<double> squaredcos_cap_v2_betas(int steps);

}  // namespace glide::cpu
