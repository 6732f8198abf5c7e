/**
 * The sampling loop: GLIDE's p_sample_loop / ddim_sample_loop with the notebooks' classifier-free
 * guidance, upsampling and inpainting. The loop lives here; each step's math is one native call.
 */
import { addGradientGuidance, clipGradientGuidance } from "../clip/guidance.js";
import { native } from "../native.js";
import { SampleAbortedError } from "./abort.js";
import { deviceSampler } from "../model/device-sampler.js";
import { createNoiseSource, randomSeed, toSeed, type NoiseSource } from "./noise.js";
import { createSchedule, type DiffusionSchedule } from "./schedule.js";
import type {
  GradientGuidance, SampleOptions, SampleResult, SamplingModel, Tensor, TextContextHandle, TokenBatch,
} from "./types.js";

/** Image channels of every GLIDE model (the UNet outputs twice as many: ε and the variance value). */
const CHANNELS = 3;

/** Options of {@link createSampler}: those of {@link SampleOptions} that shape the process. */
export type SamplerOptions = Omit<SampleOptions, "onStep" | "signal">;

/** One prepared sampling run, stepped by the caller (what {@link sample} loops over). */
export interface DiffusionSampler {
  readonly schedule: DiffusionSchedule;
  /** Number of steps K. */
  readonly total: number;
  /** Samples B (prompts). */
  readonly batch: number;
  /** Rows R the loop carries: 2B under classifier-free guidance (conditional rows first), else B. */
  readonly rows: number;
  readonly imageSize: number;
  /** The seed, when the noise is seeded. */
  readonly seed?: number | bigint;
  /** x_T [R,3,S,S]: the initial draw times the temperature. */
  initial(): Promise<Tensor>;
  /**
   * Step j (0 = noisiest, respaced index t = K−1−j) from x [R,3,S,S]: one model call, then the
   * native step. Returns the next sample and the processed x₀ prediction, both [R,3,S,S].
   */
  step(j: number, x: Tensor): Promise<{ x: Tensor; pred: Tensor; timestep: number }>;
  /** Frees the text embeddings. */
  dispose(): void;
}

function describe(t: Tensor | undefined): string {
  return t ? `[${t.shape.join(",")}]` : "nothing";
}

function checkTensor(t: Tensor, name: string, rank: number): void {
  if (!t || !(t.data instanceof Float32Array) || !Array.isArray(t.shape) || t.shape.length !== rank) {
    throw new TypeError(`sample: ${name} must be a float32 tensor of rank ${rank}, got ${describe(t)}`);
  }
  if (t.data.length !== t.shape.reduce((a, b) => a * b, 1)) {
    throw new TypeError(`sample: ${name} has ${t.data.length} values for shape ${describe(t)}`);
  }
}

/** Repeats a [1|B, ...] tensor's rows to `rows` rows (B rows repeated as a block, like torch.cat). */
function toRows(t: Tensor, batch: number, rows: number, name: string): Tensor {
  const n = t.shape[0];
  if (n !== 1 && n !== batch) throw new TypeError(`sample: ${name} has ${n} rows; give one per prompt (${batch}) or one for all`);
  if (n === rows) return t;
  const per = t.data.length / n;
  const data = new Float32Array(per * rows);
  for (let r = 0; r < rows; r++) data.set(t.data.subarray(((r % batch) % n) * per, (((r % batch) % n) + 1) * per), r * per);
  return { shape: [rows, ...t.shape.slice(1)], data };
}

function checkTokens(t: TokenBatch, name: string): TokenBatch {
  if (!t || !Array.isArray(t.tokens) || !Array.isArray(t.mask) || t.tokens.length !== t.mask.length || t.tokens.length === 0) {
    throw new TypeError(`sample: ${name} must be {tokens, mask} with the same number of rows (at least one)`);
  }
  t.tokens.forEach((row, i) => {
    if (!Array.isArray(row) || !Array.isArray(t.mask[i]) || row.length !== t.mask[i].length || row.length !== t.tokens[0].length) {
      throw new TypeError(`sample: ${name} row ${i}: tokens and mask must be equally long rows`);
    }
  });
  return t;
}

function promptTokens(model: SamplingModel, prompts: SampleOptions["prompts"]): TokenBatch {
  if (Array.isArray(prompts)) {
    if (prompts.length === 0 || !prompts.every((p) => typeof p === "string")) {
      throw new TypeError("sample: prompts must be a non-empty array of strings or {tokens, mask}");
    }
    return model.tokenize(prompts);
  }
  return checkTokens(prompts, "prompts");
}

function negativeTokens(model: SamplingModel, negative: SampleOptions["negativePrompt"], batch: number): TokenBatch {
  if (negative === undefined || typeof negative === "string") return model.tokenize(new Array<string>(batch).fill(negative ?? ""));
  const t = checkTokens(negative, "negativePrompt");
  if (t.tokens.length === batch) return t;
  if (t.tokens.length !== 1) throw new TypeError(`sample: negativePrompt has ${t.tokens.length} rows; give one per prompt (${batch}) or one for all`);
  return { tokens: new Array(batch).fill(t.tokens[0]), mask: new Array(batch).fill(t.mask[0]) };
}

function defaultRespacing(model: SamplingModel): string {
  return model.config.super_res ? "fast27" : "100";
}

/** Checks the scalar options, naming the one at fault. */
function checkScalars(o: SamplerOptions): void {
  if (o.sampler !== undefined && o.sampler !== "ddpm" && o.sampler !== "ddim") {
    throw new TypeError(`sample: sampler must be "ddpm" or "ddim", got ${JSON.stringify(o.sampler)}`);
  }
  const finite = (v: unknown, name: string, min = -Infinity) => {
    if (v !== undefined && (typeof v !== "number" || !Number.isFinite(v) || v < min)) {
      throw new TypeError(`sample: ${name} must be a finite number${min > -Infinity ? ` >= ${min}` : ""}, got ${String(v)}`);
    }
  };
  finite(o.eta, "eta", 0);
  finite(o.guidanceScale, "guidanceScale");
  finite(o.temperature, "temperature", 0);
  if (o.eta && o.eta > 0 && o.sampler !== "ddim") throw new TypeError("sample: eta applies to the ddim sampler only");
}

/**
 * Prepares a sampling run: tokenises and embeds the text once, builds the respaced schedule from the
 * model config, lays out the conditioning rows and the noise.
 * @throws TypeError naming the option at fault.
 */
export async function createSampler(model: SamplingModel, options: SamplerOptions): Promise<DiffusionSampler> {
  checkScalars(options);
  const cfg = model.config;
  const size = cfg.image_size;
  const kind = options.sampler ?? "ddpm";
  const eta = options.eta ?? 0;
  const clipDenoised = options.clipDenoised ?? true;
  const temperature = Math.fround(options.temperature ?? 1);
  const guidanceScale = options.guidanceScale;
  const guided = guidanceScale !== undefined;

  const cond = promptTokens(model, options.prompts);
  const batch = cond.tokens.length;
  const rows = guided ? 2 * batch : batch;
  const schedule = createSchedule(cfg.noise_schedule, cfg.diffusion_steps, options.respacing ?? defaultRespacing(model));
  const total = schedule.numTimesteps;
  const plane = size * size;
  const shape = [rows, CHANNELS, size, size];

  let lowRes: Tensor | undefined;
  if (cfg.super_res) {
    if (!options.lowRes) throw new TypeError(`sample: ${model.kind} is an upsampler; pass lowRes [${batch},3,s,s] in [-1,1]`);
    checkTensor(options.lowRes, "lowRes", 4);
    if (options.lowRes.shape[1] !== CHANNELS) throw new TypeError(`sample: lowRes must have 3 channels, got ${describe(options.lowRes)}`);
    lowRes = toRows(options.lowRes, batch, rows, "lowRes");
  } else if (options.lowRes) {
    throw new TypeError(`sample: lowRes is for upsamplers; ${model.kind} is not one`);
  }

  // The notebooks hand the model image·mask and also use it in denoised_fn (x₀·(1−m) + (image·m)·m).
  let inpaintImage: Tensor | undefined;
  let inpaintMask: Tensor | undefined;
  if (options.inpaint) {
    const { image, mask } = options.inpaint;
    checkTensor(image, "inpaint.image", 4);
    checkTensor(mask, "inpaint.mask", 4);
    if (image.shape[1] !== CHANNELS || image.shape[2] !== size || image.shape[3] !== size) {
      throw new TypeError(`sample: inpaint.image must be [${batch},3,${size},${size}], got ${describe(image)}`);
    }
    if (mask.shape[1] !== 1 || mask.shape[2] !== size || mask.shape[3] !== size) {
      throw new TypeError(`sample: inpaint.mask must be [${batch},1,${size},${size}], got ${describe(mask)}`);
    }
    inpaintMask = toRows(mask, batch, rows, "inpaint.mask");
    const img = toRows(image, batch, rows, "inpaint.image");
    const data = new Float32Array(img.data.length);
    for (let i = 0; i < data.length; i++) data[i] = img.data[i] * inpaintMask.data[Math.floor(i / (CHANNELS * plane)) * plane + (i % plane)];
    inpaintImage = { shape: img.shape, data };
  } else if (cfg.inpaint) {
    throw new TypeError(`sample: ${model.kind} is an inpainting model; pass inpaint {image, mask}`);
  }

  const gradientGuidance: GradientGuidance | undefined = addGradientGuidance(
    options.gradientGuidance,
    options.clipGuidance ? await clipGradientGuidance(options.clipGuidance, { batch, rows, imageSize: size }) : undefined,
  );
  const spec = options.noise ?? { seed: randomSeed() };
  const seed = "seed" in spec ? spec.seed : undefined;
  const noise: NoiseSource = createNoiseSource(spec, shape, total);

  const text: TokenBatch = guided
    ? (() => {
        const neg = negativeTokens(model, options.negativePrompt, batch);
        return { tokens: [...cond.tokens, ...neg.tokens], mask: [...cond.mask, ...neg.mask] };
      })()
    : cond;
  const textContext: TextContextHandle = await model.prepareText(text);
  const perRow = CHANNELS * plane;

  const sampler: DiffusionSampler = {
    schedule, total, batch, rows, imageSize: size, seed,
    async initial() {
      const raw = await noise.initial();
      const data = new Float32Array(raw.length);
      for (let i = 0; i < raw.length; i++) data[i] = raw[i] * temperature; // float32 product, as torch's x * 0.997
      return { shape: [...shape], data };
    },
    async step(j, x) {
      if (!Number.isInteger(j) || j < 0 || j >= total) throw new RangeError(`sampler step ${j} is outside 0…${total - 1}`);
      if (x.data.length !== rows * perRow) throw new TypeError(`sampler step ${j}: x must be [${shape}], got ${describe(x)}`);
      const t = total - 1 - j;
      const timestep = schedule.timestepMap[t];
      // Under guidance the model sees cat([x[:B], x[:B]]): the unconditional rows' own x is ignored.
      const modelX = guided ? toRows({ shape: [batch, CHANNELS, size, size], data: x.data.subarray(0, batch * perRow) }, batch, rows, "x") : x;
      const out = await model.forward({
        x: modelX, timesteps: new Array<number>(rows).fill(timestep), text: textContext,
        lowRes, inpaintImage: cfg.inpaint ? inpaintImage : undefined, inpaintMask: cfg.inpaint ? inpaintMask : undefined,
      });
      if (out.data.length !== 2 * rows * perRow) {
        throw new Error(`sampler step ${j}: the model returned ${describe(out)}, expected [${rows},6,${size},${size}]`);
      }
      const needsNoise = t !== 0 && (kind === "ddpm" || eta > 0);
      const stepNoise = needsNoise ? await noise.step(j) : undefined;
      if (needsNoise && !stepNoise) throw new TypeError(`sample: replayed noise needs noise.steps [${total},${shape}] for ${kind}${kind === "ddim" ? " with eta > 0" : ""}`);
      let grad: Float32Array | undefined;
      if (gradientGuidance) {
        const g = await gradientGuidance.gradient({ shape: [...shape], data: x.data }, new Array<number>(rows).fill(timestep));
        if (g.data.length !== rows * perRow) throw new Error(`sampler step ${j}: gradient guidance returned ${describe(g)}, expected [${shape}]`);
        grad = g.data;
      }
      const next = await native.samplerStep({
        kind, eta, rows, channels: CHANNELS, plane, x: x.data, modelOut: out.data, guidanceScale, clipDenoised,
        inpaintImage: inpaintImage?.data, inpaintMask: inpaintMask?.data, noise: stepNoise, grad,
        coef: {
          sqrtRecipAlphasCumprod: schedule.sqrtRecipAlphasCumprod[t], sqrtRecipm1AlphasCumprod: schedule.sqrtRecipm1AlphasCumprod[t],
          posteriorMeanCoef1: schedule.posteriorMeanCoef1[t], posteriorMeanCoef2: schedule.posteriorMeanCoef2[t],
          posteriorLogVarianceClipped: schedule.posteriorLogVarianceClipped[t], logBeta: schedule.logBetas[t],
          alphasCumprod: schedule.alphasCumprod[t], alphasCumprodPrev: schedule.alphasCumprodPrev[t], finalStep: t === 0,
        },
      });
      return { x: { shape: [...shape], data: next.x }, pred: { shape: [...shape], data: next.pred }, timestep };
    },
    dispose() {
      textContext.dispose();
    },
  };
  // A CUDA model runs the same loop on the GPU (src/model/device-sampler.ts); gradient guidance stays here.
  return deviceSampler(model, sampler, {
    kind, eta, clipDenoised, guidanceScale, lowRes, inpaintImage, inpaintMask, text: textContext, noise,
    seed: "seed" in spec ? toSeed(spec.seed) : undefined, gradientGuidance,
  }) ?? sampler;
}

function firstRows(t: Tensor, batch: number): Tensor {
  const per = t.data.length / t.shape[0];
  return { shape: [batch, ...t.shape.slice(1)], data: t.data.subarray(0, batch * per) };
}

/**
 * Samples images with a GLIDE model (base, upsampler or inpainting), as the official notebooks do.
 * The text is embedded once; each step is one model call (2B rows under guidance) and one native step.
 * Never blocks the event loop: model calls and steps run in native workers.
 *
 * Cancellation: when `onStep` returns `false` or `signal` aborts, the promise rejects with a
 * {@link SampleAbortedError} (`name === "AbortError"`, see {@link isAbortError}) at the next step
 * boundary, i.e. within one step.
 *
 * @example
 * const { samples } = await sample(model, { prompts: ["a corgi"], guidanceScale: 3, noise: { seed: 42 } });
 */
export async function sample(model: SamplingModel, options: SampleOptions): Promise<SampleResult> {
  const { onStep, signal } = options;
  const aborted = (done: number) =>
    new SampleAbortedError(`sampling cancelled after ${done} step(s)`, done, signal?.reason);
  if (signal?.aborted) throw aborted(0);
  const sampler = await createSampler(model, options);
  try {
    let x = await sampler.initial();
    for (let j = 0; j < sampler.total; j++) {
      if (signal?.aborted) throw aborted(j);
      const next = await sampler.step(j, x);
      x = next.x;
      if (onStep) {
        const keepGoing = await onStep({
          step: j + 1, total: sampler.total, timestep: next.timestep,
          xt: firstRows(next.x, sampler.batch), pred: firstRows(next.pred, sampler.batch),
        });
        if (keepGoing === false) throw aborted(j + 1);
      }
    }
    const samples = firstRows(x, sampler.batch);
    return { samples: { shape: samples.shape, data: samples.data.slice() }, ...(sampler.seed !== undefined ? { seed: sampler.seed } : {}) };
  } finally {
    sampler.dispose();
  }
}
