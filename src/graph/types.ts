/**
 * The data model of the node graph: node definitions (a declarative schema plus one `execute`), the API
 * prompt that the executor runs, and the context a node sees while it runs.
 */
import type { ModelCache } from "./model-cache.js";

/** Widget (literal) input types. Every other type name is a link type carried between nodes. */
export const WIDGET_TYPES = ["INT", "FLOAT", "STRING", "BOOLEAN"] as const;
/** A widget input type. */
export type WidgetType = (typeof WIDGET_TYPES)[number];

/** Link types of the built-in nodes (saved workflows depend on these names). */
export const LINK_TYPES = ["GLIDE_MODEL", "CLIP_MODEL", "CONDITIONING", "GUIDANCE", "IMAGE", "MASK"] as const;

/** The folders a node may read from or write to. */
export interface FolderPaths {
  /** Checkpoints (`*.pt`, `*.safetensors`) and their sidecar `<checkpoint>.json` configs. */
  models: string;
  /** Saved images (`SaveImage`). */
  output: string;
  /** Images and masks that `LoadImage` / `LoadMask` read (uploads land here). */
  input: string;
  /** Previews (`PreviewImage`). */
  temp: string;
}

/** Names of the folders in {@link FolderPaths}. */
export type FolderName = keyof FolderPaths;

/** A choice list read from a folder each time the schema is served or a prompt is validated. */
export interface FileChoices {
  folder: FolderName;
  /** Lower-case file name endings to list, e.g. `[".pt", ".safetensors"]`. */
  extensions: readonly string[];
  /**
   * A folder of files shipped with the package (the demo models), offered beside the folder's own;
   * a name present in both resolves to the user's file.
   */
  bundled?: string;
}

/** Options of one input, as served in `/object_info`. */
export interface InputOptions {
  default?: unknown;
  min?: number;
  max?: number;
  step?: number;
  multiline?: boolean;
  tooltip?: string;
  /** Show as a socket, never as a widget. */
  forceInput?: boolean;
  /** The editor offers an upload button (LoadImage / LoadMask). */
  image_upload?: boolean;
  /** The editor offers "randomize after queueing" (seeds). */
  control_after_generate?: boolean;
}

/**
 * The type of one input: a widget type (`"INT"`), a link type (`"IMAGE"`), a fixed choice list, or a
 * choice list of the files in a folder.
 */
export type InputType = string | readonly string[] | FileChoices;

/** One input: `[type, options]`, the shape ComfyUI users know. */
export type InputSpec = readonly [InputType, InputOptions?];

/** Values the executor supplies to hidden inputs. */
export type HiddenInput = "PROMPT" | "EXTRA_PNGINFO" | "UNIQUE_ID";

/** All inputs of a node type. */
export interface InputSpecs {
  required: Record<string, InputSpec>;
  optional?: Record<string, InputSpec>;
  hidden?: Record<string, HiddenInput>;
}

/** A problem found by a node's own `validate`. */
export interface ValidationIssue {
  type: string;
  message: string;
  details?: string;
  input_name?: string;
  received_value?: unknown;
}

/** What a node's `validate` receives: the literal (already coerced) inputs; linked inputs are listed by name. */
export interface ValidateArgs {
  literals: Record<string, unknown>;
  linked: ReadonlySet<string>;
  paths: FolderPaths;
}

/** A preview image (8-bit RGB, row-major) sent with progress events. */
export interface PreviewFrame {
  width: number;
  height: number;
  rgb: Uint8Array;
}

/** A reference to a file a node produced (what the editor fetches through `/view`). */
export interface ImageRef {
  filename: string;
  subfolder: string;
  type: "output" | "temp" | "input";
}

/** The UI part of a node's result (shown in the editor, returned by the run). */
export interface NodeUiOutput {
  images?: ImageRef[];
  [key: string]: unknown;
}

/** What `execute` returns: one value per declared output and, for output nodes, what the UI shows. */
export interface NodeResult {
  result?: unknown[];
  ui?: NodeUiOutput;
}

/** The context of one node execution. */
export interface NodeContext {
  nodeId: string;
  promptId: string;
  /** Aborted when the run is interrupted; long work checks it at every step. */
  signal: AbortSignal;
  paths: FolderPaths;
  /** Models shared by every node and every run of the executor. */
  models: ModelCache;
  /** Reports progress (`value` of `max`, e.g. sampling steps), optionally with a preview. */
  progress(value: number, max: number, preview?: PreviewFrame): void;
  /** Values of hidden inputs. */
  hidden: { prompt: ApiPrompt; extraPngInfo: Record<string, unknown>; uniqueId: string };
}

/** A node type: a declarative schema plus one `execute` function (no hidden state). */
export interface NodeDefinition {
  /** Stable type name stored in workflow files (`class_type`). */
  name: string;
  display_name: string;
  description: string;
  category: string;
  input: InputSpecs;
  /** Output types, one per output slot. */
  output: readonly string[];
  /** Output labels (default: the types). */
  output_name?: readonly string[];
  output_tooltips?: readonly string[];
  /** True for nodes whose effect is the point of running (save, preview): the executor starts from these. */
  output_node?: boolean;
  /** Runs the node; `inputs` holds coerced literals, upstream outputs and hidden values by input name. */
  execute(inputs: Record<string, any>, ctx: NodeContext): Promise<NodeResult> | NodeResult;
  /** Checks the literal inputs beyond their schema (e.g. "one of guidance or conditioning"). */
  validate?(args: ValidateArgs): ValidationIssue[];
  /** A fingerprint of external state (file contents) that must invalidate cached outputs when it changes. */
  fingerprint?(inputs: Record<string, unknown>, paths: FolderPaths): Promise<string> | string;
}

/** An input value in an API prompt: a literal, or a link `[sourceNodeId, outputIndex]`. */
export type ApiInputValue = unknown;

/** One node of an API prompt. */
export interface ApiNode {
  class_type: string;
  inputs: Record<string, ApiInputValue>;
  _meta?: { title?: string };
}

/** The API workflow format: nodes by id. */
export interface ApiPrompt {
  [id: string]: ApiNode;
}

/** One structured error about one input or node (ComfyUI's error shape). */
export interface NodeError {
  type: string;
  message: string;
  details: string;
  extra_info?: { input_name?: string; received_value?: unknown; [key: string]: unknown };
}

/** The top-level error of a failed validation or run. */
export interface PromptError {
  type: string;
  message: string;
  details: string;
  extra_info?: Record<string, unknown>;
}

/** The result of {@link Executor.validate}. */
export interface ValidationResult {
  ok: boolean;
  error?: PromptError;
  node_errors: Record<string, { class_type: string; errors: NodeError[]; dependent_outputs?: string[] }>;
  /** Ids of the output nodes that would run. */
  outputs: string[];
}
