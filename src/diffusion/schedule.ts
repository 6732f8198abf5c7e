/**
 * Noise schedules and timestep respacing, in float64 with the reference's operation order
 * (glide_text2im gaussian_diffusion.py / respace.py), so every array matches it to the last bit.
 */
import { native } from "../native.js";

/** Beta schedules GLIDE checkpoints use (`noise_schedule` in the model config). */
export type NoiseScheduleName = "squaredcos_cap_v2" | "linear";

/**
 * The float64 arrays of one (possibly respaced) diffusion process, indexed by respaced step t.
 * Names follow the reference attributes.
 */
export interface DiffusionSchedule {
  /** Number of respaced steps K. */
  readonly numTimesteps: number;
  /** timestepMap[t] = original timestep (what the network is shown) of respaced index t, increasing. */
  readonly timestepMap: readonly number[];
  readonly betas: Float64Array;
  /** log(betas): the upper end of the learned variance range. */
  readonly logBetas: Float64Array;
  readonly alphasCumprod: Float64Array;
  readonly alphasCumprodPrev: Float64Array;
  readonly posteriorVariance: Float64Array;
  /** log of posteriorVariance with index 0 replaced by index 1 (the variance is 0 there). */
  readonly posteriorLogVarianceClipped: Float64Array;
  readonly posteriorMeanCoef1: Float64Array;
  readonly posteriorMeanCoef2: Float64Array;
  readonly sqrtRecipAlphasCumprod: Float64Array;
  readonly sqrtRecipm1AlphasCumprod: Float64Array;
}

/**
 * The float64 betas of a named schedule for `steps` diffusion steps (`get_named_beta_schedule`).
 * @throws Error for an unknown name or a step count < 1 (< 2 for linear).
 */
export function betaSchedule(name: NoiseScheduleName, steps: number): Float64Array {
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`noise schedule: diffusion_steps must be a positive integer, got ${steps}`);
  if (name === "squaredcos_cap_v2") return native.samplerSquaredcosBetas(steps);
  if (name === "linear") {
    if (steps < 2) throw new Error(`noise schedule "linear" needs at least 2 diffusion steps, got ${steps}`);
    // np.linspace(start, stop, n): i·step + start, the last element set to stop exactly.
    const scale = 1000 / steps;
    const start = scale * 0.0001;
    const stop = scale * 0.02;
    const step = (stop - start) / (steps - 1);
    const betas = new Float64Array(steps);
    for (let i = 0; i < steps; i++) betas[i] = i * step + start;
    betas[steps - 1] = stop;
    return betas;
  }
  throw new Error(`unknown noise schedule "${String(name)}" (expected "squaredcos_cap_v2" or "linear")`);
}

/** Python's round(): to nearest, ties to even. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

function parseCount(text: string, respacing: string): number {
  const s = text.trim();
  if (!/^\d+$/.test(s)) throw new Error(`timestep respacing "${respacing}": "${text}" is not a step count`);
  return Number(s);
}

/**
 * The original timesteps kept by a respacing string (`space_timesteps`), sorted increasing.
 * Accepts a count ("100"), comma-separated section counts ("10,5,3": equal sections of the original
 * process, each strided to its count), "fast27", "ddimN" (integer stride giving exactly N steps), and
 * "" (every step).
 * @throws Error naming the string when it cannot be honoured.
 */
export function spaceTimesteps(numTimesteps: number, respacing: string): number[] {
  const text = respacing.trim();
  if (text === "") return Array.from({ length: numTimesteps }, (_, i) => i);
  if (text.startsWith("ddim")) {
    const desired = parseCount(text.slice(4), respacing);
    for (let stride = 1; stride < numTimesteps; stride++) {
      if (Math.ceil(numTimesteps / stride) === desired) {
        return Array.from({ length: desired }, (_, i) => i * stride);
      }
    }
    throw new Error(`timestep respacing "${respacing}": cannot take exactly ${desired} of ${numTimesteps} steps with an integer stride`);
  }
  if (text === "fast27") {
    // Sections "10,10,3,2,2", then the noisiest step T−1 swapped for T−3 (reduces DDIM artifacts).
    const steps = new Set(spaceTimesteps(numTimesteps, "10,10,3,2,2"));
    if (!steps.delete(numTimesteps - 1)) throw new Error(`timestep respacing "fast27" needs the last of ${numTimesteps} steps`);
    steps.add(numTimesteps - 3);
    return [...steps].sort((a, b) => a - b);
  }
  const counts = text.split(",").map((part) => parseCount(part, respacing));
  const sizePer = Math.floor(numTimesteps / counts.length);
  const extra = numTimesteps % counts.length;
  const all = new Set<number>();
  let startIdx = 0;
  counts.forEach((count, i) => {
    const size = sizePer + (i < extra ? 1 : 0);
    if (size < count) throw new Error(`timestep respacing "${respacing}": cannot divide a section of ${size} steps into ${count}`);
    const fracStride = count <= 1 ? 1 : (size - 1) / (count - 1);
    let cur = 0;
    for (let k = 0; k < count; k++) {
      all.add(startIdx + roundHalfEven(cur));
      cur += fracStride;
    }
    startIdx += size;
  });
  return [...all].sort((a, b) => a - b);
}

/** The process arrays of `GaussianDiffusion.__init__` for the given betas. */
function processFromBetas(betas: Float64Array, timestepMap: number[]): DiffusionSchedule {
  const n = betas.length;
  if (n < 2) throw new Error(`a diffusion process needs at least 2 steps (the clipped posterior log-variance reads index 1), got ${n}`);
  const arr = () => new Float64Array(n);
  const logBetas = arr(), alphasCumprod = arr(), alphasCumprodPrev = arr(), posteriorVariance = arr();
  const posteriorLogVarianceClipped = arr(), posteriorMeanCoef1 = arr(), posteriorMeanCoef2 = arr();
  const sqrtRecipAlphasCumprod = arr(), sqrtRecipm1AlphasCumprod = arr();
  let cumprod = 1;
  for (let i = 0; i < n; i++) {
    if (!(betas[i] > 0 && betas[i] <= 1)) throw new Error(`beta ${i} = ${betas[i]} is outside (0, 1]`);
    alphasCumprodPrev[i] = cumprod;
    cumprod *= 1 - betas[i]; // np.cumprod: sequential
    alphasCumprod[i] = cumprod;
  }
  for (let i = 0; i < n; i++) {
    const b = betas[i], ac = alphasCumprod[i], acp = alphasCumprodPrev[i];
    logBetas[i] = Math.log(b);
    sqrtRecipAlphasCumprod[i] = Math.sqrt(1 / ac);
    sqrtRecipm1AlphasCumprod[i] = Math.sqrt(1 / ac - 1);
    posteriorVariance[i] = (b * (1 - acp)) / (1 - ac);
    posteriorMeanCoef1[i] = (b * Math.sqrt(acp)) / (1 - ac);
    posteriorMeanCoef2[i] = ((1 - acp) * Math.sqrt(1 - b)) / (1 - ac);
  }
  for (let i = 0; i < n; i++) posteriorLogVarianceClipped[i] = Math.log(posteriorVariance[i === 0 ? 1 : i]);
  return {
    numTimesteps: n, timestepMap, betas, logBetas, alphasCumprod, alphasCumprodPrev, posteriorVariance,
    posteriorLogVarianceClipped, posteriorMeanCoef1, posteriorMeanCoef2, sqrtRecipAlphasCumprod, sqrtRecipm1AlphasCumprod,
  };
}

/**
 * The respaced diffusion process (`SpacedDiffusion`): the kept steps' betas are re-derived from the
 * original alphas_cumprod as 1 − ᾱ[i]/ᾱ[previous kept], then every array is rebuilt from them.
 * @param name the model's `noise_schedule`
 * @param diffusionSteps the model's `diffusion_steps` (1000 for the released models)
 * @param respacing see {@link spaceTimesteps}
 */
export function createSchedule(name: NoiseScheduleName, diffusionSteps: number, respacing = ""): DiffusionSchedule {
  const base = processFromBetas(betaSchedule(name, diffusionSteps), []);
  const kept = new Set(spaceTimesteps(diffusionSteps, respacing));
  const newBetas: number[] = [];
  const timestepMap: number[] = [];
  let last = 1;
  for (let i = 0; i < diffusionSteps; i++) {
    if (!kept.has(i)) continue;
    const ac = base.alphasCumprod[i];
    newBetas.push(1 - ac / last);
    last = ac;
    timestepMap.push(i);
  }
  return processFromBetas(Float64Array.from(newBetas), timestepMap);
}
