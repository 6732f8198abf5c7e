/** glide-studio public API. */
export { native, loadCudaAddon, CUDA_ADDON_FILE } from "./native.js";
export type { CudaAddon, CudaDeviceInfo, CudaPrecision } from "./native.js";
export * from "./diffusion/index.js";
export * from "./checkpoint/index.js";
export { startServer, PromptStore } from "./server/index.js";
export type { ServerOptions, GlideServer, ServerPaths, ServerLimits, ServerExecutor, QueueItem, HistoryEntry } from "./server/index.js";
export * from "./graph/index.js";
export * from "./image/index.js";
export * from "./nodes/index.js";
export * from "./tokenizer/index.js";
export * from "./model/index.js";
export * from "./clip/index.js";
