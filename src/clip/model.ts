/** loadClip and ClipModel: the noised CLIP's encoders and the input gradient that CLIP guidance follows. */
import { readCheckpointIndex } from "../checkpoint/index.js";
import { native, type NativeClipHandle } from "../native.js";
import { ClipTokenizer } from "../tokenizer/index.js";
import { logitMultiplier, type ClipConfig, type ClipOptions } from "./config.js";
import { imageWidth, textWidth } from "./layout.js";
import { resolveClipConfig } from "./resolve.js";

/** A dense float32 tensor, row-major (C order). */
export interface ClipTensor {
  shape: number[];
  data: Float32Array;
}

/** CLIP token rows (`max_text_len` ids each: start, ids, end, zero padding) and their lengths (start and end included). */
export interface ClipTokens {
  tokens: number[][];
  lens: number[];
}

/** Options of {@link loadClip}. */
export interface LoadClipOptions {
  /** Official CLIP config names overriding what the weights and sidecar `<checkpoint>.json` files say. */
  config?: ClipOptions | Partial<ClipConfig>;
}

/** A raw encoder output and its L2-normalised form, both [N, n_embd]. */
export interface ClipEncoding {
  raw: ClipTensor;
  embeddings: ClipTensor;
}

function checkImages(where: string, x: unknown, size: number): ClipTensor {
  const t = x as ClipTensor;
  const layout = `[N, 3, ${size}, ${size}]`;
  if (typeof t !== "object" || t === null || !Array.isArray(t.shape) || !(t.data instanceof Float32Array)) {
    throw new TypeError(`${where}: x must be a tensor {shape, data: Float32Array} of shape ${layout}`);
  }
  const [n, c, h, w] = t.shape;
  if (t.shape.length !== 4 || !Number.isInteger(n) || n < 1 || c !== 3 || h !== size || w !== size) {
    throw new Error(`${where}: x must have shape ${layout} (the CLIP image encoder's size), got [${t.shape.join(", ")}]`);
  }
  if (t.data.length !== n * 3 * size * size) {
    throw new Error(`${where}: x.data has ${t.data.length} values but shape [${t.shape.join(", ")}] needs ${n * 3 * size * size}`);
  }
  return t;
}

/**
 * The noised CLIP of GLIDE's CLIP-guided sampling: an image encoder that sees noisy images x_t together with
 * their timestep, and a text encoder. Weights live in native memory until {@link ClipModel.dispose}.
 */
export class ClipModel {
  /** Text tokenizer (CLIP's SimpleTokenizer). */
  private readonly tokenizer = ClipTokenizer.load();
  private disposed = false;

  /** @internal Use {@link loadClip}. */
  constructor(
    private readonly image: NativeClipHandle,
    private readonly text: NativeClipHandle,
    /** The resolved config (official names). */
    readonly config: ClipConfig,
    /** The image encoder checkpoint. */
    readonly imagePath: string,
    /** The text encoder checkpoint. */
    readonly textPath: string,
  ) {}

  /** The multiplier of the CLIP score: float32 exp(float32 log(logit_scale)), 100.00000762939453 for 100. */
  get logitScale(): number {
    return logitMultiplier(this.config.logit_scale);
  }

  private live(where: string): void {
    if (this.disposed) throw new Error(`${where}: the CLIP model (${this.imagePath}) has been disposed`);
  }

  /** Tokenises prompts as the reference does: encode, then at most max_text_len−2 ids between start and end, 0-padded. */
  tokenize(prompts: string[]): ClipTokens {
    if (!Array.isArray(prompts) || prompts.length === 0 || !prompts.every((p) => typeof p === "string")) {
      throw new TypeError("ClipModel.tokenize: prompts must be a non-empty array of strings");
    }
    const rows = prompts.map((p) => this.tokenizer.paddedTokensAndLen(this.tokenizer.encode(p), this.config.max_text_len));
    return { tokens: rows.map((r) => r.tokens), lens: rows.map((r) => r.len) };
  }

  /** Text encoder output z [N, n_embd] and its normalised form for prompts or token rows. */
  async encodeText(prompts: string[] | ClipTokens): Promise<ClipEncoding> {
    this.live("ClipModel.encodeText");
    const t = Array.isArray(prompts) ? this.tokenize(prompts) : prompts;
    const { max_text_len: ctx, n_vocab: vocab } = this.config;
    if (!t || !Array.isArray(t.tokens) || !Array.isArray(t.lens) || t.tokens.length !== t.lens.length || t.tokens.length === 0) {
      throw new TypeError("ClipModel.encodeText: expected prompts or {tokens, lens} with one length per token row");
    }
    const flat = new Int32Array(t.tokens.length * ctx);
    t.tokens.forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== ctx) throw new TypeError(`ClipModel.encodeText: token row ${i} must hold ${ctx} ids`);
      row.forEach((id, j) => {
        if (!Number.isInteger(id) || id < 0 || id >= vocab) {
          throw new RangeError(`ClipModel.encodeText: token ${id} (row ${i}, position ${j}) is outside the CLIP vocabulary of ${vocab}`);
        }
        flat[i * ctx + j] = id;
      });
      const len = t.lens[i];
      if (!Number.isInteger(len) || len < 1 || len > ctx) throw new RangeError(`ClipModel.encodeText: length ${len} of row ${i} is outside 1…${ctx}`);
    });
    const out = await native.clipTextEncode(this.text, flat, Int32Array.from(t.lens));
    return { raw: out.raw, embeddings: out.normalized };
  }

  /** L2-normalised text embeddings [N, n_embd] (`CLIPModel.text_embeddings`). */
  async textEmbeddings(prompts: string[] | ClipTokens): Promise<ClipTensor> {
    return (await this.encodeText(prompts)).embeddings;
  }

  private checkTimesteps(where: string, timesteps: unknown, n: number): number[] {
    const max = this.config.n_timesteps;
    if (!Array.isArray(timesteps) || timesteps.length !== n) {
      throw new TypeError(`${where}: timesteps must be an array of ${n} integers (one per image)`);
    }
    for (const t of timesteps) {
      if (!Number.isInteger(t) || t < 0 || t >= max) {
        throw new RangeError(`${where}: timestep ${String(t)} is outside 0…${max - 1} (original, unrespaced timesteps)`);
      }
    }
    return timesteps as number[];
  }

  /** Image encoder output z [N, n_embd] and its normalised form; x [N,3,S,S] in [−1, 1], one original timestep per image. */
  async encodeImage(x: ClipTensor, timesteps: number[]): Promise<ClipEncoding> {
    this.live("ClipModel.encodeImage");
    const img = checkImages("ClipModel.encodeImage", x, this.config.image_size);
    const t = this.checkTimesteps("ClipModel.encodeImage", timesteps, img.shape[0]);
    const out = await native.clipImageEncode(this.image, img, t);
    return { raw: out.raw, embeddings: out.normalized };
  }

  /** L2-normalised image embeddings [N, n_embd] (`CLIPModel.image_embeddings`). */
  async imageEmbeddings(x: ClipTensor, timesteps: number[]): Promise<ClipTensor> {
    return (await this.encodeImage(x, timesteps)).embeddings;
  }

  /**
   * `scale · ∇ₓ (logitScale · Σₙ zₜ[n]·zᵢ[n](x, tₙ))` — the reference's `cond_fn` — by the native reverse pass
   * of the image encoder. `prompts`: one prompt per image (or one for all), or their normalised text
   * embeddings [N|1, n_embd] (compute them once per sample with {@link textEmbeddings}). Returns [N,3,S,S].
   */
  async gradient(x: ClipTensor, timesteps: number[], prompts: string[] | ClipTensor, scale: number): Promise<ClipTensor> {
    this.live("ClipModel.gradient");
    const img = checkImages("ClipModel.gradient", x, this.config.image_size);
    const n = img.shape[0];
    const t = this.checkTimesteps("ClipModel.gradient", timesteps, n);
    if (typeof scale !== "number" || !Number.isFinite(scale)) throw new TypeError(`ClipModel.gradient: scale must be a finite number, got ${String(scale)}`);
    const text = Array.isArray(prompts) ? await this.textEmbeddings(prompts) : prompts;
    const e = this.config.n_embd;
    if (!text || !(text.data instanceof Float32Array) || text.shape?.length !== 2 || text.shape[1] !== e || text.data.length !== text.shape[0] * e) {
      throw new TypeError(`ClipModel.gradient: text embeddings must be a tensor [N or 1, ${e}]`);
    }
    const rows = text.shape[0];
    if (rows !== n && rows !== 1) throw new Error(`ClipModel.gradient: ${rows} prompts for ${n} images; give one per image or one for all`);
    const perImage = rows === n ? text.data : new Float32Array(n * e).map((_, i) => text.data[i % e]);
    return native.clipImageGradient(this.image, img, t, perImage, this.logitScale, scale);
  }

  /** Frees both encoders' native memory (calls in flight finish first). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    native.clipDispose(this.image);
    native.clipDispose(this.text);
  }
}

/**
 * Loads the noised CLIP from OpenAI's `clip_image_enc.pt` and `clip_text_enc.pt` (or safetensors). The config
 * is inferred from the shapes; heads, logit scale and schedule default to the released model's values and
 * can be set with the official names in sidecar `<checkpoint>.json` files or `opts.config`.
 * @example
 * const clip = await loadClip("clip_image_enc.pt", "clip_text_enc.pt");
 * const grad = await clip.gradient(x, [500], ["a corgi"], 3);
 */
export async function loadClip(imagePath: string, textPath: string, opts: LoadClipOptions = {}): Promise<ClipModel> {
  if (typeof imagePath !== "string" || imagePath === "") throw new TypeError("loadClip: imagePath must be a non-empty path");
  if (typeof textPath !== "string" || textPath === "") throw new TypeError("loadClip: textPath must be a non-empty path");
  const [imageIndex, textIndex] = await Promise.all([readCheckpointIndex(imagePath), readCheckpointIndex(textPath)]);
  const config = await resolveClipConfig(imageIndex, textIndex, opts.config);
  const loads = await Promise.allSettled([
    native.clipImageLoad(imageIndex.file, [...imageIndex.tensors.values()], {
      image_size: config.image_size, patch_size: config.patch_size, width: imageWidth(config), heads: config.n_head_image,
      blocks: config.n_xf_blocks_image, n_timesteps: config.n_timesteps, n_embd: config.n_embd,
    }),
    native.clipTextLoad(textIndex.file, [...textIndex.tensors.values()], {
      n_vocab: config.n_vocab, max_text_len: config.max_text_len, width: textWidth(config), heads: config.n_head_text,
      blocks: config.n_xf_blocks_text, n_embd: config.n_embd,
    }),
  ]);
  const failed = loads.find((r) => r.status === "rejected");
  if (failed) {
    for (const r of loads) if (r.status === "fulfilled") native.clipDispose(r.value);
    throw failed.reason;
  }
  const [image, text] = loads.map((r) => (r as PromiseFulfilledResult<NativeClipHandle>).value);
  return new ClipModel(image, text, config, imageIndex.file, textIndex.file);
}
