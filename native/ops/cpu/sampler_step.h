// One reverse-diffusion step (ancestral DDPM with learned-range variance, or DDIM with any η), applied
// to the model output of that step, including classifier-free-guidance mixing and inpainting denoise.
#pragma once
#include <cstdint>

namespace glide::cpu {

enum class SamplerKind { Ddpm, Ddim };

// Values of the respaced float64 schedule at index t, picked by the caller and cast to float32 (the
// reference indexes its float64 arrays and calls .float()).
struct StepCoefficients {
  float sqrt_recip_alphas_cumprod;
  float sqrt_recipm1_alphas_cumprod;
  float posterior_mean_coef1;
  float posterior_mean_coef2;
  float min_log;           // posterior_log_variance_clipped[t]
  float max_log;           // log(betas[t])
  float alphas_cumprod;    // DDIM
  float alphas_cumprod_prev;  // DDIM
  bool final_step;         // t == 0: the noise term is multiplied by 0
};

struct StepArgs {
  SamplerKind kind = SamplerKind::Ddpm;
  float eta = 0;                  // DDIM only
  int64_t rows = 0;               // R: rows of x (2B under guidance: conditional rows first)
  int64_t channels = 3;           // C; model_out has 2C channels (ε then v)
  int64_t plane = 0;              // H·W
  const float* x = nullptr;          // [R, C, H, W] step input
  const float* model_out = nullptr;  // [R, 2C, H, W] model output for this step's batch
  bool guided = false;               // classifier-free guidance: model_out rows are [cond B | uncond B]
  float guidance_scale = 0;          // s in ε̂ = ε_u + s·(ε_c − ε_u), used when guided
  const float* inpaint_image = nullptr;  // [R, C, H, W] or null: known pixels written into x₀
  const float* inpaint_mask = nullptr;   // [R, 1, H, W], 1 = keep
  bool clip_denoised = true;
  const float* noise = nullptr;  // [R, C, H, W] the step's draw; may be null when it is multiplied by 0
  const float* grad = nullptr;   // [R, C, H, W] cond_fn gradient at x (CLIP guidance) or null
  StepCoefficients coef{};
  float* x_next = nullptr;  // [R, C, H, W]
  float* pred_xstart = nullptr;  // [R, C, H, W] processed x₀ prediction
};

// Throws std::invalid_argument when the arguments are inconsistent (the glue validates shapes first).
void sampler_step(const StepArgs& a);

}  // namespace glide::cpu
