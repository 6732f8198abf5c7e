/**
 * The sampling loop of a CUDA model on the GPU (native/ops/cuda/device_sampler.h), behind the same
 * `DiffusionSampler` interface as the host loop: x, the noise and the sampler step stay in device memory, and
 * one denoising step (model input, UNet forward, seeded noise, step) is a CUDA graph replayed every step.
 * Only x and the x₀ prediction come back per step (the `DiffusionSampler` contract; they feed previews).
 */
import type { DiffusionSampler } from "../diffusion/sampler.js";
import type { NoiseSource } from "../diffusion/noise.js";
import type { Tensor } from "../diffusion/types.js";
import type { CudaAddon, NativeDeviceSamplerHandle, NativeStepCoefficients } from "../native.js";
import { NativeGlideModel } from "./glide-model.js";
import { NativeTextContext } from "./text-context.js";

/** What the host loop has prepared (src/diffusion/sampler.ts) that the device loop needs besides it. */
export interface DeviceLoopInputs {
  kind: "ddpm" | "ddim";
  eta: number;
  clipDenoised: boolean;
  guidanceScale?: number;
  /** Rows laid out for R (as the host loop passes them to forward and to the step). */
  lowRes?: Tensor;
  inpaintImage?: Tensor;
  inpaintMask?: Tensor;
  text: unknown;
  noise: NoiseSource;
  /** The seed when the noise is seeded (the device draws stream j + 1 itself). */
  seed?: bigint;
  /** Gradient guidance runs on the host: its presence keeps the host loop. */
  gradientGuidance?: unknown;
}

const CHANNELS = 3;

/**
 * The on-device loop for `model` when it can run one — a CUDA model without gradient guidance (set
 * GLIDE_CUDA_SAMPLER=host to keep the host loop, GLIDE_CUDA_GRAPHS=0 to run every step without graphs) —
 * else undefined. `host` is the host loop's sampler, whose schedule, initial draw and text it reuses.
 */
export function deviceSampler(model: unknown, host: DiffusionSampler, inputs: DeviceLoopInputs): DiffusionSampler | undefined {
  if (!(model instanceof NativeGlideModel) || model.device !== "cuda") return undefined;
  if (inputs.gradientGuidance || process.env.GLIDE_CUDA_SAMPLER === "host") return undefined;
  if (inputs.text !== undefined && !(inputs.text instanceof NativeTextContext)) return undefined;
  return new CudaLoop(model, model.addon as CudaAddon, host, inputs);
}

class CudaLoop implements DiffusionSampler {
  readonly schedule: DiffusionSampler["schedule"];
  readonly total: number;
  readonly batch: number;
  readonly rows: number;
  readonly imageSize: number;
  readonly seed?: number | bigint;
  private run: NativeDeviceSamplerHandle | null = null;
  /** The x the last step returned: a different x handed back restarts the run from it. */
  private last: Tensor | null = null;

  constructor(
    private readonly model: NativeGlideModel,
    private readonly addon: CudaAddon,
    private readonly host: DiffusionSampler,
    private readonly inputs: DeviceLoopInputs,
  ) {
    this.schedule = host.schedule;
    this.total = host.total;
    this.batch = host.batch;
    this.rows = host.rows;
    this.imageSize = host.imageSize;
    this.seed = host.seed;
  }

  initial(): Promise<Tensor> {
    return this.host.initial();
  }

  private async start(x: Tensor): Promise<NativeDeviceSamplerHandle> {
    this.release();
    const { kind, eta, clipDenoised, guidanceScale, lowRes, inpaintImage, inpaintMask, seed } = this.inputs;
    const text = this.inputs.text instanceof NativeTextContext ? this.inputs.text.nativeHandle("sample") : undefined;
    this.run = await this.addon.deviceSamplerCreate(this.model.nativeHandle("sample"), text, {
      kind, eta, clipDenoised, batch: this.batch, rows: this.rows, imageSize: this.imageSize,
      ...(guidanceScale !== undefined ? { guidanceScale } : {}),
      ...(seed !== undefined ? { seed } : {}),
      x: x.data,
      ...(lowRes ? { lowRes } : {}),
      ...(inpaintImage && inpaintMask ? { inpaintImage: inpaintImage.data, inpaintMask: inpaintMask.data } : {}),
      graphs: process.env.GLIDE_CUDA_GRAPHS !== "0",
    });
    return this.run;
  }

  async step(j: number, x: Tensor): Promise<{ x: Tensor; pred: Tensor; timestep: number }> {
    if (!Number.isInteger(j) || j < 0 || j >= this.total) throw new RangeError(`sampler step ${j} is outside 0…${this.total - 1}`);
    const s = this.schedule;
    const t = this.total - 1 - j;
    const timestep = s.timestepMap[t];
    const run = this.run !== null && x === this.last ? this.run : await this.start(x);
    const coef: NativeStepCoefficients = {
      sqrtRecipAlphasCumprod: s.sqrtRecipAlphasCumprod[t], sqrtRecipm1AlphasCumprod: s.sqrtRecipm1AlphasCumprod[t],
      posteriorMeanCoef1: s.posteriorMeanCoef1[t], posteriorMeanCoef2: s.posteriorMeanCoef2[t],
      posteriorLogVarianceClipped: s.posteriorLogVarianceClipped[t], logBeta: s.logBetas[t],
      alphasCumprod: s.alphasCumprod[t], alphasCumprodPrev: s.alphasCumprodPrev[t], finalStep: t === 0,
    };
    const { kind, eta, seed } = this.inputs;
    const needsNoise = t !== 0 && (kind === "ddpm" || eta > 0);
    let noise: Float32Array | undefined;
    if (seed === undefined && needsNoise) {
      noise = await this.inputs.noise.step(j);
      if (!noise) throw new TypeError(`sample: replayed noise needs noise.steps for ${kind}${kind === "ddim" ? " with eta > 0" : ""}`);
    }
    const out = await this.addon.deviceSamplerStep(run, {
      timestep, coef, stream: BigInt(j + 1), ...(noise ? { noise } : {}), readRows: this.rows,
    });
    const shape = [this.rows, CHANNELS, this.imageSize, this.imageSize];
    const next = { shape, data: out.x! };
    this.last = next;
    return { x: next, pred: { shape: [...shape], data: out.pred! }, timestep };
  }

  private release(): void {
    if (this.run !== null) this.addon.deviceSamplerDispose(this.run);
    this.run = null;
    this.last = null;
  }

  dispose(): void {
    this.release();
    this.host.dispose();
  }
}
