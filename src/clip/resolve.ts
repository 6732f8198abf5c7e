/**
 * Resolving a noised CLIP's full config from its two checkpoints: shapes first, the released model's values
 * for what shapes cannot tell (heads, logit scale, schedule), then sidecars `<checkpoint>.json` next to either
 * file, then the caller's options — and validating every tensor of both files against the result.
 */
import { sidecarPaths } from "../checkpoint/index.js";
import { readSidecar } from "../checkpoint/glide-resolve.js";
import type { CheckpointIndex } from "../checkpoint/index.js";
import { parseClipOptions, RELEASED_CLIP_CONFIG, type ClipConfig, type ClipOptions } from "./config.js";
import { expectedClipImageTensors, expectedClipTextTensors } from "./layout.js";

/** What the weights determine, with the tensor that says so (for error messages). */
interface Inferred {
  values: Partial<ClipConfig>;
  evidence: Partial<Record<keyof ClipConfig, string>>;
  imageWidth: number;
  textWidth: number;
}

function shapeOf(index: CheckpointIndex, name: string, role: "image" | "text"): number[] {
  const entry = index.tensors.get(name);
  if (entry) return entry.shape;
  const other = role === "image" ? "blocks.input.w_voc" : "blocks.input.patch_proj";
  const swapped = index.tensors.has(other)
    ? ` — it looks like the CLIP ${role === "image" ? "text" : "image"} encoder (loadClip takes the image encoder first, then the text encoder)`
    : "";
  throw new Error(`${index.file}: tensor '${name}' is missing, so this is not a noised CLIP ${role} encoder${swapped}`);
}

function blockCount(index: CheckpointIndex): number {
  let n = 0;
  for (const name of index.tensors.keys()) {
    const m = /^blocks\.block_(\d+)\./.exec(name);
    if (m) n = Math.max(n, Number(m[1]) + 1);
  }
  return n;
}

function describe(index: CheckpointIndex, name: string): string {
  return `${name} is [${index.tensors.get(name)!.shape.join(", ")}] in ${index.file}`;
}

function infer(image: CheckpointIndex, text: CheckpointIndex): Inferred {
  const [nTimesteps, imageWidth] = shapeOf(image, "blocks.input.w_t", "image");
  const patch = shapeOf(image, "blocks.input.patch_proj", "image");
  const [positions] = shapeOf(image, "blocks.input.w_pos", "image");
  const [imageEmbd] = shapeOf(image, "blocks.output.f.w", "image");
  const [nVocab, textWidth] = shapeOf(text, "blocks.input.w_voc", "text");
  const [maxTextLen] = shapeOf(text, "blocks.input.w_pos", "text");
  const [textEmbd] = shapeOf(text, "blocks.output.f.w", "text");
  const patchSize = patch[2];
  const grid = Math.round(Math.sqrt(positions - 1));
  if (patch.length !== 4 || patch[1] !== 3 || patch[3] !== patchSize || grid * grid !== positions - 1) {
    throw new Error(
      `${image.file}: cannot read the image geometry (${describe(image, "blocks.input.patch_proj")}, ${describe(image, "blocks.input.w_pos")}; expected [W, 3, p, p] and [1 + g², W])`,
    );
  }
  if (imageEmbd !== textEmbd) {
    throw new Error(
      `the CLIP encoders do not belong together: ${describe(image, "blocks.output.f.w")} but ${describe(text, "blocks.output.f.w")} (their embedding widths must agree)`,
    );
  }
  return {
    values: {
      n_timesteps: nTimesteps,
      image_size: grid * patchSize,
      patch_size: patchSize,
      n_vocab: nVocab,
      max_text_len: maxTextLen,
      n_embd: imageEmbd,
      n_xf_blocks_image: blockCount(image),
      n_xf_blocks_text: blockCount(text),
    },
    evidence: {
      n_timesteps: describe(image, "blocks.input.w_t"),
      image_size: `${describe(image, "blocks.input.w_pos")} and ${describe(image, "blocks.input.patch_proj")}`,
      patch_size: describe(image, "blocks.input.patch_proj"),
      n_vocab: describe(text, "blocks.input.w_voc"),
      max_text_len: describe(text, "blocks.input.w_pos"),
      n_embd: describe(image, "blocks.output.f.w"),
      n_xf_blocks_image: `${image.file} has ${blockCount(image)} blocks.block_<i>`,
      n_xf_blocks_text: `${text.file} has ${blockCount(text)} blocks.block_<i>`,
    },
    imageWidth,
    textWidth,
  };
}

/**
 * Heads and features per head of one transformer of `width` features: from whichever the user gave, else the
 * released model's 64 features per head.
 */
function resolveHeads(
  width: number,
  heads: number | undefined,
  state: number | undefined,
  names: { heads: keyof ClipConfig; state: keyof ClipConfig },
  file: string,
  optionsFrom: string,
): { heads: number; state: number } {
  const where = `${file} (a ${width}-wide transformer)`;
  if (heads !== undefined && state !== undefined) {
    if (heads * state !== width) throw new Error(`${where}: ${names.heads} ${heads} × ${names.state} ${state} ≠ ${width}`);
    return { heads, state };
  }
  if (heads !== undefined) {
    if (width % heads !== 0) throw new Error(`${where}: ${names.heads} ${heads} does not divide the width ${width}`);
    return { heads, state: width / heads };
  }
  if (state !== undefined) {
    if (width % state !== 0) throw new Error(`${where}: ${names.state} ${state} does not divide the width ${width}`);
    return { heads: width / state, state };
  }
  const released = RELEASED_CLIP_CONFIG[names.state] as number;
  if (width % released !== 0) {
    throw new Error(
      `${where}: the weights do not tell the number of attention heads and the released model's ${released} features per head do not divide ${width}; set ${names.heads} (or ${names.state}) in ${optionsFrom}`,
    );
  }
  return { heads: width / released, state: released };
}

function validateTensors(index: CheckpointIndex, expected: Map<string, number[]>, optionsFrom: string): void {
  const problems: string[] = [];
  for (const [name, shape] of expected) {
    const entry = index.tensors.get(name);
    if (!entry) problems.push(`tensor '${name}' is missing (expected [${shape.join(", ")}])`);
    else if (entry.shape.join(",") !== shape.join(",")) {
      problems.push(`tensor '${name}' is [${entry.shape.join(", ")}] but the config expects [${shape.join(", ")}]`);
    }
  }
  for (const name of index.tensors.keys()) if (!expected.has(name)) problems.push(`tensor '${name}' is not part of the configured model`);
  if (problems.length > 0) {
    const shown = problems.slice(0, 8).join("; ") + (problems.length > 8 ? `; … (${problems.length - 8} more)` : "");
    throw new Error(`${index.file}: ${shown} — check the CLIP options (${optionsFrom})`);
  }
}

/**
 * The full config of a noised CLIP from its image and text encoder checkpoints. Throws an Error naming the
 * file and the tensor for a missing, mis-shaped or unexpected tensor, and naming the option for a value
 * that contradicts the weights or cannot be determined.
 */
export async function resolveClipConfig(
  image: CheckpointIndex,
  text: CheckpointIndex,
  overrides?: ClipOptions | Partial<ClipConfig>,
): Promise<ClipConfig> {
  const inferred = infer(image, text);
  const sidecars = [
    await readSidecar(image.file, "CLIP options", parseClipOptions),
    await readSidecar(text.file, "CLIP options", parseClipOptions),
  ].filter((s) => s !== null);
  const user: Partial<ClipConfig> = Object.assign(
    {},
    ...sidecars.map((s) => s!.options),
    parseClipOptions(overrides, "CLIP options"),
  );
  const optionsFrom =
    sidecars.length > 0
      ? `the options or ${sidecars.map((s) => s!.path).join(", ")}`
      : `the options (or a sidecar ${sidecarPaths(image.file)[0]})`;

  for (const [key, value] of Object.entries(inferred.values) as [keyof ClipConfig, number][]) {
    const given = user[key];
    if (given !== undefined && given !== value) {
      throw new Error(`CLIP option ${key} = ${given} (from ${optionsFrom}) contradicts the weights: ${inferred.evidence[key]}, so ${key} = ${value}`);
    }
  }
  const img = resolveHeads(
    inferred.imageWidth, user.n_head_image, user.n_head_state_image,
    { heads: "n_head_image", state: "n_head_state_image" }, image.file, optionsFrom,
  );
  const txt = resolveHeads(
    inferred.textWidth, user.n_head_text, user.n_head_state_text,
    { heads: "n_head_text", state: "n_head_state_text" }, text.file, optionsFrom,
  );
  const config: ClipConfig = {
    ...RELEASED_CLIP_CONFIG,
    ...user,
    ...(inferred.values as Required<typeof inferred.values>),
    n_head_image: img.heads,
    n_head_state_image: img.state,
    n_head_text: txt.heads,
    n_head_state_text: txt.state,
  };
  validateTensors(image, expectedClipImageTensors(config), optionsFrom);
  validateTensors(text, expectedClipTextTensors(config), optionsFrom);
  return config;
}
