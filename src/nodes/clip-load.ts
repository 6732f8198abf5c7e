/** LoadClip: the noised CLIP (image + text encoder) from the models folder, loaded once and shared. */
import path from "node:path";
import { sidecarPaths } from "../checkpoint/index.js";
import { loadClip } from "../clip/index.js";
import { resolveChoiceFile } from "../graph/inputs.js";
import type { FolderPaths, NodeContext, NodeDefinition } from "../graph/types.js";
import { CHECKPOINT_FILES, statFingerprint } from "./files.js";

/** Size and mtime of both checkpoints and their sidecar configs: a changed file loads afresh. */
async function clipFingerprint(image: string, text: string): Promise<string> {
  const files = [image, ...sidecarPaths(image), text, ...sidecarPaths(text)];
  return (await Promise.all(files.map(statFingerprint))).join("|");
}

interface LoadClipInputs {
  image_encoder: string;
  text_encoder: string;
}

/** The `LoadClip` node. */
export const LoadClip: NodeDefinition = {
  name: "LoadClip",
  display_name: "Load CLIP (noised)",
  description:
    "Loads GLIDE's noised CLIP from the models folder: the image encoder (clip_image_enc.pt) and the text encoder (clip_text_enc.pt). Its sizes are read from the weights; heads and logit scale default to the released model's and can be set in a sidecar <checkpoint>.json with the official CLIP config names. Used by CLIP Guidance.",
  category: "loaders",
  input: {
    required: {
      image_encoder: [CHECKPOINT_FILES, { tooltip: "The noised CLIP image encoder (clip_image_enc.pt)" }],
      text_encoder: [CHECKPOINT_FILES, { tooltip: "The noised CLIP text encoder (clip_text_enc.pt)" }],
    },
  },
  output: ["CLIP_MODEL"],
  output_tooltips: ["The loaded CLIP"],
  fingerprint: (inputs: Record<string, unknown>, paths: FolderPaths) =>
    clipFingerprint(resolveChoiceFile(CHECKPOINT_FILES, paths, String(inputs.image_encoder)), resolveChoiceFile(CHECKPOINT_FILES, paths, String(inputs.text_encoder))),
  async execute({ image_encoder, text_encoder }: LoadClipInputs, ctx: NodeContext) {
    const image = resolveChoiceFile(CHECKPOINT_FILES, ctx.paths, image_encoder);
    const text = resolveChoiceFile(CHECKPOINT_FILES, ctx.paths, text_encoder);
    const source = { file: `${path.resolve(image)}\n${path.resolve(text)}`, version: await clipFingerprint(image, text) };
    const clip = await ctx.models.get(JSON.stringify({ clip: source }), source, () => loadClip(image, text));
    return { result: [clip] };
  },
};
