/** LoadCheckpoint: a GLIDE UNet from the models folder, loaded once and shared. */
import path from "node:path";
import { sidecarPaths } from "../checkpoint/glide-resolve.js";
import { resolveChoiceFile } from "../graph/inputs.js";
import type { FolderPaths, NodeContext, NodeDefinition } from "../graph/types.js";
import { DEVICE_OPTIONS, loadModel, PRECISION_OPTIONS } from "../model/index.js";
import { resolveCudaPrecision, resolveDevice } from "../model/device.js";
import { resolveBackend } from "../model/precision.js";
import { CHECKPOINT_FILES, statFingerprint } from "./files.js";
import type { GlideModelValue } from "./types.js";

/** Precisions offered: "auto" = bf16 where it is the faster precision (oneDNN build with AMX, or AVX512-BF16 on AMD), else fp32. */
export const PRECISIONS = PRECISION_OPTIONS;
/** Devices offered: "auto" = CUDA where the CUDA build finds a usable GPU, else the CPU. */
export const DEVICES = DEVICE_OPTIONS;

/** Size and mtime of the checkpoint and of its sidecar config: a changed file loads afresh. */
async function checkpointFingerprint(file: string): Promise<string> {
  const parts = await Promise.all([file, ...sidecarPaths(file)].map(statFingerprint));
  return parts.join("|");
}

interface LoadInputs {
  ckpt_name: string;
  precision?: (typeof PRECISIONS)[number];
  device?: (typeof DEVICES)[number];
}

/** The `LoadCheckpoint` node. */
export const LoadCheckpoint: NodeDefinition = {
  name: "LoadCheckpoint",
  display_name: "Load Checkpoint",
  description:
    "Loads a GLIDE checkpoint (.pt as released by OpenAI, or .safetensors) from the models folder. The variant (base, upsample, base-inpaint, upsample-inpaint) is detected from the weights; options the weights cannot tell come from a sidecar <checkpoint>.json. A model is loaded once and shared by every node and run.",
  category: "loaders",
  input: {
    required: {
      ckpt_name: [CHECKPOINT_FILES, { tooltip: "A checkpoint in the models folder (glide-studio models download base)" }],
    },
    optional: {
      precision: [PRECISIONS, { default: "auto", tooltip: "Arithmetic precision: auto = bf16 on CUDA or where bf16 is faster on this CPU (AMX, or AVX512-BF16 on AMD), else fp32 (the reference); fp16 runs on CUDA only" }],
      device: [DEVICES, { default: "auto", tooltip: "Where the model runs: auto = the NVIDIA GPU when the CUDA build finds one, else the CPU" }],
    },
  },
  output: ["GLIDE_MODEL"],
  output_tooltips: ["The loaded model"],
  fingerprint: (inputs: Record<string, unknown>, paths: FolderPaths) =>
    checkpointFingerprint(resolveChoiceFile(CHECKPOINT_FILES, paths, String(inputs.ckpt_name))),
  async execute({ ckpt_name, precision: requested = "auto", device: wanted = "auto" }: LoadInputs, ctx: NodeContext) {
    // "auto" and what it resolves to share one cached model.
    const { device } = resolveDevice(wanted, "LoadCheckpoint");
    const precision = device === "cuda" ? resolveCudaPrecision(requested) : resolveBackend(requested, "LoadCheckpoint").precision;
    const file = resolveChoiceFile(CHECKPOINT_FILES, ctx.paths, ckpt_name);
    const fingerprint = await checkpointFingerprint(file);
    const source = { file: path.resolve(file), version: fingerprint };
    const key = JSON.stringify({ ...source, precision, device });
    const model: GlideModelValue = await ctx.models.get(key, source, () => loadModel(file, { precision, device }));
    return { result: [model] };
  },
};
