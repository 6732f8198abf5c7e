/**
 * GLIDE model options under their official names (`glide_text2im.model_creation`), the official defaults for
 * what weights cannot tell, and parsing of user-given options (objects or sidecar JSON, official string forms
 * such as `channel_mult: "1,2,3,4"` accepted).
 */

/** The full, resolved options of a GLIDE UNet (official option names). */
export interface GlideConfig {
  /** Base width C (`model_channels`). */
  num_channels: number;
  num_res_blocks: number;
  /** Width multiplier per level; `2 ** (levels + 2) == image_size` for every official model. */
  channel_mult: number[];
  /** Heads per attention block when `num_head_channels` is -1. */
  num_heads: number;
  /** Channels per head (-1: use `num_heads`). */
  num_head_channels: number;
  /** Heads of the output-side attention blocks when `num_head_channels` is -1 (-1: same as `num_heads`). */
  num_heads_upsample: number;
  /** Resolutions in pixels with attention (official form); downsample factor ds = image_size / resolution. */
  attention_resolutions: number[];
  image_size: number;
  text_ctx: number;
  /** Text transformer width (0: no text conditioning). */
  xf_width: number;
  xf_layers: number;
  xf_heads: number;
  xf_final_ln: boolean;
  xf_padding: boolean;
  use_scale_shift_norm: boolean;
  resblock_updown: boolean;
  inpaint: boolean;
  super_res: boolean;
  noise_schedule: "squaredcos_cap_v2" | "linear";
  diffusion_steps: number;
  /** Token vocabulary size (rows of `token_embedding.weight`; 50257 for GPT-2 BPE). */
  n_vocab: number;
  /** Input conv channels as stored: 3 base, 6 upsample, 7 base-inpaint, 10 upsample-inpaint. */
  in_channels: number;
  /** Output conv channels (6: ε and the variance interpolation v). */
  out_channels: number;
}

/** The four GLIDE UNet classes, named by task. */
export type GlideKind = "base" | "upsample" | "base-inpaint" | "upsample-inpaint";

/** Options a user may give (any subset, official names; string forms accepted as the official code does). */
export type GlideOptions = { [K in keyof GlideConfig]?: GlideConfig[K] | string };

/** Official options that exist in `model_and_diffusion_defaults` but do not change the weights or inference here. */
const IGNORED_OPTIONS = new Set(["dropout", "timestep_respacing", "use_fp16", "cache_text_emb"]);

const INT_KEYS = [
  "num_channels", "num_res_blocks", "num_heads", "num_head_channels", "num_heads_upsample", "image_size",
  "text_ctx", "xf_width", "xf_layers", "xf_heads", "diffusion_steps", "n_vocab", "in_channels", "out_channels",
] as const;
const BOOL_KEYS = ["xf_final_ln", "xf_padding", "use_scale_shift_norm", "resblock_updown", "inpaint", "super_res"] as const;
const LIST_KEYS = ["channel_mult", "attention_resolutions"] as const;

/**
 * Defaults of the released models for the options weights cannot determine
 * (`model_and_diffusion_defaults` / `model_and_diffusion_defaults_upsampler`).
 */
export function officialDefaults(superRes: boolean): Pick<
  GlideConfig,
  "num_heads" | "num_head_channels" | "num_heads_upsample" | "xf_heads" | "noise_schedule" | "diffusion_steps" | "text_ctx"
> {
  return {
    num_heads: 1,
    num_head_channels: 64,
    num_heads_upsample: -1,
    xf_heads: 8,
    text_ctx: 128,
    noise_schedule: superRes ? "linear" : "squaredcos_cap_v2",
    diffusion_steps: 1000,
  };
}

/** The kind of UNet for the inpaint / super_res flags. */
export function glideKind(c: Pick<GlideConfig, "inpaint" | "super_res">): GlideKind {
  if (c.super_res) return c.inpaint ? "upsample-inpaint" : "upsample";
  return c.inpaint ? "base-inpaint" : "base";
}

/** Input conv channels of each kind: x, then inpaint image + mask, then the upsampled low-res image. */
export function glideInChannels(c: Pick<GlideConfig, "inpaint" | "super_res">): number {
  return 3 + (c.inpaint ? 4 : 0) + (c.super_res ? 3 : 0);
}

function parseIntList(v: unknown, fail: (m: string) => never): number[] {
  const items =
    typeof v === "string" ? v.split(",").map((s) => s.trim()).filter((s) => s !== "")
    : typeof v === "number" ? [v]
    : Array.isArray(v) ? v
    : fail(`must be a list like "1,2,3,4" or [1, 2, 3, 4], got ${JSON.stringify(v)}`);
  return items.map((x) => {
    const n = typeof x === "string" ? Number(x) : x;
    if (typeof n !== "number" || !Number.isInteger(n) || n <= 0) fail(`holds ${JSON.stringify(x)}, not a positive integer`);
    return n as number;
  });
}

/**
 * Validates and normalises user options (from `source`, e.g. "options" or a sidecar path, used in errors).
 * Unknown names are an error (a typo would otherwise be silently ignored); `channel_mult: ""` means "as
 * the weights say" and is dropped.
 */
export function parseGlideOptions(raw: unknown, source: string): Partial<GlideConfig> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) throw new Error(`${source}: model options must be an object`);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (value === undefined || IGNORED_OPTIONS.has(key)) continue;
    const fail = (msg: string): never => {
      throw new Error(`${source}: option ${key} ${msg}`);
    };
    if ((INT_KEYS as readonly string[]).includes(key)) {
      const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
      if (typeof n !== "number" || !Number.isInteger(n)) fail(`must be an integer, got ${JSON.stringify(value)}`);
      out[key] = n;
    } else if ((BOOL_KEYS as readonly string[]).includes(key)) {
      if (typeof value === "boolean") out[key] = value;
      else if (value === "true" || value === "True" || value === 1) out[key] = true;
      else if (value === "false" || value === "False" || value === 0) out[key] = false;
      else fail(`must be true or false, got ${JSON.stringify(value)}`);
    } else if ((LIST_KEYS as readonly string[]).includes(key)) {
      if (key === "channel_mult" && value === "") continue;
      out[key] = parseIntList(value, fail);
    } else if (key === "noise_schedule") {
      if (value !== "squaredcos_cap_v2" && value !== "linear") fail(`must be "squaredcos_cap_v2" or "linear", got ${JSON.stringify(value)}`);
      out[key] = value;
    } else {
      throw new Error(`${source}: unknown model option "${key}"`);
    }
  }
  return out as Partial<GlideConfig>;
}
