// The sampling loop on the GPU: x, the model output, the noise and the sampler step stay in device memory,
// and a whole denoising step — model input, UNet forward, seeded noise, sampler step — is captured once as a
// CUDA graph and replayed for every later step. The host writes three small things per step (timestep,
// schedule coefficients, noise stream) and reads back only what it asks for (previews, the final image).
//
// Step 0 runs eagerly (it warms up every kernel and fills the caches); step 1 captures the graph; later steps
// replay it. The caller lays out the rows as the host loop does (src/diffusion/sampler.ts): R = 2B under
// classifier-free guidance, conditional rows first, the model seeing [x[:B] | x[:B]].
#pragma once
#include <memory>
#include <vector>

#include "models/text_embedding.h"
#include "models/unet.h"
#include "ops/cuda/cuda_backend.h"
#include "ops/cuda/cuda_graph.h"
#include "ops/cuda/sampler_step.h"

namespace glide::cuda {

struct DeviceSamplerOptions {
  SamplerKind kind = SamplerKind::Ddpm;
  float eta = 0;
  bool clip_denoised = true;
  int64_t batch = 0;  // B
  int64_t rows = 0;   // R
  int64_t image_size = 0;
  bool guided = false;
  float guidance_scale = 0;
  bool seeded = false;  // noise from (seed, stream j + 1); otherwise each step passes its draw
  uint64_t seed = 0;
  std::vector<float> x_init;  // [R, 3, S, S], temperature applied
  // Host data laid out for R rows (empty when absent): low_res [R, 3, s, s]; inpaint image·mask [R, 3, S, S]
  // and mask [R, 1, S, S].
  Shape low_res_shape;
  std::vector<float> low_res, inpaint_image, inpaint_mask;
  bool use_graphs = true;  // false: every step eager (GLIDE_CUDA_GRAPHS=0, for debugging)
};

class DeviceSampler {
 public:
  /** Uploads the run's inputs onto the model's CUDA backend; `text` must hold R rows (or be null for a
   *  model without text). */
  DeviceSampler(std::shared_ptr<const GlideUNet> model, std::shared_ptr<const TextEmbedding> text,
                DeviceSamplerOptions options);
  ~DeviceSampler();
  DeviceSampler(const DeviceSampler&) = delete;
  DeviceSampler& operator=(const DeviceSampler&) = delete;

  /**
   * One step at original timestep `timestep` with the float32 schedule values `coef`; the noise is stream
   * `stream_id` of the seed, or `host_noise` [R, 3, S, S] (null when the step does not use noise). Returns
   * when the step finished on the device.
   */
  void step(float timestep, const StepCoefficients& coef, uint64_t stream_id, const float* host_noise);
  /** Copies the first `rows` rows of x (or of the last x₀ prediction) to `out`. */
  void read(bool pred, int64_t rows, float* out);
  /** Values per row of x: 3·S·S. */
  int64_t per_row() const { return per_row_; }
  /** Whether later steps replay a captured graph, and its size (for the benchmark's report). */
  bool graph_captured() const { return graph_ != nullptr; }
  size_t graph_nodes() const { return graph_ ? graph_->nodes() : 0; }

 private:
  // Enqueues one whole step on the stream (eagerly, or into a capture).
  void enqueue_step();

  std::shared_ptr<const GlideUNet> model_;
  std::shared_ptr<const TextEmbedding> text_;
  CudaBackend& be_;
  DeviceSamplerOptions opt_;
  int64_t per_row_ = 0;
  Tensor x_, x_next_, pred_, noise_;  // float32 [R, 3, S, S]
  Tensor x_model_;                    // compute dtype [R, 3, S, S]: what the UNet sees
  Tensor low_res_, inpaint_image_, inpaint_mask_;   // compute dtype, for the UNet
  Tensor step_image_, step_mask_;                   // float32, for the step's denoised_fn
  // Per-step parameters: written to pinned memory, copied to the device before each launch.
  struct Params {
    StepCoefficients coef;
    uint64_t key[2];  // seed, stream
  };
  Params* params_host_ = nullptr;
  float* timesteps_host_ = nullptr;
  std::shared_ptr<Storage> params_dev_, timesteps_dev_;
  std::unique_ptr<CapturedGraph> graph_;
  int64_t steps_done_ = 0;
};

}  // namespace glide::cuda
