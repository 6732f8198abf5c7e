/** The built-in node library. Node names, input names and link types are stable: saved workflows use them. */
import { NodeRegistry } from "../graph/registry.js";
import type { NodeDefinition } from "../graph/types.js";
import { ClipGuidance } from "./clip-guidance.js";
import { LoadClip } from "./clip-load.js";
import { Guidance } from "./guidance.js";
import { ImageResize } from "./image-resize.js";
import { Inpaint } from "./inpaint.js";
import { LoadCheckpoint } from "./load-checkpoint.js";
import { LoadImage, LoadMask } from "./load-image.js";
import { Sample } from "./sample.js";
import { PreviewImage, SaveImage } from "./save-image.js";
import { TextEncode } from "./text-encode.js";
import { Upsample } from "./upsample.js";

export type { Conditioning, GlideModelValue, GradientTerm, GuidanceValue } from "./types.js";
export { LoadCheckpoint, PRECISIONS, DEVICES } from "./load-checkpoint.js";
export { Guidance, ImageResize, Inpaint, LoadImage, LoadMask, PreviewImage, Sample, SaveImage, TextEncode, Upsample };
export { MAX_JSON_SEED } from "./sampling.js";
export { ClipGuidance, LoadClip };

/** Every built-in node type. */
export function builtinNodes(): NodeDefinition[] {
  return [LoadCheckpoint, TextEncode, Guidance, LoadClip, ClipGuidance, Sample, Upsample, Inpaint, LoadImage, LoadMask, ImageResize, SaveImage, PreviewImage];
}

/** A registry holding the built-in nodes (add your own with `register`). */
export function builtinRegistry(): NodeRegistry {
  return new NodeRegistry(builtinNodes());
}
