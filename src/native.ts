/**
 * Typed view of the native addon (`build/Release/glide_native.node`).
 * Every function the `.node` file exposes is declared here; the rest of the library imports it from
 * this module only, so the JS/C++ boundary is documented in one place.
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";

const require = createRequire(import.meta.url);
const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The raw addon interface. Extended by each feature as it lands. */
export interface NativeAddon {
  /** Number of threads the native runtime uses. */
  threadCount(): number;

  // --- diffusion sampler kernels (native/addon/sampler.cpp) ---
  /** float64 `squaredcos_cap_v2` betas for `steps` diffusion steps, evaluated with the C library's cos. */
  samplerSquaredcosBetas(steps: number): Float64Array;
  /** One Philox4x32-10 block: 4 uint32 counter words and 2 key words → 4 uint32 words. */
  philox4x32(counter: number[], key: number[]): number[];
  /** Standard normals `first … first+count−1` of (seed, stream), as docs/noise.md defines them. */
  noiseNormal(seed: bigint | number, stream: bigint | number, first: number, count: number): Promise<Float32Array>;
  /** One reverse-diffusion step over R rows (see src/diffusion/step.ts for the argument contract). */
  samplerStep(args: NativeStepArgs): Promise<{ x: Float32Array; pred: Float32Array }>;
}

/** Arguments of {@link NativeAddon.samplerStep}; tensors are flat row-major [R, C, H, W] unless noted. */
export interface NativeStepArgs {
  kind: "ddpm" | "ddim";
  eta?: number;
  rows: number;
  channels: number;
  /** H·W */
  plane: number;
  x: Float32Array;
  /** [R, 2C, H, W]: ε then the variance interpolation v; under guidance rows are [cond B | uncond B]. */
  modelOut: Float32Array;
  /** Classifier-free guidance scale; omit for unguided steps. */
  guidanceScale?: number;
  /** [R, C, H, W] known image (already multiplied by the mask) and [R, 1, H, W] mask, 1 = keep. */
  inpaintImage?: Float32Array;
  inpaintMask?: Float32Array;
  clipDenoised: boolean;
  /** The step's standard-normal draw; may be omitted when it is multiplied by 0. */
  noise?: Float32Array;
  /** Gradient guidance at the step input x (CLIP): DDPM adds exp(log_var)·grad to the mean, DDIM shifts ε by −√(1−ᾱ)·grad. */
  grad?: Float32Array;
  /** float64 schedule values at the step's respaced index; the kernel casts them to float32. */
  coef: {
    sqrtRecipAlphasCumprod: number; sqrtRecipm1AlphasCumprod: number;
    posteriorMeanCoef1: number; posteriorMeanCoef2: number;
    posteriorLogVarianceClipped: number; logBeta: number;
    alphasCumprod: number; alphasCumprodPrev: number; finalStep: boolean;
  };
}

function loadAddon(): NativeAddon {
  const candidates = ["build/Release/glide_native.node", "build/Debug/glide_native.node"];
  const errors: string[] = [];
  for (const rel of candidates) {
    try {
      return require(path.join(packageRoot, rel)) as NativeAddon;
    } catch (err) {
      errors.push(`${rel}: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  throw new Error(
    `glide-studio: the native addon is not built (run \`npm install\` or \`npm run build:native\`).\n  ${errors.join("\n  ")}`,
  );
}

/** The loaded addon (loaded on first import). */
export const native: NativeAddon = loadAddon();
