/** The GLIDE model API: loadModel → GlideModel (tokenize, encodeText, prepareText, forward). */
export { loadModel, type LoadModelOptions } from "./load.js";
export type { GlideModel } from "./glide-model.js";
export type { TextContext } from "./text-context.js";
export type { ForwardArgs } from "./forward-args.js";
export type { Tensor } from "./tensor.js";
export { PRECISION_OPTIONS, type Precision, type PrecisionOption } from "./precision.js";
export { DEVICE_OPTIONS, cudaStatus, type CudaStatus, type DeviceOption, type ModelDevice } from "./device.js";
export type { PromptTokens } from "./tokens.js";
