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
  /** What the native runtime can do here: the oneDNN backend, its instruction set, native bf16 and AMX. */
  runtimeInfo(): NativeRuntimeInfo;
  /** Testing aid: one op of the oneDNN backend vs the portable kernels on the same random inputs
   *  (native/addon/onednn_op_check.cpp); rejects in a build without oneDNN. */
  onednnOpCheck(op: string, params: Record<string, number | boolean>, precision: "fp32" | "bf16"): Promise<{ rel: number; maxAbs: number; maxRef: number }>;

  // --- diffusion sampler kernels (native/addon/sampler.cpp) ---
  /** float64 `squaredcos_cap_v2` betas for `steps` diffusion steps, evaluated with the C library's cos. */
  samplerSquaredcosBetas(steps: number): Float64Array;
  /** One Philox4x32-10 block: 4 uint32 counter words and 2 key words → 4 uint32 words. */
  philox4x32(counter: number[], key: number[]): number[];
  /** Standard normals `first … first+count−1` of (seed, stream), as docs/noise.md defines them. */
  noiseNormal(seed: bigint | number, stream: bigint | number, first: number, count: number): Promise<Float32Array>;
  /** One reverse-diffusion step over R rows (see src/diffusion/step.ts for the argument contract). */
  samplerStep(args: NativeStepArgs): Promise<{ x: Float32Array; pred: Float32Array }>;

  // --- GLIDE UNet (native/addon/model_*.cpp); src/model validates every argument first ---
  /** Builds a UNet for `config` and reads its weights from `file` by offset (float16/bfloat16 → float32),
   *  on the backend `backend` names (default: portable fp32). */
  modelLoad(file: string, entries: NativeWeightEntry[], config: NativeModelConfig, backend?: NativeBackendRequest): Promise<NativeModelHandle>;
  /** Frees the model's weights (a forward already running finishes first). */
  modelDispose(model: NativeModelHandle): void;
  /** The text encoder: xfProj [N, 4C], xfOut [N, xf_width, text_ctx]. */
  modelEncodeText(model: NativeModelHandle, tokens: NativeTokenBatch): Promise<{ xfProj: NativeTensor; xfOut: NativeTensor }>;
  /** Text encoder + every attention block's text keys/values, kept natively for the forwards of a sample. */
  modelPrepareText(model: NativeModelHandle, tokens: NativeTokenBatch): Promise<NativeTextHandle>;
  /** Frees a prepared text context. */
  textDispose(text: NativeTextHandle): void;
  /** One UNet call → [N, out_channels, H, W]. */
  modelForward(model: NativeModelHandle, args: NativeForwardArgs): Promise<NativeTensor>;
  /** The same call, returning every named intermediate (timestep_embedding, time_embed, emb, input_blocks.i,
   *  middle_block, output_blocks.i, out). */
  modelForwardTrace(model: NativeModelHandle, args: NativeForwardArgs): Promise<Record<string, NativeTensor>>;

  // --- noised CLIP (native/addon/clip_*.cpp); src/clip validates every argument first ---
  /** Builds the CLIP image encoder and reads its weights from `file` by offset. */
  clipImageLoad(file: string, entries: NativeWeightEntry[], config: NativeClipImageConfig): Promise<NativeClipHandle>;
  /** Builds the CLIP text encoder and reads its weights from `file` by offset. */
  clipTextLoad(file: string, entries: NativeWeightEntry[], config: NativeClipTextConfig): Promise<NativeClipHandle>;
  /** Image encoder on x [N,3,S,S] in [-1,1] at original timesteps → z [N, n_embd] and z/(‖z‖+1e-12). */
  clipImageEncode(image: NativeClipHandle, x: NativeTensor, timesteps: number[]): Promise<NativeClipEncoding>;
  /** Text encoder on tokens [N·max_text_len] with lengths N → z [N, n_embd] and z/(‖z‖+1e-12). */
  clipTextEncode(text: NativeClipHandle, tokens: Int32Array, lens: Int32Array): Promise<NativeClipEncoding>;
  /** gradScale·∇ₓ(logitScale·Σₙ text[n]·ẑₙ(x)) by the native reverse pass; text [N·n_embd] normalised. */
  clipImageGradient(image: NativeClipHandle, x: NativeTensor, timesteps: number[], text: Float32Array,
                    logitScale: number, gradScale: number): Promise<NativeTensor>;
  /** Frees a CLIP encoder (a call in flight finishes first). */
  clipDispose(encoder: NativeClipHandle): void;
}

/** Capabilities of the native runtime (native/addon/runtime_info.cpp). */
export interface NativeRuntimeInfo {
  /** Built with the oneDNN backend (libdnnl-dev was found at build time). */
  onednn: boolean;
  /** oneDNN's version ("2.6.3"), null without it. */
  onednnVersion: string | null;
  /** The instruction set oneDNN dispatches to ("avx512_core_amx", "avx512_core_bf16", …), null without it. */
  isa: string | null;
  /** Native bf16 dot products (AMX-BF16 or AVX512-BF16) through oneDNN. */
  bf16: boolean;
  /** AMX tiles through oneDNN. */
  amx: boolean;
  /** bf16 is the faster precision here (AMX, or AVX512-BF16 on AMD Zen 4/5): what precision "auto" picks. */
  bf16Preferred: boolean;
  /** OpenMP threads (one pool shared by our kernels and oneDNN). */
  threads: number;
}

/** The backend a model is loaded on: oneDNN (fp32/bf16) or the portable kernels (fp32). */
export interface NativeBackendRequest {
  kernels: "onednn" | "portable";
  precision: "fp32" | "bf16";
}

/** Opaque native CLIP image or text encoder (type-tagged external). */
export interface NativeClipHandle {
  readonly __nativeClip: never;
}

/** The CLIP image encoder's geometry (width = heads · features per head). */
export interface NativeClipImageConfig {
  image_size: number; patch_size: number; width: number; heads: number; blocks: number; n_timesteps: number; n_embd: number;
}

/** The CLIP text encoder's geometry (width = heads · features per head). */
export interface NativeClipTextConfig {
  n_vocab: number; max_text_len: number; width: number; heads: number; blocks: number; n_embd: number;
}

/** An encoder's raw output and its L2-normalised rows, both [N, n_embd]. */
export interface NativeClipEncoding {
  raw: NativeTensor;
  normalized: NativeTensor;
}

/** A dense float32 tensor crossing the addon boundary. */
export interface NativeTensor {
  shape: number[];
  data: Float32Array;
}

/** Opaque native model (type-tagged external). */
export interface NativeModelHandle {
  readonly __nativeModel: never;
}

/** Opaque native text context (type-tagged external). */
export interface NativeTextHandle {
  readonly __nativeText: never;
}

/** Where one weight lives in the checkpoint file (src/checkpoint's TensorEntry). */
export interface NativeWeightEntry {
  name: string;
  dtype: "float32" | "float16" | "bfloat16";
  shape: number[];
  strides: number[];
  offset: number;
  storageBytes: number;
}

/** The resolved GLIDE options native code reads (src/checkpoint's GlideConfig satisfies it). */
export interface NativeModelConfig {
  num_channels: number; num_res_blocks: number; channel_mult: number[]; num_heads: number;
  num_head_channels: number; num_heads_upsample: number; attention_resolutions: number[]; image_size: number;
  text_ctx: number; xf_width: number; xf_layers: number; xf_heads: number; xf_final_ln: boolean;
  xf_padding: boolean; use_scale_shift_norm: boolean; resblock_updown: boolean; inpaint: boolean;
  super_res: boolean; n_vocab: number; in_channels: number; out_channels: number;
}

/** Tokens and mask of a batch, flattened row-major [batch, text_ctx]. */
export interface NativeTokenBatch {
  batch: number;
  tokens: Int32Array;
  mask: Uint8Array;
}

/** One UNet call: either `tokens` or a prepared `text`. */
export interface NativeForwardArgs {
  x: NativeTensor;
  timesteps: number[];
  tokens?: NativeTokenBatch;
  text?: NativeTextHandle;
  lowRes?: NativeTensor;
  inpaintImage?: NativeTensor;
  inpaintMask?: NativeTensor;
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

// OpenMP threads that finish early sleep instead of spinning (libgomp reads this when the addon loads):
// on a shared machine a spinning thread steals the core its busy teammate needs. Kernels are coarse,
// so the wake-up cost is negligible. A value set by the user wins.
process.env.OMP_WAIT_POLICY ??= "passive";

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

// --- the CUDA build (build-cuda/Release/glide_native_cuda.node; CMakeLists.txt, native/addon/cuda) -----------

/** Compute precision of a CUDA model: activations and matrices in this dtype, float32 accumulation. */
export type CudaPrecision = "fp32" | "bf16" | "fp16";

/** What the CUDA runtime sees (`available` false with `reason` when there is no usable GPU). */
export interface CudaDeviceInfo {
  available: boolean;
  reason: string;
  deviceCount: number;
  ordinal: number;
  name: string;
  /** "9.0" for Hopper; "" when unknown. */
  computeCapability: string;
  totalMemory: number;
  multiprocessors: number;
  driverVersion: string;
  runtimeVersion: string;
}

/** An input of {@link CudaAddon.opRun}; `weight` routes it through the backend's weight adoption. */
export interface NativeOpInput extends NativeTensor {
  weight?: boolean;
}

/** Opaque on-device sampling run (type-tagged external). */
export interface NativeDeviceSamplerHandle {
  readonly __nativeDeviceSampler: never;
}

/** The schedule values of one step (as in {@link NativeStepArgs}). */
export type NativeStepCoefficients = NativeStepArgs["coef"];

/** Options of {@link CudaAddon.deviceSamplerCreate}; tensors in the host loop's row layout (R rows). */
export interface NativeDeviceSamplerOptions {
  kind: "ddpm" | "ddim";
  eta: number;
  clipDenoised: boolean;
  batch: number;
  rows: number;
  imageSize: number;
  guidanceScale?: number;
  /** Seeded noise: stream j + 1 for step j (docs/noise.md); omit to pass each step's draw. */
  seed?: bigint;
  /** x_T [R,3,S,S], temperature applied. */
  x: Float32Array;
  lowRes?: NativeTensor;
  inpaintImage?: Float32Array;
  inpaintMask?: Float32Array;
  /** Capture and replay CUDA graphs (default true). */
  graphs?: boolean;
}

/** The CUDA addon: the CPU addon's functions plus the CUDA entry points. */
export interface CudaAddon extends NativeAddon {
  /** Probes CUDA device `ordinal` (default 0); never throws for a missing driver or GPU. */
  cudaDeviceInfo(ordinal?: number): CudaDeviceInfo;
  /** modelLoad on a CUDA backend of its own; the handle works with every model* function of this addon. */
  cudaModelLoad(file: string, entries: NativeWeightEntry[], config: NativeModelConfig,
                options: { precision: CudaPrecision; device?: number }): Promise<NativeModelHandle>;
  /** One backend op on the CPU reference or on CUDA (the parity tests; see native/addon/cuda/op_run.cpp). */
  opRun(backend: "cpu" | "cuda", precision: CudaPrecision, op: string, inputs: NativeOpInput[],
        params?: Record<string, unknown>): Promise<NativeTensor>;
  /** noiseNormal generated on the GPU (bit-identical to the CPU generator). */
  cudaNoiseNormal(seed: bigint | number, stream: bigint | number, first: number, count: number): Promise<Float32Array>;
  /** The GPU generator's arithmetic run on the host (checks the transcription without a GPU). */
  cudaNoiseNormalEmulated(seed: bigint | number, stream: bigint | number, first: number, count: number): Promise<Float32Array>;
  /** samplerStep on the GPU. */
  cudaSamplerStep(args: NativeStepArgs): Promise<{ x: Float32Array; pred: Float32Array }>;
  /** The GPU step kernel's arithmetic run on the host. */
  cudaSamplerStepEmulated(args: NativeStepArgs): Promise<{ x: Float32Array; pred: Float32Array }>;
  /** Starts an on-device sampling run of a CUDA model (x, noise and the step stay on the GPU). */
  deviceSamplerCreate(model: NativeModelHandle, text: NativeTextHandle | undefined,
                      options: NativeDeviceSamplerOptions): Promise<NativeDeviceSamplerHandle>;
  /** One step (step 0 eager, step 1 captured as a CUDA graph, later steps replayed); `readRows` > 0 returns
   *  the first rows of the new x and of the x₀ prediction. */
  deviceSamplerStep(run: NativeDeviceSamplerHandle, args: {
    timestep: number; coef: NativeStepCoefficients; stream?: bigint; noise?: Float32Array; readRows?: number;
  }): Promise<{ x?: Float32Array; pred?: Float32Array; graphNodes: number }>;
  /** The first `rows` rows of x. */
  deviceSamplerRead(run: NativeDeviceSamplerHandle, rows: number): Promise<Float32Array>;
  /** Frees the run's device buffers and graph. */
  deviceSamplerDispose(run: NativeDeviceSamplerHandle): void;
}

/** Where `npm run build:cuda` puts the CUDA addon, relative to the package root. */
export const CUDA_ADDON_FILE = "build-cuda/Release/glide_native_cuda.node";

let cudaLoad: { addon: CudaAddon } | { addon: null; reason: string } | undefined;

/**
 * The CUDA addon, loaded on first call (it is only loaded when a CUDA device is asked for, so CPU-only runs
 * never pay for it): `{addon}`, or `{addon: null, reason}` when it is not built or cannot load. A loaded
 * addon may still have no usable GPU: ask `addon.cudaDeviceInfo()`.
 */
export function loadCudaAddon(): { addon: CudaAddon } | { addon: null; reason: string } {
  if (cudaLoad) return cudaLoad;
  const file = path.join(packageRoot, CUDA_ADDON_FILE);
  try {
    cudaLoad = { addon: require(file) as CudaAddon };
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND";
    cudaLoad = {
      addon: null,
      reason: missing
        ? "the CUDA addon is not built (it needs the CUDA toolkit's nvcc: run `npm run build:cuda`)"
        : `the CUDA addon failed to load: ${(err as Error).message.split("\n")[0]}`,
    };
  }
  return cudaLoad;
}
