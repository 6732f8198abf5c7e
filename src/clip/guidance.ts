/** CLIP guidance as a sampling hook: the reference's `cond_fn`, with the text embedded once per run. */
import type { GradientGuidance, Tensor } from "../diffusion/types.js";
import type { ClipModel } from "./model.js";

/** `sample(model, { clipGuidance })`: steer every DDPM step along scale·∇ₓ CLIP(x_t, t, prompt). */
export interface ClipGuidanceOptions {
  clip: ClipModel;
  /** One prompt per sample, or one for all. */
  prompts: string[];
  /** Gradient scale (the notebooks use 3). */
  scale: number;
}

/** How a sampling run lays out its rows. */
export interface GuidanceLayout {
  /** Samples B. */
  batch: number;
  /** Rows the loop carries: B, or 2B under classifier-free guidance (conditional rows first). */
  rows: number;
  /** The sampled images' side. */
  imageSize: number;
}

/**
 * A {@link GradientGuidance} computing CLIP's gradient for the first `batch` rows. Under classifier-free
 * guidance the unconditional rows get 0: the model only ever sees the conditional rows' x, so their
 * trajectory cannot change the result.
 * @throws TypeError naming the option at fault.
 */
export async function clipGradientGuidance(opts: ClipGuidanceOptions, layout: GuidanceLayout): Promise<GradientGuidance> {
  const { clip, prompts, scale } = opts ?? ({} as ClipGuidanceOptions);
  if (!clip || typeof clip.gradient !== "function") throw new TypeError("clipGuidance.clip must be a model from loadClip");
  if (!Array.isArray(prompts) || !prompts.every((p) => typeof p === "string") || (prompts.length !== 1 && prompts.length !== layout.batch)) {
    throw new TypeError(`clipGuidance.prompts must be ${layout.batch === 1 ? "one string" : `1 or ${layout.batch} strings (one per sample)`}`);
  }
  if (typeof scale !== "number" || !Number.isFinite(scale)) throw new TypeError(`clipGuidance.scale must be a finite number, got ${String(scale)}`);
  if (clip.config.image_size !== layout.imageSize) {
    throw new TypeError(
      `clipGuidance: the CLIP image encoder (${clip.imagePath}) takes ${clip.config.image_size}×${clip.config.image_size} images but this model samples ${layout.imageSize}×${layout.imageSize}`,
    );
  }
  const { batch, rows } = layout;
  const text = await clip.textEmbeddings(prompts.length === batch ? prompts : new Array<string>(batch).fill(prompts[0]));
  return {
    async gradient(x: Tensor, timesteps: number[]): Promise<Tensor> {
      const per = x.data.length / rows;
      const guided = { shape: [batch, ...x.shape.slice(1)], data: x.data.subarray(0, batch * per) };
      const g = await clip.gradient(guided, timesteps.slice(0, batch), text, scale);
      if (rows === batch) return g;
      const data = new Float32Array(x.data.length);
      data.set(g.data);
      return { shape: [...x.shape], data };
    },
  };
}

/** Sums gradient guidances (either may be absent). */
export function addGradientGuidance(a: GradientGuidance | undefined, b: GradientGuidance | undefined): GradientGuidance | undefined {
  if (!a || !b) return a ?? b;
  return {
    async gradient(x: Tensor, timesteps: number[]): Promise<Tensor> {
      const [ga, gb] = await Promise.all([a.gradient(x, timesteps), b.gradient(x, timesteps)]);
      const data = new Float32Array(ga.data.length);
      for (let i = 0; i < data.length; i++) data[i] = ga.data[i] + gb.data[i];
      return { shape: [...ga.shape], data };
    },
  };
}
