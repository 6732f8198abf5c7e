/** Which kernels and arithmetic a model runs with: precision "auto" | "fp32" | "bf16" resolved against the build and CPU. */
import { native, type NativeBackendRequest, type NativeRuntimeInfo } from "../native.js";

/** Arithmetic precision of a model's convolutions, matmuls and stored activations ("fp16": CUDA only). */
export type Precision = "fp32" | "bf16" | "fp16";
/** What `loadModel` accepts: `auto` = bf16 where it is the faster precision (oneDNN build on a CPU with AMX-BF16,
 *  or AVX512-BF16 on AMD Zen 4/5, where it runs GLIDE ~1.8–2× faster than fp32), else fp32. */
export type PrecisionOption = Precision | "auto";
/** The precisions `loadModel` and the LoadCheckpoint node accept. */
export const PRECISION_OPTIONS: readonly PrecisionOption[] = ["auto", "fp32", "bf16", "fp16"];

let noticeShown = false;

/**
 * Resolves `requested` for this build and CPU. GLIDE_KERNELS=portable in the environment forces the
 * portable kernels (fp32), e.g. to compare against the reference path.
 */
export function resolveBackend(requested: PrecisionOption, where: string, info: NativeRuntimeInfo = native.runtimeInfo()): NativeBackendRequest {
  const forcedPortable = process.env.GLIDE_KERNELS === "portable";
  const onednn = info.onednn && !forcedPortable;
  if (requested === "fp16") throw new Error(`${where}: precision "fp16" runs on CUDA only (device "cuda")`);
  if (requested === "bf16") {
    if (!onednn) {
      const why = forcedPortable ? "GLIDE_KERNELS=portable is set" : "this build has no oneDNN backend (install libdnnl-dev and run npm run build:native)";
      throw new Error(`${where}: precision "bf16" is not available: ${why}`);
    }
    if (!info.bf16) throw new Error(`${where}: precision "bf16" needs a CPU with AMX-BF16 or AVX512-BF16; oneDNN runs ${info.isa} here (use "fp32")`);
    return { kernels: "onednn", precision: "bf16" };
  }
  if (requested === "auto" && onednn && info.bf16Preferred) return { kernels: "onednn", precision: "bf16" };
  return { kernels: onednn ? "onednn" : "portable", precision: "fp32" };
}

/** Says once per process, on stderr, that models run on the slow portable kernels (no oneDNN in this build). */
export function noteSlowPath(backend: NativeBackendRequest, info: NativeRuntimeInfo = native.runtimeInfo()): void {
  if (noticeShown || backend.kernels !== "portable") return;
  noticeShown = true;
  const why = info.onednn
    ? "GLIDE_KERNELS=portable is set"
    : "this build has no oneDNN backend (install libdnnl-dev and rebuild with npm run build:native)";
  process.stderr.write(`glide-studio: GLIDE models run on the portable fp32 kernels — the slow path — because ${why}.\n`);
}
