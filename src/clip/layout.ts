/** The state-dict layout of the noised CLIP encoders: every tensor name and shape a config implies. */
import type { ClipConfig } from "./config.js";

/** Width (n_state) of the image transformer. */
export function imageWidth(c: ClipConfig): number {
  return c.n_head_image * c.n_head_state_image;
}

/** Width (n_state) of the text transformer. */
export function textWidth(c: ClipConfig): number {
  return c.n_head_text * c.n_head_state_text;
}

function blockTensors(out: Map<string, number[]>, blocks: number, w: number): void {
  for (let i = 0; i < blocks; i++) {
    const p = `blocks.block_${i}`;
    out.set(`${p}.f_attn.ln.g`, [w]);
    out.set(`${p}.f_attn.ln.b`, [w]);
    out.set(`${p}.f_attn.f_q.w`, [w, w]);
    out.set(`${p}.f_attn.f_q.b`, [w]);
    out.set(`${p}.f_attn.f_k.w`, [w, w]); // the key projection has no bias
    out.set(`${p}.f_attn.f_v.w`, [w, w]);
    out.set(`${p}.f_attn.f_v.b`, [w]);
    out.set(`${p}.f_attn.f_c.w`, [w, w]);
    out.set(`${p}.f_attn.f_c.b`, [w]);
    out.set(`${p}.f_mlp.ln.g`, [w]);
    out.set(`${p}.f_mlp.ln.b`, [w]);
    out.set(`${p}.f_mlp.f_1.w`, [4 * w, w]);
    out.set(`${p}.f_mlp.f_1.b`, [4 * w]);
    out.set(`${p}.f_mlp.f_2.w`, [w, 4 * w]);
    out.set(`${p}.f_mlp.f_2.b`, [w]);
  }
}

/** Tensors of `clip_image_enc.pt` (ImageEncoder with a timestep token) under config `c`. */
export function expectedClipImageTensors(c: ClipConfig): Map<string, number[]> {
  const w = imageWidth(c);
  const grid = c.image_size / c.patch_size;
  const out = new Map<string, number[]>([
    ["blocks.input.w_t", [c.n_timesteps, w]],
    ["blocks.input.patch_proj", [w, 3, c.patch_size, c.patch_size]],
    ["blocks.input.w_pos", [1 + grid * grid, w]],
    ["blocks.input.ln.g", [w]],
    ["blocks.input.ln.b", [w]],
  ]);
  blockTensors(out, c.n_xf_blocks_image, w);
  out.set("blocks.output.ln.g", [w]);
  out.set("blocks.output.ln.b", [w]);
  out.set("blocks.output.f.w", [c.n_embd, w]);
  return out;
}

/** Tensors of `clip_text_enc.pt` (TextEncoder) under config `c`. */
export function expectedClipTextTensors(c: ClipConfig): Map<string, number[]> {
  const w = textWidth(c);
  const out = new Map<string, number[]>([
    ["blocks.input.w_voc", [c.n_vocab, w]],
    ["blocks.input.w_pos", [c.max_text_len, w]],
  ]);
  blockTensors(out, c.n_xf_blocks_text, w);
  out.set("blocks.output.ln.g", [w]);
  out.set("blocks.output.ln.b", [w]);
  out.set("blocks.output.f.w", [c.n_embd, w]);
  return out;
}
