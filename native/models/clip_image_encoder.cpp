#include "models/clip_image_encoder.h"

#include <cstring>

#include "core/error.h"
#include "models/clip_normalize.h"
#include "ops/cpu/backward.h"
#include "ops/cpu/cpu_backend.h"

namespace glide {
namespace {

// CLIP's pixel statistics in 0..255 units: constants of the reference code, not checkpoint entries.
constexpr float kChannelMeans[3] = {122.77093945f, 116.74601272f, 104.09373519f};
constexpr float kChannelStds[3] = {68.50053285f, 66.63215831f, 70.32316309f};

}  // namespace

/** Activations of one forward that the reverse pass reads. */
struct ClipImageEncoder::Trace {
  Tensor embedded;  // [N, L, W]: tokens + w_pos, the input of blocks.input.ln
  std::vector<ClipBlockActivations> blocks;
  Tensor token0;    // [N, W]: the last block's token 0, the input of blocks.output.ln
};

ClipImageEncoder::ClipImageEncoder(const ClipImageConfig& config, WeightLoader& w)
    : config_(config),
      w_t_(w.load("blocks.input.w_t", {config.n_timesteps, config.width})),
      patch_proj_(w.load("blocks.input.patch_proj", {config.width, 3, config.patch_size, config.patch_size})),
      w_pos_(w.load("blocks.input.w_pos",
                    {1 + (config.image_size / config.patch_size) * (config.image_size / config.patch_size), config.width})),
      input_ln_(ClipLayerNorm::load(w, "blocks.input.ln", config.width)),
      output_ln_(ClipLayerNorm::load(w, "blocks.output.ln", config.width)),
      output_f_(ClipAffine::load(w, "blocks.output.f", config.width, config.n_embd, false)) {
  check(config.patch_size > 0 && config.image_size % config.patch_size == 0, w.file(), ": image_size ", config.image_size,
        " is not a multiple of patch_size ", config.patch_size);
  check(config.heads > 0 && config.width % config.heads == 0, w.file(), ": width ", config.width,
        " is not divisible into ", config.heads, " heads");
  blocks_.reserve(static_cast<size_t>(config.blocks));
  for (int64_t i = 0; i < config.blocks; ++i)
    blocks_.emplace_back(w, "blocks.block_" + std::to_string(i), config.width, config.heads, false);
}

void ClipImageEncoder::check_inputs(const std::vector<float>& x, const std::vector<int64_t>& timesteps) const {
  const int64_t n = static_cast<int64_t>(timesteps.size()), s = config_.image_size;
  check(n > 0, "CLIP image encoder: empty batch");
  check(static_cast<int64_t>(x.size()) == n * 3 * s * s, "CLIP image encoder: x must be [", n, ", 3, ", s, ", ", s,
        "] (", n * 3 * s * s, " values), got ", x.size(), " values");
  for (int64_t t : timesteps)
    check(t >= 0 && t < config_.n_timesteps, "CLIP image encoder: timestep ", t, " is outside 0…",
          config_.n_timesteps - 1);
}

Tensor ClipImageEncoder::run(Backend& be, const std::vector<float>& x, const std::vector<int64_t>& timesteps,
                             Trace* trace) const {
  const int64_t n = static_cast<int64_t>(timesteps.size()), s = config_.image_size, p = config_.patch_size;
  const int64_t grid = s / p, patches = grid * grid, len = 1 + patches, width = config_.width;
  // (x + 1)·127.5 into 0..255 units, then the channel normalisation, in the reference's float32 order.
  std::vector<float> pixels(x.size());
  const int64_t plane = s * s;
  for (int64_t i = 0; i < static_cast<int64_t>(x.size()); ++i) {
    const int64_t c = (i / plane) % 3;
    pixels[i] = ((x[i] + 1.0f) * 127.5f - kChannelMeans[c]) / kChannelStds[c];
  }
  const Tensor image = be.upload(pixels.data(), {n, 3, s, s});
  // tokens [N, (S/p)², W], patch index = row·(S/p) + col
  const Tensor tokens = be.transpose_last2(be.conv2d(image, patch_proj_, nullptr, static_cast<int>(p), 0).reshape({n, width, patches}));
  std::vector<Tensor> timestep_tokens;
  for (int64_t t : timesteps) timestep_tokens.push_back(be.select(w_t_, 0, t).reshape({1, 1, width}));
  const Tensor embedded = be.add(be.concat({be.concat(timestep_tokens, 0), tokens}, 1), w_pos_.reshape({1, len, width}));
  Tensor h = input_ln_(be, embedded);
  if (trace != nullptr) {
    trace->embedded = embedded;
    trace->blocks.resize(blocks_.size());
  }
  for (size_t i = 0; i < blocks_.size(); ++i) h = blocks_[i].forward(be, h, trace ? &trace->blocks[i] : nullptr);
  const Tensor token0 = be.select(h, 1, 0);  // [N, W]
  if (trace != nullptr) trace->token0 = token0;
  return output_f_(be, output_ln_(be, token0));
}

Tensor ClipImageEncoder::forward(Backend& be, const std::vector<float>& x, const std::vector<int64_t>& timesteps) const {
  check_inputs(x, timesteps);
  return run(be, x, timesteps, nullptr);
}

std::vector<float> ClipImageEncoder::gradient(Backend& be, const std::vector<float>& x,
                                              const std::vector<int64_t>& timesteps, const std::vector<float>& text,
                                              float logit_scale, float grad_scale) const {
  check_inputs(x, timesteps);
  check(be.device() == Device::Cpu, "CLIP gradient: the reverse pass runs on the CPU backend only");
  const int64_t n = static_cast<int64_t>(timesteps.size()), e = config_.n_embd, width = config_.width;
  const int64_t s = config_.image_size, p = config_.patch_size, grid = s / p, patches = grid * grid, len = 1 + patches;
  check(static_cast<int64_t>(text.size()) == n * e, "CLIP gradient: text embeddings must be [", n, ", ", e, "], got ",
        text.size(), " values");

  Trace trace;
  const Tensor z = run(be, x, timesteps, &trace);
  std::vector<float> zh(static_cast<size_t>(z.numel()));
  be.download(z, zh.data());

  // ∂/∂ẑ of logit_scale·Σ text·ẑ, then through the normalisation, f and the output LayerNorm (token 0 only).
  std::vector<float> dnormalized(text.size());
  for (size_t i = 0; i < text.size(); ++i) dnormalized[i] = logit_scale * text[i];
  const std::vector<float> dz = clip_normalize_backward(zh, dnormalized, n, e);
  Tensor dz_t = cpu_tensor({n, e});
  std::memcpy(dz_t.f32(), dz.data(), dz.size() * sizeof(float));
  const Tensor dtoken0 = output_ln_.backward(trace.token0, output_f_.backward(dz_t));
  Tensor dh = cpu_tensor({n, len, width});
  std::memset(dh.f32(), 0, dh.bytes());
  for (int64_t b = 0; b < n; ++b)
    std::memcpy(dh.f32() + b * len * width, dtoken0.f32() + b * width, static_cast<size_t>(width) * sizeof(float));

  for (size_t i = blocks_.size(); i-- > 0;) dh = blocks_[i].backward(trace.blocks[i], dh);
  const Tensor dembedded = input_ln_.backward(trace.embedded, dh);  // [N, L, W]

  // Patch tokens 1…L−1 back to the conv output layout [N, W, S/p, S/p] (the timestep token's gradient
  // only reaches w_t), then through the patch conv.
  Tensor dconv = cpu_tensor({n, width, grid, grid});
  const float* de = dembedded.f32();
  float* dc = dconv.f32();
  for (int64_t b = 0; b < n; ++b)
    for (int64_t t = 0; t < patches; ++t)
      for (int64_t c = 0; c < width; ++c) dc[(b * width + c) * patches + t] = de[(b * len + 1 + t) * width + c];
  const Tensor dpixels = cpu::conv2d_backward(dconv, patch_proj_, {n, 3, s, s}, static_cast<int>(p), 0);

  // Through the channel normalisation and (x + 1)·127.5, then the guidance scale (the reference's order).
  std::vector<float> grad(x.size());
  const float* dp = dpixels.f32();
  const int64_t plane = s * s;
  for (int64_t i = 0; i < static_cast<int64_t>(grad.size()); ++i) {
    const int64_t c = (i / plane) % 3;
    grad[i] = dp[i] / kChannelStds[c] * 127.5f * grad_scale;
  }
  return grad;
}

}  // namespace glide
