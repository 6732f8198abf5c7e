/** Upsample: GLIDE's super-resolution stage (64 → 256 for the released model). */
import type { NodeContext, NodeDefinition } from "../graph/types.js";
import { imageDims, imageToModel, quantizeImage, type ImageTensor } from "../image/tensor.js";
import { checkRespacing, requireKind, sampleForNode, SPECS, tokenRows } from "./sampling.js";
import type { Conditioning, GlideModelValue } from "./types.js";

interface UpsampleInputs {
  model: GlideModelValue;
  image: ImageTensor;
  conditioning: Conditioning;
  respacing: string;
  sampler: "ddpm" | "ddim";
  eta: number;
  temperature: number;
  seed: number;
}

/** The `Upsample` node. */
export const Upsample: NodeDefinition = {
  name: "Upsample",
  display_name: "Upsample",
  description:
    "Upsamples images with GLIDE's text-conditioned upsampler (upsample.pt: 64 → 256). The low-resolution images are rounded to 8-bit levels first, as the official pipeline hands them over; one image per input image.",
  category: "sampling",
  input: {
    required: {
      model: ["GLIDE_MODEL", { tooltip: "An upsampler (upsample.pt)" }],
      image: ["IMAGE", { tooltip: "Low-resolution images, e.g. a Sample output" }],
      conditioning: ["CONDITIONING", { tooltip: "The prompt (encoded for the upsampler)" }],
      respacing: SPECS.respacing("fast27"),
      sampler: SPECS.sampler("ddim"),
      temperature: SPECS.temperature(0.997),
      seed: SPECS.seed,
    },
    optional: {
      eta: SPECS.eta,
    },
  },
  output: ["IMAGE"],
  validate: checkRespacing,
  async execute(inputs: UpsampleInputs, ctx: NodeContext) {
    const { model, image, conditioning, respacing, sampler, eta, temperature, seed } = inputs;
    requireKind(model, ["upsample"], "Upsample");
    const { B } = imageDims(image, "Upsample image");
    const out = await sampleForNode(
      model,
      {
        prompts: tokenRows(conditioning, model, B),
        lowRes: imageToModel(quantizeImage(image)),
        respacing,
        sampler,
        ...(sampler === "ddim" ? { eta: eta ?? 0 } : {}),
        temperature,
        noise: { seed },
      },
      ctx,
    );
    return { result: [out] };
  },
};
