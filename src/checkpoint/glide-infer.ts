/**
 * Reading a GLIDE UNet's options off its tensor shapes. What the weights determine: variant (input conv
 * channels), num_channels, channel_mult, num_res_blocks, attention levels, resblock_updown,
 * use_scale_shift_norm, the text transformer's width/depth/context/vocabulary and its optional parts.
 */
import type { CheckpointIndex } from "./types.js";
import type { GlideConfig } from "./glide-config.js";

/** What the shapes say; attention is given as downsample factors (pixels need image_size). */
export type InferredGlide = Omit<
  GlideConfig,
  "num_heads" | "num_head_channels" | "num_heads_upsample" | "xf_heads" | "noise_schedule" | "diffusion_steps" | "attention_resolutions"
> & { attentionDs: number[] };

const IN_CHANNELS: Record<number, { inpaint: boolean; super_res: boolean }> = {
  3: { inpaint: false, super_res: false },
  6: { inpaint: false, super_res: true },
  7: { inpaint: true, super_res: false },
  10: { inpaint: true, super_res: true },
};

type LayerKind = "res" | "attn" | "up" | "down" | "conv" | "unknown";

/** Infers the options the weights determine; errors name the file and the tensor that does not fit. */
export function inferGlideFromShapes(index: CheckpointIndex): InferredGlide {
  const { file, tensors } = index;
  const shapeOf = (name: string): number[] => {
    const e = tensors.get(name);
    if (!e) throw new Error(`${file}: missing tensor ${name} — not a GLIDE UNet checkpoint, or a damaged one`);
    return e.shape;
  };
  const dims = (name: string, rank: number): number[] => {
    const s = shapeOf(name);
    if (s.length !== rank) throw new Error(`${file}: tensor ${name} has shape [${s}], expected ${rank} dimensions`);
    return s;
  };

  // Group the UNet's parameter names by block and layer: `output_blocks.K.J.<rest>`.
  const blocks = { input_blocks: new Map<number, Map<number, string[]>>(), output_blocks: new Map<number, Map<number, string[]>>() };
  let xfLayers = 0;
  for (const name of tensors.keys()) {
    const m = /^(input_blocks|output_blocks)\.(\d+)\.(\d+)\.(.+)$/.exec(name);
    if (m) {
      const byBlock = blocks[m[1] as keyof typeof blocks];
      const k = Number(m[2]);
      const j = Number(m[3]);
      if (!byBlock.has(k)) byBlock.set(k, new Map());
      const layers = byBlock.get(k)!;
      if (!layers.has(j)) layers.set(j, []);
      layers.get(j)!.push(m[4]);
    }
    const x = /^transformer\.resblocks\.(\d+)\./.exec(name);
    if (x) xfLayers = Math.max(xfLayers, Number(x[1]) + 1);
  }
  const kindOf = (rests: string[] | undefined): LayerKind => {
    if (!rests) return "unknown";
    if (rests.includes("in_layers.2.weight")) return "res";
    if (rests.includes("qkv.weight")) return "attn";
    if (rests.includes("conv.weight")) return "up";
    if (rests.includes("op.weight")) return "down";
    if (rests.includes("weight")) return "conv";
    return "unknown";
  };

  const C = dims("time_embed.0.weight", 2)[1];
  const [ch0, inCh] = dims("input_blocks.0.0.weight", 4);
  const variant = IN_CHANNELS[inCh];
  if (!variant) {
    throw new Error(`${file}: tensor input_blocks.0.0.weight has ${inCh} input channels; GLIDE UNets have 3 (base), 6 (upsample), 7 (base-inpaint) or 10 (upsample-inpaint)`);
  }
  const outChannels = dims("out.2.weight", 4)[0];

  // Output blocks: each level has num_res_blocks + 1 of them; the last block of every level but level 0
  // ends with an upsampling layer (a ResBlock when resblock_updown, else Upsample's `conv`).
  const nOut = blocks.output_blocks.size;
  const nIn = blocks.input_blocks.size;
  if (nOut === 0) throw new Error(`${file}: missing tensors output_blocks.* — not a GLIDE UNet checkpoint`);
  const upsampleKind = (k: number): LayerKind | null => {
    const layers = blocks.output_blocks.get(k);
    if (!layers) throw new Error(`${file}: missing tensors output_blocks.${k}.* (the output blocks are not numbered 0..${nOut - 1})`);
    for (const [j, rests] of layers) {
      const kind = kindOf(rests);
      if (j > 0 && (kind === "res" || kind === "up")) return kind;
    }
    return null;
  };
  let firstUp = -1;
  for (let k = 0; k < nOut && firstUp < 0; k++) if (upsampleKind(k)) firstUp = k;
  const numResBlocks = firstUp < 0 ? nOut - 1 : firstUp;
  const levels = nOut / (numResBlocks + 1);
  if (!Number.isInteger(levels) || nIn !== levels * (numResBlocks + 1)) {
    throw new Error(`${file}: unrecognised UNet layout (${nIn} input blocks, ${nOut} output blocks; expected levels × (num_res_blocks + 1) of each)`);
  }
  const resblockUpdown = firstUp < 0 ? true : upsampleKind(firstUp) === "res";

  // Per level, read the first output block of the level: its ResBlock width gives channel_mult, its layer 1
  // being an AttentionBlock marks attention at that level's downsample factor 2^level.
  const channelMult: number[] = new Array(levels);
  const attentionDs: number[] = [];
  let scaleShift = true;
  for (let level = levels - 1; level >= 0; level--) {
    const k = (levels - 1 - level) * (numResBlocks + 1);
    const p = `output_blocks.${k}.0`;
    const outCh = dims(`${p}.out_layers.3.weight`, 4)[0];
    if (outCh % C !== 0) throw new Error(`${file}: tensor ${p}.out_layers.3.weight has ${outCh} channels, not a multiple of num_channels ${C}`);
    channelMult[level] = outCh / C;
    if (kindOf(blocks.output_blocks.get(k)!.get(1)) === "attn") attentionDs.push(2 ** level);
    if (level === levels - 1) scaleShift = dims(`${p}.emb_layers.1.weight`, 2)[0] === 2 * outCh;
  }
  attentionDs.sort((a, b) => a - b);
  if (ch0 !== channelMult[0] * C) {
    throw new Error(`${file}: tensor input_blocks.0.0.weight has ${ch0} output channels, expected channel_mult[0] · num_channels = ${channelMult[0] * C}`);
  }

  const hasText = tensors.has("token_embedding.weight");
  const [nVocab, xfWidth] = hasText ? dims("token_embedding.weight", 2) : [0, 0];
  const textCtx = hasText ? dims("positional_embedding", 2)[0] : 128;
  return {
    num_channels: C,
    num_res_blocks: numResBlocks,
    channel_mult: channelMult,
    // Official models satisfy `2 ** (len(channel_mult) + 2) == image_size` (asserted in create_model).
    image_size: 2 ** (levels + 2),
    text_ctx: textCtx,
    xf_width: xfWidth,
    xf_layers: hasText ? xfLayers : 0,
    xf_final_ln: tensors.has("final_ln.weight"),
    xf_padding: tensors.has("padding_embedding"),
    use_scale_shift_norm: scaleShift,
    resblock_updown: resblockUpdown,
    inpaint: variant.inpaint,
    super_res: variant.super_res,
    n_vocab: nVocab,
    in_channels: inCh,
    out_channels: outChannels,
    attentionDs,
  };
}
