// One reverse-diffusion step on the device (the CUDA twin of native/ops/cpu/sampler_step.cpp): ancestral
// DDPM with learned-range variance or DDIM with any η, classifier-free-guidance mixing, inpainting denoise,
// optional gradient guidance. Same arguments, device pointers, and the coefficients read from device
// memory so a captured graph can take new ones at every replay.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "ops/cpu/sampler_step.h"

namespace glide::cuda {

using cpu::SamplerKind;
using cpu::StepCoefficients;

struct DeviceStepArgs {
  SamplerKind kind = SamplerKind::Ddpm;
  float eta = 0;
  int64_t rows = 0, channels = 3, plane = 0;
  const float* x = nullptr;          // [R, C, H, W]
  const float* model_out = nullptr;  // [R, 2C, H, W]
  bool guided = false;
  float guidance_scale = 0;
  const float* inpaint_image = nullptr;  // [R, C, H, W] or null
  const float* inpaint_mask = nullptr;   // [R, 1, H, W]
  bool clip_denoised = true;
  const float* noise = nullptr;  // [R, C, H, W]; ignored when the step's noise term is 0
  const float* grad = nullptr;   // [R, C, H, W] or null
  float* x_next = nullptr;
  float* pred_xstart = nullptr;
};

/**
 * Checks `a` (std::invalid_argument, as the CPU step) and enqueues the step with the coefficients at `coef`
 * (device memory). `host_coef`, when the host knows them, lets the check require noise exactly when the
 * step uses it; without it (a graph replay) the caller guarantees a draw, and a null one reads as zeros.
 */
void sampler_step(const DeviceStepArgs& a, const StepCoefficients* coef, const StepCoefficients* host_coef,
                  cudaStream_t stream);

/** The device kernel's arithmetic run on the host over host pointers (the transcription check of the tests). */
void sampler_step_emulated(const DeviceStepArgs& a, const StepCoefficients& coef);

}  // namespace glide::cuda
