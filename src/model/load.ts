/** loadModel: checkpoint file → GlideModel. */
import { readCheckpointIndex, resolveGlideConfig, type GlideConfig, type GlideOptions } from "../checkpoint/index.js";
import { native } from "../native.js";
import { NativeGlideModel, type GlideModel } from "./glide-model.js";
import { noteSlowPath, PRECISION_OPTIONS, resolveBackend, type PrecisionOption } from "./precision.js";

/** Options of `loadModel`. */
export interface LoadModelOptions {
  /** Official GLIDE options overriding what the weights and a sidecar `<checkpoint>.json` say. */
  config?: GlideOptions | Partial<GlideConfig>;
  /** Arithmetic precision: "fp32" (the reference), "bf16" (oneDNN build on a CPU with AMX-BF16 or
   *  AVX512-BF16), or "auto" (default): bf16 where the CPU has AMX, else fp32. */
  precision?: PrecisionOption;
  /** Where to run; only "cpu" exists in this build. */
  device?: "cpu";
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
  const backend = resolveBackend(opts.precision ?? "auto", "loadModel");
  if (opts.device !== undefined && opts.device !== "cpu") {
    throw new Error(`loadModel: device ${JSON.stringify(opts.device)} is not available in this build (use "cpu")`);
  }
  const index = await readCheckpointIndex(file);
  const { kind, config } = await resolveGlideConfig(index, opts.config);
  noteSlowPath(backend);
  const handle = await native.modelLoad(index.file, [...index.tensors.values()], config, backend);
  return new NativeGlideModel(handle, kind, config, index.file, backend.precision);
}
