/**
 * Resolving a checkpoint's full GLIDE config: shapes first, then the official defaults for what shapes cannot
 * tell, then a sidecar `<checkpoint>.json`, then the caller's options — and validating every tensor against
 * the result.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { CheckpointIndex } from "./types.js";
import {
  glideInChannels,
  glideKind,
  officialDefaults,
  parseGlideOptions,
  type GlideConfig,
  type GlideKind,
  type GlideOptions,
} from "./glide-config.js";
import { inferGlideFromShapes } from "./glide-infer.js";
import { expectedGlideTensors, glideUnetLayout } from "./glide-layout.js";

/**
 * Sidecar files looked for next to a checkpoint, in order: `base.pt.json`, then `base.json`.
 * The first that exists is used.
 */
export function sidecarPaths(file: string): string[] {
  const ext = path.extname(file);
  const paths = [`${file}.json`];
  if (ext && ext !== ".json") paths.push(file.slice(0, -ext.length) + ".json");
  return paths;
}

/**
 * The first options sidecar of `file` that exists (see {@link sidecarPaths}), parsed by `parse`; null when
 * there is none. `what` names the sidecar in errors ("model options", "CLIP options"), which name its path.
 */
export async function readSidecar<T>(
  file: string,
  what: string,
  parse: (raw: unknown, path: string) => T,
): Promise<{ path: string; options: T } | null> {
  for (const p of sidecarPaths(file)) {
    let text: string;
    try {
      text = await fs.readFile(p, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw new Error(`${p}: cannot read the ${what} sidecar (${(err as Error).message})`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new Error(`${p}: the ${what} sidecar is not valid JSON (${(err as Error).message})`);
    }
    return { path: p, options: parse(raw, p) };
  }
  return null;
}

/**
 * The full config of a GLIDE UNet checkpoint and its kind. Shape-determined options are inferred; the rest
 * take the released models' defaults; a sidecar `<checkpoint>.json` then `overrides` (official option names,
 * string forms accepted) override anything. Throws an Error naming the file and the tensor for any tensor
 * missing, mis-shaped or unexpected under the resolved config.
 */
export async function resolveGlideConfig(
  index: CheckpointIndex,
  overrides?: GlideOptions | Partial<GlideConfig>,
): Promise<{ kind: GlideKind; config: GlideConfig }> {
  const { attentionDs, ...inferred } = inferGlideFromShapes(index);
  const sidecar = await readSidecar(index.file, "model options", parseGlideOptions);
  const user = { ...sidecar?.options, ...parseGlideOptions(overrides, "model options") };
  const superRes = user.super_res ?? inferred.super_res;
  const merged: GlideConfig = {
    ...officialDefaults(superRes),
    ...inferred,
    attention_resolutions: [],
    ...user,
  };
  if (user.in_channels === undefined) merged.in_channels = glideInChannels(merged);
  if (user.attention_resolutions === undefined) {
    // Attention levels are known as downsample factors; the official option is in pixels.
    merged.attention_resolutions = attentionDs.map((ds) => merged.image_size / ds);
  }
  const config: GlideConfig = { ...merged, channel_mult: [...merged.channel_mult] };
  const optionsFrom = sidecar ? `the options or ${sidecar.path}` : `the options (or a sidecar ${sidecarPaths(index.file)[0]})`;
  checkConfig(index.file, config, optionsFrom);
  validateTensors(index, config);
  return { kind: glideKind(config), config };
}

/** Checks values the official constructors assert on, with a hint naming where to change them. */
function checkConfig(file: string, c: GlideConfig, optionsFrom: string): void {
  const fail = (msg: string): never => {
    throw new Error(`${file}: ${msg} — set it in ${optionsFrom}`);
  };
  for (const k of ["num_channels", "image_size", "diffusion_steps", "out_channels", "in_channels"] as const) {
    if (!(c[k] > 0)) fail(`${k} must be positive, got ${c[k]}`);
  }
  if (c.num_res_blocks < 0 || c.xf_layers < 0 || c.xf_width < 0) fail("num_res_blocks, xf_layers and xf_width cannot be negative");
  if (c.channel_mult.length === 0) fail("channel_mult is empty");
  if (c.xf_width > 0 && !(c.xf_heads > 0 && c.xf_width % c.xf_heads === 0)) {
    fail(`xf_width ${c.xf_width} is not divisible by xf_heads ${c.xf_heads}`);
  }
  if (c.num_head_channels === -1 && !(c.num_heads > 0)) fail(`num_heads must be positive, got ${c.num_heads}`);
  if (c.num_head_channels !== -1 && !(c.num_head_channels > 0)) fail(`num_head_channels must be positive or -1, got ${c.num_head_channels}`);
  const layout = glideUnetLayout(c);
  for (const layer of [...layout.input.flat(), ...layout.middle, ...layout.output.flat()]) {
    if (layer.type !== "attn") continue;
    if (!Number.isInteger(layer.heads) || layer.heads <= 0 || layer.ch % layer.heads !== 0) {
      fail(
        c.num_head_channels !== -1
          ? `attention ${layer.name} has ${layer.ch} channels, not divisible by num_head_channels ${c.num_head_channels}`
          : `attention ${layer.name} has ${layer.ch} channels, not divisible into ${layer.heads} heads`,
      );
    }
  }
}

/**
 * Every expected tensor present with its shape, and nothing else. The error names the first offending tensor
 * in module order, then up to 3 of each kind of problem.
 */
function validateTensors(index: CheckpointIndex, c: GlideConfig): void {
  const expected = expectedGlideTensors(c);
  const kinds = { "mis-shaped": [] as string[], missing: [] as string[], unexpected: [] as string[] };
  const all: string[] = [];
  const report = (kind: keyof typeof kinds, msg: string): void => {
    kinds[kind].push(msg);
    all.push(msg);
  };
  for (const [name, shape] of expected) {
    const e = index.tensors.get(name);
    if (!e) report("missing", `missing tensor ${name} (expected shape [${shape}])`);
    else if (e.shape.length !== shape.length || e.shape.some((n, i) => n !== shape[i])) {
      report("mis-shaped", `tensor ${name} has shape [${e.shape}] but the config expects [${shape}]`);
    }
  }
  for (const name of index.tensors.keys()) {
    if (!expected.has(name)) report("unexpected", `unexpected tensor ${name} (not part of a GLIDE ${glideKind(c)} UNet with this config)`);
  }
  if (all.length === 0) return;
  const lines: string[] = [];
  for (const [kind, msgs] of Object.entries(kinds)) {
    if (msgs.length === 0) continue;
    lines.push(`${msgs.length} ${kind}:`, ...msgs.slice(0, 3).map((m) => `  ${m}`));
    if (msgs.length > 3) lines.push(`  … and ${msgs.length - 3} more`);
  }
  const summary =
    `num_channels=${c.num_channels} channel_mult=${c.channel_mult} num_res_blocks=${c.num_res_blocks} ` +
    `attention_resolutions=${c.attention_resolutions} image_size=${c.image_size} resblock_updown=${c.resblock_updown} ` +
    `use_scale_shift_norm=${c.use_scale_shift_norm} xf_width=${c.xf_width} xf_layers=${c.xf_layers}`;
  throw new Error(`${index.file}: ${all[0]}\n  ${lines.join("\n  ")}\n  (config: ${summary})`);
}
