/**
 * Checkpoints: indexing PyTorch zip and safetensors files (tensors stay in the file, described by offset),
 * reading tensors, writing safetensors, and resolving a GLIDE UNet's config from its weights.
 */
export type { WeightDType, TensorEntry, CheckpointIndex } from "./types.js";
export { readCheckpointIndex } from "./read-index.js";
export { readTensorData, readTensorBytes } from "./tensor-data.js";
export { readSafetensorsIndex, writeSafetensors, type SafetensorsInput } from "./safetensors.js";
export { convertCheckpoint } from "./convert.js";
export type { GlideConfig, GlideKind, GlideOptions } from "./glide-config.js";
export { parseGlideOptions, officialDefaults } from "./glide-config.js";
export { resolveGlideConfig, sidecarPaths } from "./glide-resolve.js";
export { expectedGlideTensors, glideUnetLayout, attentionHeads, type UnetLayer, type UnetLayout } from "./glide-layout.js";
