/** TextEncode: a prompt → CONDITIONING for one model. */
import type { NodeDefinition } from "../graph/types.js";
import type { Conditioning, GlideModelValue } from "./types.js";

/** The `TextEncode` node. */
export const TextEncode: NodeDefinition = {
  name: "TextEncode",
  display_name: "Text Encode",
  description:
    "Tokenises a prompt for a GLIDE model (GPT-2 byte-pair tokens, truncated to the model's 128-token context). The text transformer runs once per sample inside the sampling node.",
  category: "conditioning",
  input: {
    required: {
      model: ["GLIDE_MODEL", { tooltip: "The model the prompt is for" }],
      text: ["STRING", { multiline: true, default: "", tooltip: "The prompt; an empty text is the unconditional prompt" }],
    },
  },
  output: ["CONDITIONING"],
  output_tooltips: ["The tokenised prompt"],
  execute({ model, text }: { model: GlideModelValue; text: string }) {
    const cond: Conditioning = { text, tokens: model.tokenize([text]), model };
    return { result: [cond] };
  },
};
