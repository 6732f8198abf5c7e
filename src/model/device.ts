/** Where a model runs: device "auto" | "cpu" | "cuda" resolved against the builds and the machine. */
import { loadCudaAddon, type CudaAddon, type CudaDeviceInfo, type CudaPrecision } from "../native.js";
import type { PrecisionOption } from "./precision.js";

/** A model's device once resolved. */
export type ModelDevice = "cpu" | "cuda";
/** What `loadModel` and the LoadCheckpoint node accept: `auto` = CUDA where a usable GPU and the CUDA build exist. */
export type DeviceOption = ModelDevice | "auto";
/** The devices `loadModel` and the LoadCheckpoint node accept. */
export const DEVICE_OPTIONS: readonly DeviceOption[] = ["auto", "cpu", "cuda"];

/** Whether CUDA can run here: the addon and the device it sees, or why not. */
export type CudaStatus = { available: true; addon: CudaAddon; info: CudaDeviceInfo } | { available: false; reason: string };

/** Probes the CUDA build and device 0 (the addon is loaded on the first call only). */
export function cudaStatus(): CudaStatus {
  const loaded = loadCudaAddon();
  if (!loaded.addon) return { available: false, reason: loaded.reason };
  const info = loaded.addon.cudaDeviceInfo();
  if (!info.available) return { available: false, reason: info.reason };
  return { available: true, addon: loaded.addon, info };
}

/** A resolved device: the CUDA addon comes with "cuda". */
export type ResolvedDevice = { device: "cpu" } | { device: "cuda"; addon: CudaAddon };

/**
 * Resolves `requested`: "auto" is "cuda" when {@link cudaStatus} says it can run, else "cpu".
 * @throws Error naming `where` and the reason when "cuda" is asked for and cannot run.
 */
export function resolveDevice(requested: DeviceOption, where: string): ResolvedDevice {
  if (!DEVICE_OPTIONS.includes(requested)) {
    throw new Error(`${where}: device ${JSON.stringify(requested)} is not one of ${DEVICE_OPTIONS.map((d) => `"${d}"`).join(", ")}`);
  }
  if (requested === "cpu") return { device: "cpu" };
  const status = cudaStatus();
  if (status.available) return { device: "cuda", addon: status.addon };
  if (requested === "auto") return { device: "cpu" };
  throw new Error(`${where}: device "cuda" is not available: ${status.reason}`);
}

/** The CUDA precision for a requested option: "auto" is bf16 (tensor cores, float32's range). */
export function resolveCudaPrecision(requested: PrecisionOption): CudaPrecision {
  return requested === "auto" ? "bf16" : requested;
}
