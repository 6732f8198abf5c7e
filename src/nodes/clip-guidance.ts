/** ClipGuidance: adds CLIP guidance (the noised CLIP's gradient) to a GUIDANCE value. */
import { clipGradientGuidance, type ClipModel } from "../clip/index.js";
import type { NodeDefinition } from "../graph/types.js";
import { oneOfGuidanceOrConditioning } from "./sampling.js";
import type { Conditioning, GradientTerm, GuidanceValue } from "./types.js";

interface ClipGuidanceInputs {
  clip: ClipModel;
  text: string;
  scale: number;
  guidance?: GuidanceValue;
  conditioning?: Conditioning;
}

/** The `ClipGuidance` node. */
export const ClipGuidance: NodeDefinition = {
  name: "ClipGuidance",
  display_name: "CLIP Guidance",
  description:
    "Steers every sampling step towards a caption with GLIDE's noised CLIP: the DDPM mean moves by the step's variance × scale × the gradient of the CLIP score at the noisy image (the official clip_guided notebook uses scale 3). Start from conditioning (the model's prompt, no classifier-free guidance, as the notebook does) or add it to classifier-free guidance. The CLIP's image size must match the model's (64 px for the released base model).",
  category: "conditioning",
  input: {
    required: {
      clip: ["CLIP_MODEL", { tooltip: "A noised CLIP (Load CLIP)" }],
      text: ["STRING", { multiline: true, default: "", tooltip: "The caption CLIP steers towards (empty: the model's prompt)" }],
      scale: ["FLOAT", { default: 3, min: 0, max: 100, step: 0.1, tooltip: "CLIP guidance scale" }],
    },
    optional: {
      conditioning: ["CONDITIONING", { tooltip: "The model's prompt (CLIP guidance alone)" }],
      guidance: ["GUIDANCE", { tooltip: "Classifier-free guidance to add CLIP guidance to" }],
    },
  },
  output: ["GUIDANCE"],
  validate: oneOfGuidanceOrConditioning,
  execute({ clip, text, scale, guidance, conditioning }: ClipGuidanceInputs) {
    const base: GuidanceValue = guidance ?? { positive: conditioning! };
    const caption = text.trim() === "" ? base.positive.text : text;
    const term: GradientTerm = {
      kind: "clip",
      create: ({ batch, rows, imageSize }) => clipGradientGuidance({ clip, prompts: [caption], scale }, { batch, rows, imageSize }),
    };
    const g: GuidanceValue = { ...base, gradients: [...(base.gradients ?? []), term] };
    return { result: [g] };
  },
};
