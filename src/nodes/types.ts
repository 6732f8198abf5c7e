/**
 * Values carried by the GLIDE link types. They are plain objects so nodes stay pure functions of
 * their inputs; models are shared objects owned by the executor's model cache.
 */
import type { GradientGuidance, SamplingModel, TokenBatch } from "../diffusion/index.js";

/** GLIDE_MODEL: a loaded GLIDE UNet (base, upsample, base-inpaint or upsample-inpaint). */
export type GlideModelValue = SamplingModel & { readonly path?: string };

/** CONDITIONING: one prompt tokenised for the model it was encoded with. */
export interface Conditioning {
  text: string;
  /** One row of tokens + mask for `model`. */
  tokens: TokenBatch;
  /** The model the tokens were made for (another model re-tokenises the text). */
  model: GlideModelValue;
}

/**
 * A gradient guidance term (CLIP guidance): built per sampling run once the batch layout is known,
 * because the guide needs the prompts and the row count.
 */
export interface GradientTerm {
  kind: string;
  create(args: { model: GlideModelValue; batch: number; rows: number; imageSize: number }): Promise<GradientGuidance>;
}

/**
 * GUIDANCE: how to steer sampling. Composable: `Guidance` sets the classifier-free part, guidance
 * nodes such as CLIP guidance add gradient terms to an existing value.
 */
export interface GuidanceValue {
  /** The prompt the UNet is conditioned on. */
  positive: Conditioning;
  /** Classifier-free guidance's unconditional prompt (default: the empty prompt). */
  negative?: Conditioning;
  /** Classifier-free guidance scale; absent = no classifier-free guidance. */
  cfgScale?: number;
  /** Gradient terms summed at every step. */
  gradients?: GradientTerm[];
}
