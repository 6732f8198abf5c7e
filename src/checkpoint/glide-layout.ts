/**
 * The module structure of a GLIDE UNet for a config, mirroring `glide_text2im.unet.UNetModel` and
 * `text2im_model.Text2ImUNet`: which layer sits at which state-dict path, with its channels. The expected
 * tensor list (names and shapes) is derived from it.
 */
import type { GlideConfig } from "./glide-config.js";

/** One layer of a UNet block; `name` is its module path (the prefix of its weights). */
export type UnetLayer =
  /** 3×3 conv: input_blocks.0.0 */
  | { type: "conv"; name: string; inCh: number; outCh: number }
  /** ResBlock; `updown` for the resampling variant (resblock_updown). */
  | { type: "res"; name: string; inCh: number; outCh: number; updown?: "up" | "down" }
  /** AttentionBlock with `heads` heads over `ch` channels (text keys/values from encoder_kv when xf_width > 0). */
  | { type: "attn"; name: string; ch: number; heads: number }
  /** Downsample: 3×3 stride-2 conv `op`. */
  | { type: "down"; name: string; ch: number }
  /** Upsample: nearest ×2 then 3×3 conv `conv`. */
  | { type: "up"; name: string; ch: number };

/** The whole UNet: every block as its list of layers, in execution order. */
export interface UnetLayout {
  input: UnetLayer[][];
  middle: UnetLayer[];
  output: UnetLayer[][];
  /** Channels entering the `out` head (= channel_mult[0] · num_channels). */
  outInCh: number;
  /** Downsample factors (ds) that have attention. */
  attentionDs: number[];
}

/** Downsample factors ds = image_size / resolution (integer division, as the official code). */
export function attentionDsOf(c: Pick<GlideConfig, "image_size" | "attention_resolutions">): number[] {
  return c.attention_resolutions.map((r) => Math.floor(c.image_size / r));
}

/** Heads of an attention block over `ch` channels (`upsample`: an output-side block). */
export function attentionHeads(c: GlideConfig, ch: number, upsample: boolean): number {
  if (c.num_head_channels !== -1) return ch / c.num_head_channels;
  return upsample && c.num_heads_upsample !== -1 ? c.num_heads_upsample : c.num_heads;
}

/** The UNet layout for `c` (no validation of divisibility; see `resolveGlideConfig`). */
export function glideUnetLayout(c: GlideConfig): UnetLayout {
  const C = c.num_channels;
  const attentionDs = attentionDsOf(c);
  const attn = (name: string, ch: number, upsample: boolean): UnetLayer => ({
    type: "attn", name, ch, heads: attentionHeads(c, ch, upsample),
  });
  let ch = c.channel_mult[0] * C;
  const outInCh = ch;
  const input: UnetLayer[][] = [[{ type: "conv", name: "input_blocks.0.0", inCh: c.in_channels, outCh: ch }]];
  const skipChans = [ch];
  let ds = 1;
  c.channel_mult.forEach((mult, level) => {
    for (let r = 0; r < c.num_res_blocks; r++) {
      const p = `input_blocks.${input.length}`;
      const layers: UnetLayer[] = [{ type: "res", name: `${p}.0`, inCh: ch, outCh: mult * C }];
      ch = mult * C;
      if (attentionDs.includes(ds)) layers.push(attn(`${p}.1`, ch, false));
      input.push(layers);
      skipChans.push(ch);
    }
    if (level !== c.channel_mult.length - 1) {
      const p = `input_blocks.${input.length}.0`;
      input.push([c.resblock_updown ? { type: "res", name: p, inCh: ch, outCh: ch, updown: "down" } : { type: "down", name: p, ch }]);
      skipChans.push(ch);
      ds *= 2;
    }
  });
  const middle: UnetLayer[] = [
    { type: "res", name: "middle_block.0", inCh: ch, outCh: ch },
    attn("middle_block.1", ch, false),
    { type: "res", name: "middle_block.2", inCh: ch, outCh: ch },
  ];
  const output: UnetLayer[][] = [];
  for (let level = c.channel_mult.length - 1; level >= 0; level--) {
    const mult = c.channel_mult[level];
    for (let i = 0; i <= c.num_res_blocks; i++) {
      const p = `output_blocks.${output.length}`;
      const skip = skipChans.pop()!;
      const layers: UnetLayer[] = [{ type: "res", name: `${p}.0`, inCh: ch + skip, outCh: mult * C }];
      ch = mult * C;
      if (attentionDs.includes(ds)) layers.push(attn(`${p}.${layers.length}`, ch, true));
      if (level > 0 && i === c.num_res_blocks) {
        const q = `${p}.${layers.length}`;
        layers.push(c.resblock_updown ? { type: "res", name: q, inCh: ch, outCh: ch, updown: "up" } : { type: "up", name: q, ch });
        ds /= 2;
      }
      output.push(layers);
    }
  }
  return { input, middle, output, outInCh, attentionDs };
}

/**
 * Every tensor a GLIDE UNet checkpoint with config `c` holds, name → shape, in the official module order.
 */
export function expectedGlideTensors(c: GlideConfig): Map<string, number[]> {
  const t = new Map<string, number[]>();
  const C = c.num_channels;
  const E = 4 * C; // time embedding width
  const W = c.xf_width;
  const add = (name: string, shape: number[]): void => {
    t.set(name, shape);
  };
  const linear = (p: string, inF: number, outF: number): void => {
    add(`${p}.weight`, [outF, inF]);
    add(`${p}.bias`, [outF]);
  };
  const conv = (p: string, inCh: number, outCh: number, k: number[]): void => {
    add(`${p}.weight`, [outCh, inCh, ...k]);
    add(`${p}.bias`, [outCh]);
  };
  const norm = (p: string, ch: number): void => {
    add(`${p}.weight`, [ch]);
    add(`${p}.bias`, [ch]);
  };
  const layer = (l: UnetLayer): void => {
    switch (l.type) {
      case "conv":
        conv(l.name, l.inCh, l.outCh, [3, 3]);
        break;
      case "res":
        norm(`${l.name}.in_layers.0`, l.inCh);
        conv(`${l.name}.in_layers.2`, l.inCh, l.outCh, [3, 3]);
        linear(`${l.name}.emb_layers.1`, E, c.use_scale_shift_norm ? 2 * l.outCh : l.outCh);
        norm(`${l.name}.out_layers.0`, l.outCh);
        conv(`${l.name}.out_layers.3`, l.outCh, l.outCh, [3, 3]);
        if (l.inCh !== l.outCh) conv(`${l.name}.skip_connection`, l.inCh, l.outCh, [1, 1]);
        break;
      case "attn":
        norm(`${l.name}.norm`, l.ch);
        conv(`${l.name}.qkv`, l.ch, 3 * l.ch, [1]);
        if (W > 0) conv(`${l.name}.encoder_kv`, W, 2 * l.ch, [1]);
        conv(`${l.name}.proj_out`, l.ch, l.ch, [1]);
        break;
      case "down":
        conv(`${l.name}.op`, l.ch, l.ch, [3, 3]);
        break;
      case "up":
        conv(`${l.name}.conv`, l.ch, l.ch, [3, 3]);
        break;
    }
  };

  const layout = glideUnetLayout(c);
  linear("time_embed.0", C, E);
  linear("time_embed.2", E, E);
  layout.input.forEach((b) => b.forEach(layer));
  layout.middle.forEach(layer);
  layout.output.forEach((b) => b.forEach(layer));
  norm("out.0", layout.outInCh);
  conv("out.2", layout.outInCh, c.out_channels, [3, 3]);

  if (W > 0) {
    for (let i = 0; i < c.xf_layers; i++) {
      const p = `transformer.resblocks.${i}`;
      linear(`${p}.attn.c_qkv`, W, 3 * W);
      linear(`${p}.attn.c_proj`, W, W);
      norm(`${p}.ln_1`, W);
      linear(`${p}.mlp.c_fc`, W, 4 * W);
      linear(`${p}.mlp.c_proj`, 4 * W, W);
      norm(`${p}.ln_2`, W);
    }
    if (c.xf_final_ln) norm("final_ln", W);
    add("token_embedding.weight", [c.n_vocab, W]);
    add("positional_embedding", [c.text_ctx, W]);
    linear("transformer_proj", W, E);
    if (c.xf_padding) add("padding_embedding", [c.text_ctx, W]);
  }
  return t;
}
