// Per-element math of gaussian_diffusion.p_sample / ddim_sample (+ the notebooks' CFG model_fn and
// inpainting denoised_fn), float32 throughout like the reference tensors. See the fixture README
// sections "How one ancestral step consumes noise", "DDIM step" and "Classifier-free guidance".
#include "ops/cpu/sampler_step.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace glide::cpu {

namespace {

// Guided ε at (row r, channel c, pixel p): under CFG the model ran on [x[:B] | x[:B]] with
// [cond | uncond] text, and every row r uses the guided ε of row r mod B (model_fn's cat([ε̂, ε̂])).
inline float epsilon_at(const StepArgs& a, int64_t r, int64_t c, int64_t p) {
  const int64_t out_row = 2 * a.channels * a.plane;
  if (!a.guided) return a.model_out[r * out_row + c * a.plane + p];
  const int64_t half = a.rows / 2;
  const int64_t b = r % half;
  const float cond = a.model_out[b * out_row + c * a.plane + p];
  const float uncond = a.model_out[(b + half) * out_row + c * a.plane + p];
  return uncond + a.guidance_scale * (cond - uncond);
}

}  // namespace

void sampler_step(const StepArgs& a) {
  if (a.rows <= 0 || a.channels <= 0 || a.plane <= 0) throw std::invalid_argument("sampler_step: empty tensor");
  if (a.guided && a.rows % 2 != 0) throw std::invalid_argument("sampler_step: guidance needs an even row count");
  if (!a.x || !a.model_out || !a.x_next || !a.pred_xstart) throw std::invalid_argument("sampler_step: missing buffer");
  if ((a.inpaint_image == nullptr) != (a.inpaint_mask == nullptr))
    throw std::invalid_argument("sampler_step: inpainting needs both image and mask");

  const StepCoefficients k = a.coef;
  // DDIM's σ and its coefficients are float32 tensor math in the reference (alpha_bar tensors are float32).
  const float sigma = a.kind == SamplerKind::Ddim
                          ? a.eta * std::sqrt((1.0f - k.alphas_cumprod_prev) / (1.0f - k.alphas_cumprod)) *
                                std::sqrt(1.0f - k.alphas_cumprod / k.alphas_cumprod_prev)
                          : 0.0f;
  const float ddim_x0_coef = std::sqrt(k.alphas_cumprod_prev);
  const float ddim_eps_coef = std::sqrt(1.0f - k.alphas_cumprod_prev - sigma * sigma);
  const float score_coef = std::sqrt(1.0f - k.alphas_cumprod);  // condition_score's √(1 − ᾱ)
  const bool needs_noise = !k.final_step && (a.kind == SamplerKind::Ddpm || sigma != 0.0f);
  if (needs_noise && !a.noise) throw std::invalid_argument("sampler_step: this step needs noise");

  const int64_t per_row = a.channels * a.plane;
  const int64_t total = a.rows * per_row;
#pragma omp parallel for schedule(static) if (total > 32768)
  for (int64_t i = 0; i < total; i++) {
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
    if (a.clip_denoised) x0 = std::min(std::max(x0, -1.0f), 1.0f);

    if (a.kind == SamplerKind::Ddpm) {
      const float v = a.model_out[r * 2 * per_row + (a.channels + c) * a.plane + p];
      const float frac = (v + 1.0f) / 2.0f;
      const float log_var = frac * k.max_log + (1.0f - frac) * k.min_log;
      float mean = k.posterior_mean_coef1 * x0 + k.posterior_mean_coef2 * x;
      if (a.grad) mean = mean + std::exp(log_var) * a.grad[i];  // condition_mean: gradient at the input x
      a.x_next[i] = k.final_step ? mean : mean + std::exp(0.5f * log_var) * a.noise[i];
    } else {
      if (a.grad) {  // condition_score: shift ε by −√(1 − ᾱ)·∇, re-derive x₀ (not clamped again)
        eps = (k.sqrt_recip_alphas_cumprod * x - x0) / k.sqrt_recipm1_alphas_cumprod;
        eps = eps - score_coef * a.grad[i];
        x0 = k.sqrt_recip_alphas_cumprod * x - k.sqrt_recipm1_alphas_cumprod * eps;
      }
      eps = (k.sqrt_recip_alphas_cumprod * x - x0) / k.sqrt_recipm1_alphas_cumprod;
      const float mean = x0 * ddim_x0_coef + ddim_eps_coef * eps;
      a.x_next[i] = needs_noise ? mean + sigma * a.noise[i] : mean;
    }
    a.pred_xstart[i] = x0;
  }
}

}  // namespace glide::cpu
