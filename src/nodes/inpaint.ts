/** Inpaint: repaint the masked region of an image with an inpainting model. */
import type { NodeContext, NodeDefinition } from "../graph/types.js";
import { resizeImage } from "../image/resize.js";
import { imageDims, imageToModel, maskDims, maskToKeep, quantizeImage, repeatBatch, type ImageTensor } from "../image/tensor.js";
import { allOf, checkRespacing, oneOfGuidanceOrConditioning, requireKind, sampleForNode, SPECS, textOptions } from "./sampling.js";
import type { Conditioning, GlideModelValue, GuidanceValue } from "./types.js";

interface InpaintInputs {
  model: GlideModelValue;
  image: ImageTensor;
  mask: ImageTensor;
  guidance?: GuidanceValue;
  conditioning?: Conditioning;
  low_res?: ImageTensor;
  respacing: string;
  sampler: "ddpm" | "ddim";
  eta: number;
  temperature: number;
  seed: number;
  batch_size: number;
}

/** The `Inpaint` node. */
export const Inpaint: NodeDefinition = {
  name: "Inpaint",
  display_name: "Inpaint",
  description:
    "Repaints the masked region of an image. MASK convention: 1 (white) marks the region to repaint, 0 the region to keep (GLIDE's own mask is the opposite; this node converts). The image is resized to the model's size (bicubic) and the mask with nearest-neighbour. With base-inpaint.pt it works at 64×64; with upsample-inpaint.pt connect low_res (the base stage's output) to repaint at 256×256.",
  category: "sampling",
  input: {
    required: {
      model: ["GLIDE_MODEL", { tooltip: "base_inpaint.pt or upsample_inpaint.pt" }],
      image: ["IMAGE", { tooltip: "The source image; its kept region stays" }],
      mask: ["MASK", { tooltip: "1 = repaint, 0 = keep" }],
      respacing: SPECS.respacing("100"),
      seed: SPECS.seed,
    },
    optional: {
      guidance: ["GUIDANCE", { tooltip: "Classifier-free guidance (the notebook uses scale 5 for the base stage)" }],
      conditioning: ["CONDITIONING", { tooltip: "A prompt, for unguided sampling (the notebook's upsample stage)" }],
      low_res: ["IMAGE", { tooltip: "upsample-inpaint only: the low-resolution inpainted image" }],
      sampler: SPECS.sampler("ddpm"),
      eta: SPECS.eta,
      temperature: SPECS.temperature(1),
      batch_size: ["INT", { default: 1, min: 1, max: 64, tooltip: "Images per source image when the image batch is 1" }],
    },
  },
  output: ["IMAGE"],
  validate: allOf(oneOfGuidanceOrConditioning, checkRespacing),
  async execute(inputs: InpaintInputs, ctx: NodeContext) {
    const { model, respacing, sampler, eta, temperature, seed } = inputs;
    requireKind(model, ["base-inpaint", "upsample-inpaint"], "Inpaint");
    const S = model.config.image_size;
    const img = imageDims(inputs.image, "Inpaint image");
    const m = maskDims(inputs.mask, "Inpaint mask");
    const B = Math.max(img.B, m.B, inputs.low_res?.shape[0] ?? 1, img.B === 1 ? inputs.batch_size ?? 1 : 1);
    const image = repeatBatch(resizeImage(inputs.image, S, S, "bicubic"), B, "Inpaint image");
    const maskHW = resizeImage({ shape: [m.B, m.H, m.W, 1], data: inputs.mask.data }, S, S, "nearest");
    const mask = repeatBatch({ shape: [m.B, S, S], data: maskHW.data }, B, "Inpaint mask");
    let lowRes: ImageTensor | undefined;
    if (model.config.super_res) {
      if (!inputs.low_res) throw new Error(`Inpaint with the upsample-inpaint model ${model.path ?? ""} needs low_res: connect the base stage's output`);
      imageDims(inputs.low_res, "Inpaint low_res");
      lowRes = imageToModel(quantizeImage(repeatBatch(inputs.low_res, B, "Inpaint low_res")));
    } else if (inputs.low_res) {
      throw new Error("low_res is for the upsample-inpaint model; this is a base-inpaint model");
    }
    const text = await textOptions(model, B, inputs);
    const out = await sampleForNode(
      model,
      {
        ...text,
        inpaint: { image: imageToModel(quantizeImage(image)), mask: maskToKeep(mask) },
        ...(lowRes ? { lowRes } : {}),
        respacing,
        sampler: sampler ?? "ddpm",
        ...(sampler === "ddim" ? { eta: eta ?? 0 } : {}),
        temperature: temperature ?? 1,
        noise: { seed },
      },
      ctx,
    );
    return { result: [out] };
  },
};
