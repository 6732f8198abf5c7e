/**
 * Workflow files as users hand them over: API prompts or editor graphs, as JSON or embedded in a PNG
 * saved by glide-studio (`tEXt` chunks `prompt` and `workflow`), and edits of their inputs by name.
 */
import fs from "node:fs/promises";
import { pngTextChunks } from "../image/png-chunks.js";
import { editorToApi, isEditorWorkflow, WorkflowFormatError, type EditorWorkflow } from "./convert.js";
import { isLink, listInputs } from "./inputs.js";
import { MAX_JSON_DEPTH, nestedDeeperThan } from "./json-depth.js";
import type { NodeRegistry } from "./registry.js";
import type { ApiPrompt } from "./types.js";

/** A workflow ready to run: the API prompt and, when it came from the editor, the editor graph. */
export interface LoadedWorkflow {
  prompt: ApiPrompt;
  /** The editor graph (embedded into saved PNGs so the editor can reopen them). */
  workflow?: EditorWorkflow;
  format: "api" | "editor";
}

/** Reads a workflow from parsed JSON (either format). */
export function parseWorkflow(data: unknown, registry: NodeRegistry): LoadedWorkflow {
  if (nestedDeeperThan(data)) throw new WorkflowFormatError(`not a workflow: values are nested more than ${MAX_JSON_DEPTH} levels deep`);
  if (isEditorWorkflow(data)) return { prompt: editorToApi(data, registry), workflow: data, format: "editor" };
  if (data && typeof data === "object" && !Array.isArray(data)) {
    const values = Object.values(data as object);
    if (values.length > 0 && values.every((v) => v && typeof v === "object" && typeof (v as { class_type?: unknown }).class_type === "string")) {
      return { prompt: structuredClone(data as ApiPrompt), format: "api" };
    }
  }
  throw new WorkflowFormatError(
    "not a workflow: expected an editor graph ({ nodes, links, ... }) or an API prompt ({ \"<id>\": { class_type, inputs } })",
  );
}

/** Reads the workflow text out of a PNG's `tEXt` chunks (the editor graph first, else the API prompt). */
export function workflowFromPng(bytes: Uint8Array, registry: NodeRegistry, file = "image"): LoadedWorkflow {
  let text: Record<string, string>;
  try {
    // Only the text chunks: decoding the pixels would trust the header's size (see png-chunks.ts).
    text = pngTextChunks(bytes, file);
  } catch (err) {
    throw new WorkflowFormatError((err as Error).message);
  }
  const key = text.workflow !== undefined ? "workflow" : text.prompt !== undefined ? "prompt" : undefined;
  if (key) {
    let data: unknown;
    try {
      data = JSON.parse(text[key]);
    } catch (err) {
      throw new WorkflowFormatError(`${file}: the embedded "${key}" is not valid JSON (${(err as Error).message})`);
    }
    return parseWorkflow(data, registry);
  }
  throw new WorkflowFormatError(`${file}: the PNG carries no workflow (no "workflow" or "prompt" tEXt chunk)`);
}

/** Reads a workflow file: `.json` (either format) or a PNG saved by glide-studio. */
export async function readWorkflowFile(file: string, registry: NodeRegistry): Promise<LoadedWorkflow> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (err) {
    throw new WorkflowFormatError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (bytes.length >= 8 && bytes.readUInt32BE(0) === 0x89504e47) return workflowFromPng(bytes, registry, file);
  let data: unknown;
  try {
    data = JSON.parse(bytes.toString("utf8"));
  } catch (err) {
    throw new WorkflowFormatError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parseWorkflow(data, registry);
}

/** One `--set node.input=value` edit. */
export interface InputOverride {
  /** Node id, node title, or node type when only one node has it. */
  node: string;
  input: string;
  /** The value as typed; converted by the input's type (INT/FLOAT → number, BOOLEAN → boolean). */
  value: string;
}

/** Parses `node.input=value` (the value may contain `=` and `.`). */
export function parseOverride(text: string): InputOverride {
  const eq = text.indexOf("=");
  const key = eq < 0 ? "" : text.slice(0, eq);
  const dot = key.lastIndexOf(".");
  if (eq < 0 || dot <= 0 || dot === key.length - 1) {
    throw new WorkflowFormatError(`--set ${text}: expected <node>.<input>=<value>, e.g. --set 6.text="a corgi"`);
  }
  return { node: key.slice(0, dot), input: key.slice(dot + 1), value: text.slice(eq + 1) };
}

function findNode(prompt: ApiPrompt, ref: string): string {
  if (ref in prompt) return ref;
  const byTitle = Object.keys(prompt).filter((id) => prompt[id]._meta?.title === ref);
  if (byTitle.length === 1) return byTitle[0];
  const byType = Object.keys(prompt).filter((id) => prompt[id].class_type === ref);
  if (byType.length === 1) return byType[0];
  const ids = Object.keys(prompt).map((id) => `${id} (${prompt[id]._meta?.title ?? prompt[id].class_type})`);
  const why = byTitle.length > 1 || byType.length > 1 ? "matches several nodes" : "matches no node";
  throw new WorkflowFormatError(`--set: "${ref}" ${why}`, `nodes: ${ids.join(", ")}`);
}

function typedValue(registry: NodeRegistry, classType: string, input: string, value: string): unknown {
  const def = registry.get(classType);
  const spec = def ? listInputs(def).find((i) => i.name === input) : undefined;
  if (!def || !spec) {
    const names = def ? listInputs(def).map((i) => i.name).join(", ") : "";
    throw new WorkflowFormatError(`--set: ${classType} has no input "${input}"`, names ? `inputs: ${names}` : "");
  }
  if ((spec.type === "INT" || spec.type === "FLOAT") && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  if (spec.type === "BOOLEAN" && (value === "true" || value === "false")) return value === "true";
  return value;
}

/**
 * Applies input edits to a workflow: to the API prompt and, when present, to the editor graph's widget
 * values, so a saved PNG embeds the workflow as it ran.
 */
export function applyOverrides(loaded: LoadedWorkflow, overrides: InputOverride[], registry: NodeRegistry): LoadedWorkflow {
  const prompt = structuredClone(loaded.prompt);
  const workflow = loaded.workflow ? structuredClone(loaded.workflow) : undefined;
  for (const o of overrides) {
    const id = findNode(prompt, o.node);
    const node = prompt[id];
    const value = typedValue(registry, node.class_type, o.input, o.value);
    if (isLink(node.inputs[o.input])) {
      throw new WorkflowFormatError(`--set ${o.node}.${o.input}: that input is linked to node ${String((node.inputs[o.input] as unknown[])[0])}, not a value`);
    }
    node.inputs[o.input] = value;
    const editorNode = workflow?.nodes.find((n) => String(n.id) === id);
    if (editorNode) editorNode.widgets_values = { ...(editorNode.widgets_values ?? {}), [o.input]: value };
  }
  return { prompt, workflow, format: loaded.format };
}

/** Sets every `seed` widget of the workflow to `seed`. */
export function seedOverrides(prompt: ApiPrompt, seed: number, registry: NodeRegistry): InputOverride[] {
  const out: InputOverride[] = [];
  for (const [id, node] of Object.entries(prompt)) {
    const def = registry.get(node.class_type);
    if (def && listInputs(def).some((i) => i.name === "seed" && i.type === "INT") && !isLink(node.inputs.seed)) {
      out.push({ node: id, input: "seed", value: String(seed) });
    }
  }
  return out;
}
