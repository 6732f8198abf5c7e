// Hyper-parameters of the noised CLIP encoders (glide_text2im/clip): resolved on the JS side from the
// checkpoint shapes and the official config names (src/clip/config.ts).
#pragma once
#include <cstdint>

namespace glide {

/** ImageEncoder: a ViT over (image_size/patch_size)² patches plus a timestep token. */
struct ClipImageConfig {
  int64_t image_size = 64;
  int64_t patch_size = 4;
  int64_t width = 768;  // n_state = n_head_image · n_head_state_image
  int64_t heads = 12;   // n_head_image
  int64_t blocks = 12;  // n_xf_blocks_image
  int64_t n_timesteps = 1000;
  int64_t n_embd = 512;
};

/** TextEncoder: a causal transformer over max_text_len tokens. */
struct ClipTextConfig {
  int64_t n_vocab = 65536;
  int64_t max_text_len = 77;
  int64_t width = 512;  // n_state = n_head_text · n_head_state_text
  int64_t heads = 8;    // n_head_text
  int64_t blocks = 12;  // n_xf_blocks_text
  int64_t n_embd = 512;
};

}  // namespace glide
