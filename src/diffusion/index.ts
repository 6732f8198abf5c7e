/** Diffusion sampling: schedules, respacing, noise, and the sampling loop. */
export { createSchedule, betaSchedule, spaceTimesteps } from "./schedule.js";
export type { DiffusionSchedule, NoiseScheduleName } from "./schedule.js";
export { randomNormal, randomSeed, MAX_SEED } from "./noise.js";
export type { NoiseSpec } from "./noise.js";
export { sample, createSampler } from "./sampler.js";
export type { DiffusionSampler, SamplerOptions } from "./sampler.js";
export { SampleAbortedError, isAbortError } from "./abort.js";
export type {
  SampleOptions, SampleResult, StepProgress, GradientGuidance, SamplingModel, TokenBatch, TextContextHandle,
} from "./types.js";
