// The official full-size GLIDE configurations (glide_text2im model_creation.py):
// model_and_diffusion_defaults() for the 64×64 base model and model_and_diffusion_defaults_upsampler()
// for the 256×256 upsampler, resolved as src/checkpoint's GlideConfig.
const common = {
  num_channels: 192, num_heads: 1, num_head_channels: 64, num_heads_upsample: -1, attention_resolutions: [32, 16, 8],
  text_ctx: 128, xf_width: 512, xf_layers: 16, xf_heads: 8, xf_final_ln: true, xf_padding: true,
  use_scale_shift_norm: true, resblock_updown: true, inpaint: false, diffusion_steps: 1000, n_vocab: 50257,
  out_channels: 6,
};

/** Base 64×64: num_res_blocks 3, channel_mult 1,2,3,4, squaredcos_cap_v2. */
export const BASE = {
  ...common, image_size: 64, num_res_blocks: 3, channel_mult: [1, 2, 3, 4], super_res: false,
  noise_schedule: "squaredcos_cap_v2", in_channels: 3,
};

/** Upsampler 64→256: num_res_blocks 2, channel_mult 1,1,2,2,4,4, linear schedule, low-res input concatenated. */
export const UPSAMPLE = {
  ...common, image_size: 256, num_res_blocks: 2, channel_mult: [1, 1, 2, 2, 4, 4], super_res: true,
  noise_schedule: "linear", in_channels: 6,
};
