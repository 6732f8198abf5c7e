/**
 * Where a sample's randomness comes from: a seeded counter-based generator (Philox4x32-10 + the
 * Box–Muller transform of docs/noise.md) or noise recorded from the reference implementation.
 */
import { randomBytes } from "node:crypto";
import { native } from "../native.js";
import type { Tensor } from "./types.js";

/** The largest seed: seeds are unsigned 64-bit integers (a JS number must be a safe integer). */
export const MAX_SEED = (1n << 64n) - 1n;

/**
 * Noise of a sampling run.
 * - `{ seed }`: stream 0 is the initial x_T draw, stream j+1 the draw of step j (every element of the
 *   reference layout, conditional rows first), so the same seed gives the same image everywhere.
 * - `{ init, steps? }`: replay in the reference layout: `init` [R,3,S,S] is the raw initial draw (before
 *   `temperature`), `steps` [K,R,3,S,S] the per-step draws; R = 2B under classifier-free guidance.
 *   `steps` may be omitted when no step uses its draw (DDIM with η = 0).
 */
export type NoiseSpec = { seed: number | bigint } | { init: Tensor; steps?: Tensor };

/** Normalises a seed to a bigint, throwing a TypeError that names the bad value. */
export function toSeed(seed: number | bigint): bigint {
  if (typeof seed === "number") {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new TypeError(`noise seed must be a non-negative safe integer or a bigint, got ${seed}`);
    return BigInt(seed);
  }
  if (typeof seed !== "bigint" || seed < 0n || seed > MAX_SEED) throw new TypeError(`noise seed must be an unsigned 64-bit integer, got ${String(seed)}`);
  return seed;
}

/** A fresh random seed (53 bits, so it round-trips through JSON as a number). */
export function randomSeed(): number {
  const bytes = randomBytes(8);
  return (bytes.readUInt32LE(0) & 0x1fffff) * 2 ** 32 + bytes.readUInt32LE(4);
}

/**
 * Standard normal tensor of `shape` from stream `stream` of `seed` (element i is normal number i of the
 * stream; see docs/noise.md). Runs off the event loop.
 */
export async function randomNormal(seed: number | bigint, shape: number[], stream: number | bigint = 0): Promise<Tensor> {
  const count = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count) || count < 0) throw new TypeError(`randomNormal: bad shape ${JSON.stringify(shape)}`);
  return { shape: [...shape], data: await native.noiseNormal(toSeed(seed), BigInt(stream), 0, count) };
}

/** The draws one sampling run consumes, in the reference layout [R, 3, S, S]. */
export interface NoiseSource {
  /** The raw initial draw (temperature not applied). */
  initial(): Promise<Float32Array>;
  /** The draw of step j (0 = noisiest), or undefined when replayed noise has no per-step stack. */
  step(j: number): Promise<Float32Array | undefined>;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

/**
 * Builds the noise source of a run whose state is `shape` = [R,3,S,S] over `total` steps.
 * @throws TypeError when replayed tensors do not have the reference layout (the message names them).
 */
export function createNoiseSource(spec: NoiseSpec, shape: number[], total: number): NoiseSource {
  const count = shape.reduce((a, b) => a * b, 1);
  if ("seed" in spec) {
    const seed = toSeed(spec.seed);
    return {
      initial: () => native.noiseNormal(seed, 0n, 0, count),
      step: (j) => native.noiseNormal(seed, BigInt(j + 1), 0, count),
    };
  }
  const { init, steps } = spec;
  const layout = `[${shape}] (the reference layout: ${shape[0]} rows, conditional rows first under guidance)`;
  if (!init || !(init.data instanceof Float32Array) || !sameShape(init.shape, shape) || init.data.length !== count) {
    throw new TypeError(`noise.init must be a float32 tensor of shape ${layout}, got [${init?.shape ?? "none"}]`);
  }
  if (steps && (!(steps.data instanceof Float32Array) || !sameShape(steps.shape, [total, ...shape]) || steps.data.length !== total * count)) {
    throw new TypeError(`noise.steps must be a float32 tensor of shape [${total},${shape}] (one draw per step), got [${steps.shape}]`);
  }
  return {
    initial: async () => init.data,
    step: async (j) => steps?.data.subarray(j * count, (j + 1) * count),
  };
}
