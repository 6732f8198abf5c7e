// Per-element math of gaussian_diffusion.p_sample / ddim_sample (+ the notebooks' CFG model_fn and
// inpainting denoised_fn) in float32, transcribed from the CPU twin as __host__ __device__ code: the kernel
// runs it on the GPU, sampler_step_emulated on the host for the tests.
#include <cmath>
#include <stdexcept>

#include "ops/cuda/kernel_common.cuh"
#include "ops/cuda/sampler_step.h"

namespace glide::cuda {
namespace {

struct StepConstants {
  float sigma, ddim_x0_coef, ddim_eps_coef, score_coef;
  bool needs_noise;
};

__host__ __device__ inline StepConstants step_constants(SamplerKind kind, float eta, const StepCoefficients& k) {
  StepConstants c;
  // DDIM's σ and its coefficients are float32 tensor math in the reference.
  c.sigma = kind == SamplerKind::Ddim
                ? eta * sqrtf((1.0f - k.alphas_cumprod_prev) / (1.0f - k.alphas_cumprod)) *
                      sqrtf(1.0f - k.alphas_cumprod / k.alphas_cumprod_prev)
                : 0.0f;
  c.ddim_x0_coef = sqrtf(k.alphas_cumprod_prev);
  c.ddim_eps_coef = sqrtf(1.0f - k.alphas_cumprod_prev - c.sigma * c.sigma);
  c.score_coef = sqrtf(1.0f - k.alphas_cumprod);
  c.needs_noise = !k.final_step && (kind == SamplerKind::Ddpm || c.sigma != 0.0f);
  return c;
}

// Guided ε at (row r, channel c, pixel p): under CFG every row r uses the guided ε of row r mod B.
__host__ __device__ inline float epsilon_at(const DeviceStepArgs& a, int64_t r, int64_t c, int64_t p) {
  const int64_t out_row = 2 * a.channels * a.plane;
  if (!a.guided) return a.model_out[r * out_row + c * a.plane + p];
  const int64_t half_rows = a.rows / 2;
  const int64_t b = r % half_rows;
  const float cond = a.model_out[b * out_row + c * a.plane + p];
  const float uncond = a.model_out[(b + half_rows) * out_row + c * a.plane + p];
  return uncond + a.guidance_scale * (cond - uncond);
}

// A missing draw reads as 0: callers check on the host that steps which need one get one.
__host__ __device__ inline float noise_at(const DeviceStepArgs& a, int64_t i) { return a.noise ? a.noise[i] : 0.0f; }

__host__ __device__ inline void step_element(const DeviceStepArgs& a, const StepCoefficients& k, const StepConstants& sc,
                                             int64_t i) {
  const int64_t per_row = a.channels * a.plane;
  const int64_t r = i / per_row;
  const int64_t c = (i % per_row) / a.plane;
  const int64_t p = i % a.plane;
  const float x = a.x[i];
  float eps = epsilon_at(a, r, c, p);
  float x0 = k.sqrt_recip_alphas_cumprod * x - k.sqrt_recipm1_alphas_cumprod * eps;
  if (a.inpaint_image) {
    const float m = a.inpaint_mask[r * a.plane + p];
    x0 = x0 * (1.0f - m) + a.inpaint_image[i] * m;
  }
  if (a.clip_denoised) x0 = fminf(fmaxf(x0, -1.0f), 1.0f);

  if (a.kind == SamplerKind::Ddpm) {
    const float v = a.model_out[r * 2 * per_row + (a.channels + c) * a.plane + p];
    const float frac = (v + 1.0f) / 2.0f;
    const float log_var = frac * k.max_log + (1.0f - frac) * k.min_log;
    float mean = k.posterior_mean_coef1 * x0 + k.posterior_mean_coef2 * x;
    if (a.grad) mean = mean + expf(log_var) * a.grad[i];
    a.x_next[i] = k.final_step ? mean : mean + expf(0.5f * log_var) * noise_at(a, i);
  } else {
    if (a.grad) {
      eps = (k.sqrt_recip_alphas_cumprod * x - x0) / k.sqrt_recipm1_alphas_cumprod;
      eps = eps - sc.score_coef * a.grad[i];
      x0 = k.sqrt_recip_alphas_cumprod * x - k.sqrt_recipm1_alphas_cumprod * eps;
    }
    eps = (k.sqrt_recip_alphas_cumprod * x - x0) / k.sqrt_recipm1_alphas_cumprod;
    const float mean = x0 * sc.ddim_x0_coef + sc.ddim_eps_coef * eps;
    a.x_next[i] = sc.needs_noise ? mean + sc.sigma * noise_at(a, i) : mean;
  }
  a.pred_xstart[i] = x0;
}

__global__ void sampler_step_kernel(const DeviceStepArgs a, const StepCoefficients* __restrict__ coef) {
  const StepCoefficients k = *coef;
  const StepConstants sc = step_constants(a.kind, a.eta, k);
  GLIDE_GRID_STRIDE(i, a.rows * a.channels * a.plane) step_element(a, k, sc, i);
}

void check_args(const DeviceStepArgs& a) {
  if (a.rows <= 0 || a.channels <= 0 || a.plane <= 0) throw std::invalid_argument("sampler_step: empty tensor");
  if (a.guided && a.rows % 2 != 0) throw std::invalid_argument("sampler_step: guidance needs an even row count");
  if (!a.x || !a.model_out || !a.x_next || !a.pred_xstart) throw std::invalid_argument("sampler_step: missing buffer");
  if ((a.inpaint_image == nullptr) != (a.inpaint_mask == nullptr))
    throw std::invalid_argument("sampler_step: inpainting needs both image and mask");
}

}  // namespace

void sampler_step(const DeviceStepArgs& a, const StepCoefficients* coef, const StepCoefficients* host_coef,
                  cudaStream_t stream) {
  check_args(a);
  if (host_coef != nullptr && !a.noise && step_constants(a.kind, a.eta, *host_coef).needs_noise)
    throw std::invalid_argument("sampler_step: this step needs noise");
  sampler_step_kernel<<<grid_for(a.rows * a.channels * a.plane), kBlock, 0, stream>>>(a, coef);
  GLIDE_CUDA_CHECK_LAUNCH();
}

void sampler_step_emulated(const DeviceStepArgs& a, const StepCoefficients& coef) {
  check_args(a);
  const StepConstants sc = step_constants(a.kind, a.eta, coef);
  if (sc.needs_noise && !a.noise) throw std::invalid_argument("sampler_step: this step needs noise");
  for (int64_t i = 0; i < a.rows * a.channels * a.plane; ++i) step_element(a, coef, sc, i);
}

}  // namespace glide::cuda
