/**
 * The editor workflow format (a litegraph graph with widget values stored by input name and a format
 * version) and its one converter to the API format, shared by the server and the CLI so that any file
 * saved from the editor runs headless.
 */
import { isWidget, listInputs } from "./inputs.js";
import type { NodeRegistry } from "./registry.js";
import type { ApiPrompt } from "./types.js";

/** `format` tag of editor workflow files. */
export const EDITOR_FORMAT = "glide-studio/editor";
/** The editor format version this build writes; older versions keep loading. */
export const EDITOR_FORMAT_VERSION = 1;

/** litegraph node modes. */
export const NODE_MODE = { ALWAYS: 0, NEVER: 2, BYPASS: 4 } as const;

/** Editor-only node types: they never run (a reroute passes its link through). */
export const UI_ONLY_TYPES = new Set(["Reroute", "Note", "MarkdownNote"]);

/** An input slot of an editor node. */
export interface EditorInputSlot {
  name: string;
  type: string;
  link: number | null;
  /** Set when the slot is a widget converted to an input. */
  widget?: { name: string };
  label?: string;
}

/** An output slot of an editor node. */
export interface EditorOutputSlot {
  name: string;
  type: string;
  links: number[] | null;
  slot_index?: number;
  label?: string;
}

/** One node of the editor graph. */
export interface EditorNode {
  id: number;
  type: string;
  title?: string;
  pos: [number, number];
  size?: [number, number];
  flags?: Record<string, unknown>;
  order?: number;
  /** 0 = always, 2 = muted (never runs), 4 = bypassed (inputs pass through to outputs of the same type). */
  mode?: number;
  inputs?: EditorInputSlot[];
  outputs?: EditorOutputSlot[];
  /** Widget values **by input name** (never by position, so adding a widget keeps old files loading). */
  widgets_values?: Record<string, unknown>;
  properties?: Record<string, unknown>;
  color?: string;
  bgcolor?: string;
}

/** A link as litegraph serialises it: `[id, originId, originSlot, targetId, targetSlot, type]`. */
export type EditorLink = [number, number, number, number, number, string];

/** The editor workflow file. */
export interface EditorWorkflow {
  format: typeof EDITOR_FORMAT;
  format_version: number;
  last_node_id?: number;
  last_link_id?: number;
  nodes: EditorNode[];
  links: EditorLink[];
  groups?: { title: string; bounding: [number, number, number, number]; color?: string }[];
  config?: Record<string, unknown>;
  extra?: Record<string, unknown>;
  /** litegraph's own serialisation version. */
  version?: number;
}

/** A malformed workflow file. */
export class WorkflowFormatError extends Error {
  readonly type = "invalid_workflow";
  constructor(
    message: string,
    readonly details = "",
  ) {
    super(message);
    this.name = "WorkflowFormatError";
  }
}

/** Whether `data` looks like an editor workflow (rather than an API prompt). */
export function isEditorWorkflow(data: unknown): data is EditorWorkflow {
  return !!data && typeof data === "object" && Array.isArray((data as EditorWorkflow).nodes);
}

interface LinkInfo {
  origin: number;
  originSlot: number;
  target: number;
  targetSlot: number;
}

function readLinks(wf: EditorWorkflow): Map<number, LinkInfo> {
  if (wf.links !== undefined && !Array.isArray(wf.links)) throw new WorkflowFormatError("workflow.links must be an array");
  const links = new Map<number, LinkInfo>();
  for (const raw of wf.links ?? []) {
    let l: LinkInfo & { id: number };
    if (Array.isArray(raw) && raw.length >= 5 && raw.slice(0, 5).every((x) => typeof x === "number")) {
      l = { id: raw[0], origin: raw[1], originSlot: raw[2], target: raw[3], targetSlot: raw[4] };
    } else if (raw && typeof raw === "object" && !Array.isArray(raw) && typeof (raw as { id?: unknown }).id === "number") {
      // litegraph's object form {id, origin_id, origin_slot, target_id, target_slot, type}
      const o = raw as unknown as Record<string, number>;
      l = { id: o.id, origin: o.origin_id, originSlot: o.origin_slot, target: o.target_id, targetSlot: o.target_slot };
    } else {
      throw new WorkflowFormatError(`malformed link ${JSON.stringify(raw)}`, "links are [id, originId, originSlot, targetId, targetSlot, type]");
    }
    links.set(l.id, l);
  }
  return links;
}

/**
 * Converts an editor workflow to the API format. Muted nodes and editor-only nodes are dropped,
 * reroutes and bypassed nodes are resolved to the links they pass through. Widget values of inputs that
 * are linked are ignored (the link wins). Throws {@link WorkflowFormatError} for a malformed file;
 * everything else (unknown types, missing inputs) is left to the executor's validation.
 */
export function editorToApi(workflow: EditorWorkflow, registry: NodeRegistry): ApiPrompt {
  if (!isEditorWorkflow(workflow)) throw new WorkflowFormatError("not an editor workflow: it has no nodes array");
  const version = workflow.format_version ?? EDITOR_FORMAT_VERSION;
  if (typeof version !== "number" || version > EDITOR_FORMAT_VERSION) {
    throw new WorkflowFormatError(
      `workflow format version ${JSON.stringify(version)} is newer than this glide-studio supports (${EDITOR_FORMAT_VERSION})`,
      "update glide-studio",
    );
  }
  const nodes = new Map<number, EditorNode>();
  for (const n of workflow.nodes) {
    if (!n || typeof n !== "object" || typeof n.id !== "number" || typeof n.type !== "string") {
      throw new WorkflowFormatError(`malformed node ${JSON.stringify(n)?.slice(0, 200)}`, "nodes need a numeric id and a type");
    }
    if (nodes.has(n.id)) throw new WorkflowFormatError(`two nodes have the id ${n.id}`);
    for (const key of ["inputs", "outputs"] as const) {
      const slots = n[key] as unknown;
      if (slots !== undefined && (!Array.isArray(slots) || slots.some((s) => !s || typeof s !== "object"))) {
        throw new WorkflowFormatError(`node ${n.id} (${n.type}): ${key} must be a list of slots`, `got ${JSON.stringify(slots)?.slice(0, 200)}`);
      }
    }
    if (n.widgets_values !== undefined && (n.widgets_values === null || typeof n.widgets_values !== "object" || Array.isArray(n.widgets_values))) {
      throw new WorkflowFormatError(
        `node ${n.id} (${n.type}) stores widgets_values by position`,
        "glide-studio workflows store widget values by input name: { \"seed\": 42, ... }",
      );
    }
    nodes.set(n.id, n);
  }
  const links = readLinks(workflow);
  const linkInto = (node: EditorNode, slot: number): LinkInfo | undefined => {
    const id = node.inputs?.[slot]?.link;
    if (id === null || id === undefined) return undefined;
    const l = links.get(id);
    if (!l) throw new WorkflowFormatError(`node ${node.id} (${node.type}) input "${node.inputs![slot].name}" uses link ${id}, which is not in workflow.links`);
    return l;
  };

  // Follows reroutes and bypassed nodes back to the node that really produces a value. Iterative, and
  // each (node, output slot) is resolved once for the whole graph: a chain of tens of thousands of
  // reroutes in a shared file must neither overflow the stack nor cost quadratic time.
  const resolved = new Map<string, [string, number] | undefined>();
  const resolve = (origin: number, slot: number): [string, number] | undefined => {
    const path: string[] = [];
    const onPath = new Set<number>();
    let result: [string, number] | undefined;
    for (;;) {
      const key = `${origin}:${slot}`;
      if (resolved.has(key)) {
        result = resolved.get(key);
        break;
      }
      const node = nodes.get(origin);
      if (!node) throw new WorkflowFormatError(`a link starts at node ${origin}, which is not in the workflow`);
      if (onPath.has(origin)) throw new WorkflowFormatError(`reroutes or bypassed nodes form a loop through node ${origin}`);
      path.push(key);
      onPath.add(origin);
      if (node.type === "Reroute" || node.mode === NODE_MODE.BYPASS) {
        const outType = node.outputs?.[slot]?.type;
        const inputs = node.inputs ?? [];
        const through =
          node.type === "Reroute" ? 0 : inputs.findIndex((inp) => inp.link != null && (inp.type === outType || outType === "*"));
        const l = through >= 0 ? linkInto(node, through) : undefined;
        if (!l) break;
        origin = l.origin;
        slot = l.originSlot;
        continue;
      }
      if (node.mode !== NODE_MODE.NEVER) result = [String(origin), slot];
      break;
    }
    for (const key of path) resolved.set(key, result);
    return result && [result[0], result[1]];
  };

  const prompt: ApiPrompt = {};
  for (const node of nodes.values()) {
    if (UI_ONLY_TYPES.has(node.type) || node.mode === NODE_MODE.NEVER || node.mode === NODE_MODE.BYPASS) continue;
    const def = registry.get(node.type);
    const inputs: Record<string, unknown> = {};
    const known = def ? new Set(listInputs(def).filter((i) => isWidget(i.type, i.options)).map((i) => i.name)) : undefined;
    for (const [name, value] of Object.entries(node.widgets_values ?? {})) {
      if (!known || known.has(name)) inputs[name] = value;
    }
    (node.inputs ?? []).forEach((slot, i) => {
      const l = linkInto(node, i);
      const name = slot.widget?.name ?? slot.name;
      if (!l) return;
      if (l.target !== node.id) {
        throw new WorkflowFormatError(`link ${slot.link} into node ${node.id} input "${name}" names node ${l.target} as its target`);
      }
      const src = resolve(l.origin, l.originSlot);
      if (src) inputs[name] = src;
      else delete inputs[name];
    });
    prompt[String(node.id)] = { class_type: node.type, inputs, ...(node.title ? { _meta: { title: node.title } } : {}) };
  }
  return prompt;
}
