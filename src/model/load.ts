/** loadModel: checkpoint file → GlideModel. */
import { readCheckpointIndex, resolveGlideConfig, type GlideConfig, type GlideOptions } from "../checkpoint/index.js";
import { native } from "../native.js";
import { resolveCudaPrecision, resolveDevice, type DeviceOption } from "./device.js";
import { NativeGlideModel, type GlideModel } from "./glide-model.js";
import { noteSlowPath, PRECISION_OPTIONS, resolveBackend, type PrecisionOption } from "./precision.js";

/** Options of `loadModel`. */
export interface LoadModelOptions {
  /** Official GLIDE options overriding what the weights and a sidecar `<checkpoint>.json` say. */
  config?: GlideOptions | Partial<GlideConfig>;
  /** Arithmetic precision: "fp32" (the reference), "bf16" (oneDNN build on a CPU with AMX-BF16 or
   *  AVX512-BF16), or "auto" (default): bf16 where it is faster (AMX, or AVX512-BF16 on AMD), else fp32. */
  precision?: PrecisionOption;
  /** Where to run: "cpu" (default), "cuda" (the CUDA build on an NVIDIA GPU; precision "auto" is bf16 there,
   *  "fp16" and "fp32" also run), or "auto": CUDA where it is available, else the CPU. */
  device?: DeviceOption;
}

/**
 * Loads a GLIDE UNet checkpoint (official PyTorch zip or safetensors; float16/bfloat16 weights are
 * converted to float32). The configuration is inferred from the tensor shapes, then a sidecar
 * `<checkpoint>.json`, then `opts.config`; every tensor is checked against it. Weights are read by the
 * native side straight from the file, off the JS thread.
 */
export async function loadModel(file: string, opts: LoadModelOptions = {}): Promise<GlideModel> {
  if (typeof file !== "string" || file === "") throw new TypeError("loadModel: file must be a non-empty path");
  if (opts.precision !== undefined && !PRECISION_OPTIONS.includes(opts.precision)) {
    throw new Error(`loadModel: precision ${JSON.stringify(opts.precision)} is not one of ${PRECISION_OPTIONS.map((p) => `"${p}"`).join(", ")}`);
  }
  const target = resolveDevice(opts.device ?? "cpu", "loadModel");
  if (target.device === "cuda") {
    const precision = resolveCudaPrecision(opts.precision ?? "auto");
    const index = await readCheckpointIndex(file);
    const { kind, config } = await resolveGlideConfig(index, opts.config);
    const handle = await target.addon.cudaModelLoad(index.file, [...index.tensors.values()], config, { precision });
    return new NativeGlideModel(handle, kind, config, index.file, precision, "cuda", target.addon);
  }
  const backend = resolveBackend(opts.precision ?? "auto", "loadModel");
  const index = await readCheckpointIndex(file);
  const { kind, config } = await resolveGlideConfig(index, opts.config);
  noteSlowPath(backend);
  const handle = await native.modelLoad(index.file, [...index.tensors.values()], config, backend);
  return new NativeGlideModel(handle, kind, config, index.file, backend.precision);
}
