/** GlideModel: a loaded GLIDE UNet (weights held natively) and its text/forward entry points. */
import type { GlideConfig, GlideKind } from "../checkpoint/index.js";
import { native, type NativeAddon, type NativeModelHandle, type NativeTensor } from "../native.js";
import { Gpt2Tokenizer } from "../tokenizer/index.js";
import type { ModelDevice } from "./device.js";
import { forwardArgs, type ForwardArgs } from "./forward-args.js";
import type { Precision } from "./precision.js";
import type { Tensor } from "./tensor.js";
import { NativeTextContext, type TextContext } from "./text-context.js";
import { packTokens, type PromptTokens } from "./tokens.js";

/** A GLIDE UNet ready to run (see `loadModel`). */
export interface GlideModel {
  readonly kind: GlideKind;
  /** The full resolved options (official names). */
  readonly config: GlideConfig;
  /** The checkpoint file it was loaded from. */
  readonly path: string;
  /** The arithmetic it runs with ("auto" resolved at load). */
  readonly precision: Precision;
  /** Where it runs ("auto" resolved at load). */
  readonly device: ModelDevice;
  /** GLIDE's GPT-2 BPE: lower-cased, truncated/padded to text_ctx with 50256, mask true on real tokens. */
  tokenize(prompts: string[]): PromptTokens;
  /** The text encoder's outputs in official layouts: xfProj [N, 4·num_channels], xfOut [N, xf_width, text_ctx]. */
  encodeText(t: PromptTokens): Promise<{ xfProj: Tensor; xfOut: Tensor }>;
  /** Runs the text encoder once per sample; pass the result as `text` to every forward of that sample. */
  prepareText(t: PromptTokens): Promise<TextContext>;
  /** One UNet call → [N, 6, S, S]: ε (channels 0–2) and the variance interpolation v (3–5). */
  forward(a: ForwardArgs): Promise<Tensor>;
  /** Every named intermediate of one call (timestep_embedding, time_embed, emb, input_blocks.i, middle_block,
   *  output_blocks.i, out) — a debugging aid for per-block comparisons. */
  forwardTrace(a: ForwardArgs): Promise<Record<string, Tensor>>;
  /** Frees the weights now; the model cannot be used afterwards. */
  dispose(): void;
}

function asTensor(t: NativeTensor): Tensor {
  return { shape: t.shape, data: t.data };
}

/** The GlideModel implementation over a native model handle (of the CPU addon, or of the CUDA addon
 *  `addon` for a CUDA model: every call goes to the addon that made the handle). */
export class NativeGlideModel implements GlideModel {
  private handle: NativeModelHandle | null;

  constructor(
    handle: NativeModelHandle,
    readonly kind: GlideKind,
    readonly config: GlideConfig,
    readonly path: string,
    readonly precision: Precision = "fp32",
    readonly device: ModelDevice = "cpu",
    readonly addon: NativeAddon = native,
  ) {
    this.handle = handle;
  }

  /** The native handle (for the on-device sampler), or an error if disposed. */
  nativeHandle(where: string): NativeModelHandle {
    return this.live(where);
  }

  private live(where: string): NativeModelHandle {
    if (this.handle === null) throw new Error(`${where}: the model ${this.path} has been disposed`);
    return this.handle;
  }

  tokenize(prompts: string[]): PromptTokens {
    if (!Array.isArray(prompts) || prompts.some((p) => typeof p !== "string")) {
      throw new TypeError("tokenize: prompts must be an array of strings");
    }
    const tokenizer = Gpt2Tokenizer.load();
    const rows = prompts.map((p) => tokenizer.paddedTokensAndMask(tokenizer.encode(p), this.config.text_ctx));
    return { tokens: rows.map((r) => r.tokens), mask: rows.map((r) => r.mask) };
  }

  private checkText(where: string): void {
    if (this.config.xf_width === 0) throw new Error(`${where}: this model has no text encoder (xf_width = 0)`);
  }

  async encodeText(t: PromptTokens): Promise<{ xfProj: Tensor; xfOut: Tensor }> {
    this.checkText("encodeText");
    const packed = packTokens("encodeText", t, this.config);
    const { xfProj, xfOut } = await this.addon.modelEncodeText(this.live("encodeText"), packed);
    return { xfProj: asTensor(xfProj), xfOut: asTensor(xfOut) };
  }

  async prepareText(t: PromptTokens): Promise<TextContext> {
    this.checkText("prepareText");
    const packed = packTokens("prepareText", t, this.config);
    const handle = await this.addon.modelPrepareText(this.live("prepareText"), packed);
    return new NativeTextContext(packed.batch, this, handle, this.addon);
  }

  async forward(a: ForwardArgs): Promise<Tensor> {
    const args = forwardArgs(a, { kind: this.kind, config: this.config, owner: this });
    return asTensor(await this.addon.modelForward(this.live("forward"), args));
  }

  async forwardTrace(a: ForwardArgs): Promise<Record<string, Tensor>> {
    const args = forwardArgs(a, { kind: this.kind, config: this.config, owner: this });
    const traced = await this.addon.modelForwardTrace(this.live("forwardTrace"), args);
    return Object.fromEntries(Object.entries(traced).map(([k, v]) => [k, asTensor(v)]));
  }

  dispose(): void {
    if (this.handle === null) return;
    this.addon.modelDispose(this.handle);
    this.handle = null;
  }
}
