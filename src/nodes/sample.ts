/** Sample: text-to-image with a base model. */
import type { NodeContext, NodeDefinition } from "../graph/types.js";
import { allOf, checkRespacing, oneOfGuidanceOrConditioning, requireKind, sampleForNode, SPECS, textOptions } from "./sampling.js";
import type { Conditioning, GlideModelValue, GuidanceValue } from "./types.js";

interface SampleInputs {
  model: GlideModelValue;
  guidance?: GuidanceValue;
  conditioning?: Conditioning;
  respacing: string;
  sampler: "ddpm" | "ddim";
  eta: number;
  seed: number;
  batch_size: number;
}

/** The `Sample` node. */
export const Sample: NodeDefinition = {
  name: "Sample",
  display_name: "Sample (text to image)",
  description:
    "Generates images from noise with a base GLIDE model (64×64 for the released model). Connect guidance for classifier-free guidance, or conditioning alone for unguided sampling.",
  category: "sampling",
  input: {
    required: {
      model: ["GLIDE_MODEL", { tooltip: "A base model (base.pt)" }],
      respacing: SPECS.respacing("100"),
      sampler: SPECS.sampler("ddpm"),
      eta: SPECS.eta,
      seed: SPECS.seed,
      batch_size: ["INT", { default: 1, min: 1, max: 64, tooltip: "Images per run" }],
    },
    optional: {
      guidance: ["GUIDANCE", { tooltip: "Classifier-free (or CLIP) guidance" }],
      conditioning: ["CONDITIONING", { tooltip: "A prompt, for unguided sampling" }],
    },
  },
  output: ["IMAGE"],
  validate: allOf(oneOfGuidanceOrConditioning, checkRespacing),
  async execute(inputs: SampleInputs, ctx: NodeContext) {
    const { model, respacing, sampler, eta, seed, batch_size } = inputs;
    requireKind(model, ["base"], "Sample");
    const text = await textOptions(model, batch_size, inputs);
    const image = await sampleForNode(
      model,
      { ...text, respacing, sampler, ...(sampler === "ddim" ? { eta } : {}), noise: { seed } },
      ctx,
    );
    return { result: [image] };
  },
};
