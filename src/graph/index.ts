/** The node graph: node schema, registry, validation, execution with caching, workflow files. */
export * from "./types.js";
export { NodeRegistry } from "./registry.js";
export { ModelCache, type Disposable, type ModelSource } from "./model-cache.js";
export { Executor, InterruptedError, type ExecutorOptions, type RunOptions, type RunResult, type RunError } from "./executor.js";
export { objectInfo, nodeSchema, type NodeSchemaJson, type InputSpecJson } from "./schema.js";
export {
  editorToApi,
  isEditorWorkflow,
  WorkflowFormatError,
  EDITOR_FORMAT,
  EDITOR_FORMAT_VERSION,
  NODE_MODE,
  UI_ONLY_TYPES,
  type EditorWorkflow,
  type EditorNode,
  type EditorLink,
  type EditorInputSlot,
  type EditorOutputSlot,
} from "./convert.js";
export {
  parseWorkflow,
  readWorkflowFile,
  workflowFromPng,
  parseOverride,
  applyOverrides,
  seedOverrides,
  type LoadedWorkflow,
  type InputOverride,
} from "./workflow.js";
export { listChoiceFiles, listFolderFiles, resolveChoiceFile, resolveInFolder, listInputs, isWidget } from "./inputs.js";
export { analyzePrompt, type ExecutionPlan } from "./validate.js";
export { formatValidationReport } from "./report.js";
