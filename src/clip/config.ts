/**
 * Options of the noised CLIP under their official names (`glide_text2im/clip/config.yaml`), the released
 * model's values for what the weights cannot tell, and parsing of user-given options.
 */

/** The full, resolved options of a noised CLIP (official names). */
export interface ClipConfig {
  /** exp of the stored log; the scores are multiplied by float32(exp(float32(log(logit_scale)))). */
  logit_scale: number;
  /** The diffusion schedule CLIP was trained on (informational: the sampler uses the UNet's). */
  beta_schedule: string;
  /** Rows of the timestep-token table `w_t` (original timesteps 0 … n_timesteps−1). */
  n_timesteps: number;
  image_size: number;
  patch_size: number;
  /** Rows of the token table `w_voc`. */
  n_vocab: number;
  /** Text context (rows of the text `w_pos`). */
  max_text_len: number;
  /** Embedding width shared by both encoders (rows of `blocks.output.f.w`). */
  n_embd: number;
  /** Text transformer: features per head, heads (width = product), blocks. */
  n_head_state_text: number;
  n_head_text: number;
  n_xf_blocks_text: number;
  /** Image transformer: features per head, heads (width = product), blocks. */
  n_head_state_image: number;
  n_head_image: number;
  n_xf_blocks_image: number;
}

/** Options a user may give: any subset, official names; numbers may be given as numeric strings. */
export type ClipOptions = { [K in keyof ClipConfig]?: ClipConfig[K] | string };

/** The released noised CLIP (`clip/image-enc`, `clip/text-enc`), as its config.yaml says. */
export const RELEASED_CLIP_CONFIG: Readonly<ClipConfig> = Object.freeze({
  logit_scale: 100,
  beta_schedule: "squaredcos_cap_v2",
  n_timesteps: 1000,
  image_size: 64,
  patch_size: 4,
  n_vocab: 65536,
  max_text_len: 77,
  n_embd: 512,
  n_head_state_text: 64,
  n_head_text: 8,
  n_xf_blocks_text: 12,
  n_head_state_image: 64,
  n_head_image: 12,
  n_xf_blocks_image: 12,
});

const INT_KEYS = [
  "n_timesteps", "image_size", "patch_size", "n_vocab", "max_text_len", "n_embd", "n_head_state_text", "n_head_text",
  "n_xf_blocks_text", "n_head_state_image", "n_head_image", "n_xf_blocks_image",
] as const;
const SCHEDULES = ["squaredcos_cap_v2", "linear"];

/**
 * Checks user options (an object or parsed sidecar JSON) and converts numeric strings. Unknown names are
 * errors (a misspelt option would otherwise be silently ignored). `where` names the source in messages.
 */
export function parseClipOptions(raw: unknown, where: string): Partial<ClipConfig> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) throw new TypeError(`${where}: CLIP options must be an object`);
  const out: Partial<ClipConfig> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (value === undefined) continue;
    if ((INT_KEYS as readonly string[]).includes(key)) {
      const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
      if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
        throw new TypeError(`${where}: ${key} must be a positive integer, got ${JSON.stringify(value)}`);
      }
      out[key as (typeof INT_KEYS)[number]] = n;
    } else if (key === "logit_scale") {
      const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
      if (typeof n !== "number" || !Number.isFinite(n) || n <= 0) {
        throw new TypeError(`${where}: logit_scale must be a positive number, got ${JSON.stringify(value)}`);
      }
      out.logit_scale = n;
    } else if (key === "beta_schedule") {
      if (typeof value !== "string" || !SCHEDULES.includes(value)) {
        throw new TypeError(`${where}: beta_schedule must be one of ${SCHEDULES.join(", ")}, got ${JSON.stringify(value)}`);
      }
      out.beta_schedule = value;
    } else {
      throw new TypeError(
        `${where}: unknown CLIP option "${key}" (known: logit_scale, beta_schedule, ${INT_KEYS.join(", ")})`,
      );
    }
  }
  return out;
}

/** The multiplier of the CLIP score as the reference computes it: float32 exp of the float32 log. */
export function logitMultiplier(logitScale: number): number {
  return Math.fround(Math.exp(Math.fround(Math.log(logitScale))));
}
