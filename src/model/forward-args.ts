/** Validation of `GlideModel.forward` arguments, turning them into the addon's plain form. */
import type { GlideConfig, GlideKind } from "../checkpoint/index.js";
import type { NativeForwardArgs } from "../native.js";
import { checkTensor, type Tensor } from "./tensor.js";
import { NativeTextContext, type TextContext } from "./text-context.js";
import { packTokens } from "./tokens.js";

/** Arguments of one UNet call. */
export interface ForwardArgs {
  /** Noisy image [N, 3, S, S]. */
  x: Tensor;
  /** N timesteps on the original scale (0 … diffusion_steps−1). */
  timesteps: number[];
  /** Prompt tokens [N][text_ctx] with their mask — or a prepared `text` instead. */
  tokens?: number[][];
  mask?: boolean[][];
  /** Text prepared once per sample with `prepareText` (batch N). */
  text?: TextContext;
  /** Upsamplers: the low-resolution image [N, 3, s, s], resized bilinearly to S inside the model. */
  lowRes?: Tensor;
  /** Inpainting models: the known image [N, 3, S, S] (zeros if absent). */
  inpaintImage?: Tensor;
  /** Inpainting models: the mask [N, 1, S, S], 1 = known (zeros if absent). */
  inpaintMask?: Tensor;
}

/** Channels of x: the stored input conv channels minus the conditioning ones. */
export function imageChannels(c: GlideConfig): number {
  return (c.in_channels - (c.inpaint ? 1 : 0)) / (1 + (c.inpaint ? 1 : 0) + (c.super_res ? 1 : 0));
}

/** Checks `a` against the model and returns the addon arguments. `owner` identifies the model for TextContexts. */
export function forwardArgs(
  a: ForwardArgs,
  model: { kind: GlideKind; config: GlideConfig; owner: object },
): NativeForwardArgs {
  const where = "forward";
  if (typeof a !== "object" || a === null) throw new TypeError(`${where}: arguments must be an object`);
  const c = model.config;
  const ch = imageChannels(c);
  const [n, , h, w] = checkTensor(`${where}: x`, a.x, [null, ch, null, null], `[N, ${ch}, H, W]`);
  // Every downsampling must halve evenly so the skip connections line up on the way back up.
  const factor = 2 ** (c.channel_mult.length - 1);
  if (h % factor !== 0 || w % factor !== 0) {
    throw new Error(`${where}: x is ${h}×${w}, but this model needs sides divisible by ${factor} (it downsamples ${c.channel_mult.length - 1} times; trained at ${c.image_size}×${c.image_size})`);
  }

  if (!Array.isArray(a.timesteps) || a.timesteps.length !== n) {
    throw new Error(`${where}: timesteps must be an array of ${n} numbers (one per row of x), got ${Array.isArray(a.timesteps) ? a.timesteps.length : typeof a.timesteps}`);
  }
  const maxT = c.diffusion_steps - 1;
  a.timesteps.forEach((t, i) => {
    if (typeof t !== "number" || !Number.isFinite(t) || t < 0 || t > maxT) {
      throw new Error(`${where}: timesteps[${i}] = ${JSON.stringify(t)} is outside the original scale [0, ${maxT}]`);
    }
  });
  const out: NativeForwardArgs = { x: a.x, timesteps: a.timesteps };

  if (c.xf_width > 0) {
    if (a.text !== undefined) {
      if (a.tokens !== undefined || a.mask !== undefined) throw new Error(`${where}: give either text or tokens/mask, not both`);
      if (!(a.text instanceof NativeTextContext) || a.text.owner !== model.owner) {
        throw new Error(`${where}: text must be a TextContext prepared by this model's prepareText`);
      }
      if (a.text.batch !== n) throw new Error(`${where}: the TextContext holds ${a.text.batch} prompts but x has batch ${n}`);
      out.text = a.text.nativeHandle(where);
    } else {
      if (a.tokens === undefined || a.mask === undefined) {
        throw new Error(`${where}: this model is text-conditioned; pass tokens and mask (from tokenize) or a text context`);
      }
      out.tokens = packTokens(where, { tokens: a.tokens, mask: a.mask }, c, n);
    }
  } else if (a.text !== undefined || a.tokens !== undefined || a.mask !== undefined) {
    throw new Error(`${where}: this model has no text encoder (xf_width = 0); do not pass tokens, mask or text`);
  }

  if (c.super_res) {
    if (a.lowRes === undefined) throw new Error(`${where}: the ${model.kind} model needs lowRes [N, ${ch}, h, w]`);
    checkTensor(`${where}: lowRes`, a.lowRes, [n, ch, null, null], `[${n}, ${ch}, h, w]`);
    out.lowRes = a.lowRes;
  } else if (a.lowRes !== undefined) {
    throw new Error(`${where}: lowRes is only used by upsampler models, not by a ${model.kind} model`);
  }

  if (c.inpaint) {
    if (a.inpaintImage !== undefined) {
      checkTensor(`${where}: inpaintImage`, a.inpaintImage, [n, ch, h, w], `[${n}, ${ch}, ${h}, ${w}]`);
      out.inpaintImage = a.inpaintImage;
    }
    if (a.inpaintMask !== undefined) {
      checkTensor(`${where}: inpaintMask`, a.inpaintMask, [n, 1, h, w], `[${n}, 1, ${h}, ${w}]`);
      out.inpaintMask = a.inpaintMask;
    }
  } else if (a.inpaintImage !== undefined || a.inpaintMask !== undefined) {
    throw new Error(`${where}: inpaintImage/inpaintMask are only used by inpainting models, not by a ${model.kind} model`);
  }
  return out;
}
