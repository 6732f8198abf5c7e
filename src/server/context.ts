/** What every route module shares: the node registry, the executor, the queue, the folders, limits. */
import type { NodeRegistry } from "../graph/registry.js";
import type { ApiPrompt, FolderPaths, ValidationResult } from "../graph/types.js";
import type { PromptStore } from "./store.js";
import type { QueueWorker, PromptRunner } from "./worker.js";

/** The folders the server uses. */
export interface ServerPaths extends FolderPaths {
  /** Queue and history (`queue.json`, `history.json`). */
  data: string;
  /** Workflow files offered in the editor's workflow menu. */
  workflows: string;
}

/** Upload and decoding limits. */
export interface ServerLimits {
  /** Largest accepted upload, in bytes. */
  maxUploadBytes: number;
  /** Largest accepted image width or height, in pixels. */
  maxImageSide: number;
}

/** An executor the server can validate prompts with and run them on. */
export interface ServerExecutor extends PromptRunner {
  validate(prompt: ApiPrompt): ValidationResult;
}

/** Shared state of one server. */
export interface ServerContext {
  registry: NodeRegistry;
  executor: ServerExecutor;
  store: PromptStore;
  worker: QueueWorker;
  paths: ServerPaths;
  limits: ServerLimits;
  /** glide-studio version. */
  version: string;
  log: (line: string) => void;
}
