/** Guidance: classifier-free guidance from a positive and an optional negative prompt. */
import type { NodeDefinition } from "../graph/types.js";
import type { Conditioning, GuidanceValue } from "./types.js";

/** The `Guidance` node. */
export const Guidance: NodeDefinition = {
  name: "Guidance",
  display_name: "Guidance (classifier-free)",
  description:
    "Classifier-free guidance as GLIDE does it: each step runs the model on the prompt and on the negative (empty by default) and moves the noise estimate by scale × their difference. Scale 3 is the notebooks' text-to-image value, 5 their inpainting value.",
  category: "conditioning",
  input: {
    required: {
      positive: ["CONDITIONING", { tooltip: "The prompt to follow" }],
      scale: ["FLOAT", { default: 3, min: 0, max: 100, step: 0.1, tooltip: "Guidance scale s: ε = ε_neg + s·(ε_pos − ε_neg)" }],
    },
    optional: {
      negative: ["CONDITIONING", { tooltip: "What to steer away from (default: the empty prompt)" }],
    },
  },
  output: ["GUIDANCE"],
  execute({ positive, negative, scale }: { positive: Conditioning; negative?: Conditioning; scale: number }) {
    const g: GuidanceValue = { positive, cfgScale: scale, ...(negative ? { negative } : {}) };
    return { result: [g] };
  },
};
