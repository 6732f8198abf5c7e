/** The noised CLIP of GLIDE's CLIP guidance: loading, config, embeddings, the input gradient, the sampling hook. */
export { loadClip, ClipModel, type ClipTensor, type ClipTokens, type ClipEncoding, type LoadClipOptions } from "./model.js";
export { RELEASED_CLIP_CONFIG, parseClipOptions, logitMultiplier, type ClipConfig, type ClipOptions } from "./config.js";
export { resolveClipConfig } from "./resolve.js";
export { expectedClipImageTensors, expectedClipTextTensors } from "./layout.js";
export { clipGradientGuidance, addGradientGuidance, type ClipGuidanceOptions, type GuidanceLayout } from "./guidance.js";
