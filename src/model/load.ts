/** loadModel: checkpoint file → GlideModel. */
import { readCheckpointIndex, resolveGlideConfig, type GlideConfig, type GlideOptions } from "../checkpoint/index.js";
import { native } from "../native.js";
import { NativeGlideModel, type GlideModel } from "./glide-model.js";

/** Options of `loadModel`. */
export interface LoadModelOptions {
  /** Official GLIDE options overriding what the weights and a sidecar `<checkpoint>.json` say. */
  config?: GlideOptions | Partial<GlideConfig>;
  /** Arithmetic precision; only "fp32" exists in this build. */
  precision?: "fp32";
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
  if (opts.precision !== undefined && opts.precision !== "fp32") {
    throw new Error(`loadModel: precision ${JSON.stringify(opts.precision)} is not available in this build (use "fp32")`);
  }
  if (opts.device !== undefined && opts.device !== "cpu") {
    throw new Error(`loadModel: device ${JSON.stringify(opts.device)} is not available in this build (use "cpu")`);
  }
  const index = await readCheckpointIndex(file);
  const { kind, config } = await resolveGlideConfig(index, opts.config);
  const handle = await native.modelLoad(index.file, [...index.tensors.values()], config);
  return new NativeGlideModel(handle, kind, config, index.file);
}
