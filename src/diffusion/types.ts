/**
 * Types of the sampling API. The model is described structurally (what the sampler calls), so any
 * `GlideModel` from `loadModel` fits, and so do test doubles.
 */
import type { ClipGuidanceOptions } from "../clip/guidance.js";
import type { NoiseSpec } from "./noise.js";

/** A dense float32 tensor, row-major. */
export interface Tensor {
  shape: number[];
  data: Float32Array;
}

/** Token ids and masks, one row per prompt, each `text_ctx` long (as `GlideModel.tokenize` returns). */
export interface TokenBatch {
  tokens: number[][];
  mask: boolean[][];
}

/** Handle to text embeddings computed once per sample (`GlideModel.prepareText`). */
export interface TextContextHandle {
  readonly batch: number;
  dispose(): void;
}

/** What the sampler needs from a GLIDE model (a subset of `GlideModel`). */
export interface SamplingModel {
  readonly kind: string;
  readonly config: {
    image_size: number;
    noise_schedule: "squaredcos_cap_v2" | "linear";
    diffusion_steps: number;
    inpaint: boolean;
    super_res: boolean;
  };
  tokenize(prompts: string[]): TokenBatch;
  prepareText(t: TokenBatch): Promise<TextContextHandle>;
  /** x [N,3,S,S], N original-scale timesteps → [N,6,S,S] (ε, then the variance value v). */
  forward(a: {
    x: Tensor;
    timesteps: number[];
    text?: TextContextHandle;
    lowRes?: Tensor;
    inpaintImage?: Tensor;
    inpaintMask?: Tensor;
  }): Promise<Tensor>;
}

/** Progress of a sampling run, reported after every step. */
export interface StepProgress {
  /** Steps completed so far, 1 … total. */
  step: number;
  total: number;
  /** Original timestep the model saw in this step. */
  timestep: number;
  /** The new sample x_t [B,3,S,S] (the first B rows; a view, valid until the callback returns). */
  xt: Tensor;
  /** The step's processed x₀ prediction [B,3,S,S] (same caveat), for previews. */
  pred: Tensor;
}

/**
 * Gradient guidance hook (the reference's `cond_fn`, used by CLIP guidance). Called once per step with
 * the step input x in the reference layout [R,3,S,S] and the original timesteps; returns ∇ₓ log p(y|x)
 * already multiplied by its scale, same shape. DDPM adds exp(log σ²)·grad to the mean
 * (`condition_mean`), DDIM shifts ε by −√(1−ᾱ)·grad (`condition_score`).
 */
export interface GradientGuidance {
  gradient(x: Tensor, timesteps: number[]): Promise<Tensor>;
}

/** Options of {@link sample}. */
export interface SampleOptions {
  /** One prompt per sample, or pre-tokenised rows (B rows of tokens + mask). */
  prompts: string[] | TokenBatch;
  /**
   * Timestep respacing: a count ("100"), section counts ("10,5,3"), "fast27", "ddimN", or "" for every
   * step. Default: "100" for base models, "fast27" for upsamplers (the official notebooks' values).
   */
  respacing?: string;
  /** "ddpm" (ancestral, learned variance; default) or "ddim". */
  sampler?: "ddpm" | "ddim";
  /** DDIM η (0 = deterministic, the default). */
  eta?: number;
  /**
   * Classifier-free guidance scale s: the model runs on B conditional + B unconditional rows and
   * ε̂ = ε_u + s·(ε_c − ε_u); the variance channels stay unguided. Omit for unguided sampling.
   */
  guidanceScale?: number;
  /** The unconditional prompt under guidance (default ""): one string for all rows, or B token rows. */
  negativePrompt?: string | TokenBatch;
  /** Upsamplers: the low-resolution images [B,3,s,s] (or [1,3,s,s] for all rows), in [−1, 1]. */
  lowRes?: Tensor;
  /**
   * Inpainting: image [B,3,S,S] in [−1, 1] and mask [B,1,S,S], 1 = keep (1 row broadcasts). The known
   * region is written into the x₀ prediction at every step; inpainting models also see image·mask and mask.
   */
  inpaint?: { image: Tensor; mask: Tensor };
  /** Multiplies the initial noise (seeded or replayed), e.g. 0.997 for the upsampler. Default 1. */
  temperature?: number;
  /** Clamp the x₀ prediction to [−1, 1] (default true). */
  clipDenoised?: boolean;
  /** Seed or recorded noise (see {@link NoiseSpec}); default: a random seed, reported in the result. */
  noise?: NoiseSpec;
  /**
   * Called after every step. Returning (or resolving to) `false` cancels the run; any other value,
   * `undefined` included, lets it continue, so a callback that only reports progress needs no return.
   */
  onStep?: (progress: StepProgress) => unknown;
  /** Cancels the run at the next step boundary. */
  signal?: AbortSignal;
  /** Gradient guidance (CLIP guidance plugs in here). */
  gradientGuidance?: GradientGuidance;
  /**
   * CLIP guidance with the noised CLIP (`loadClip`): each DDPM step adds exp(log σ²)·scale·∇ₓ CLIP(x_t, prompt)
   * to the mean, the gradient taken at the step input. Combinable with `guidanceScale` (then only the
   * conditional rows are steered) and added to `gradientGuidance` when both are given.
   */
  clipGuidance?: ClipGuidanceOptions;
}

/** Result of {@link sample}. */
export interface SampleResult {
  /** The final samples [B,3,S,S], in [−1, 1] when clipDenoised. */
  samples: Tensor;
  /** The seed used, when the noise was seeded (the given one or the random default). */
  seed?: number | bigint;
}
