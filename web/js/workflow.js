// The editor workflow format (read by src/graph/convert.ts, shared with the CLI): litegraph's graph
// with widget values stored by input name and a format tag + version, so old files keep loading.

import { readPngText } from "./png-text.js";

export const EDITOR_FORMAT = "glide-studio/editor";
export const EDITOR_FORMAT_VERSION = 1;

/** The current graph as an editor workflow. */
export function serializeWorkflow(graph) {
  const data = graph.serialize();
  return { format: EDITOR_FORMAT, format_version: EDITOR_FORMAT_VERSION, ...data };
}

/** A file the editor cannot load, with a message for the user. */
export class WorkflowLoadError extends Error {}

/** Checks that `data` is an editor workflow this editor can load; returns it. */
export function checkWorkflow(data, source) {
  if (!data || typeof data !== "object" || Array.isArray(data)) throw new WorkflowLoadError(`${source} is not a workflow (expected a JSON object)`);
  if (!Array.isArray(data.nodes)) {
    const values = Object.values(data);
    if (values.length && values.every((n) => n && typeof n === "object" && typeof n.class_type === "string")) {
      throw new WorkflowLoadError(`${source} is an API prompt (no layout); run it with \`glide-studio run\`, or open the editor workflow saved next to it`);
    }
    throw new WorkflowLoadError(`${source} has no "nodes" list; it is not an editor workflow`);
  }
  if (typeof data.format_version === "number" && data.format_version > EDITOR_FORMAT_VERSION) {
    throw new WorkflowLoadError(`${source} uses workflow format ${data.format_version}; this editor reads up to ${EDITOR_FORMAT_VERSION} — update glide-studio`);
  }
  const positional = data.nodes.find((n) => Array.isArray(n?.widgets_values));
  if (positional) {
    throw new WorkflowLoadError(`${source}: node ${positional.id} (${positional.type}) stores its widget values by position (a ComfyUI file?); glide-studio workflows store them by input name`);
  }
  return data;
}

/** Reads a dropped/chosen file: a workflow JSON, or a PNG carrying a `workflow` text chunk. */
export async function workflowFromFile(file) {
  const name = file.name || "the file";
  const buffer = await file.arrayBuffer();
  const head = new Uint8Array(buffer.slice(0, 8));
  if (head[0] === 0x89 && head[1] === 0x50) {
    const text = await readPngText(buffer);
    if (!text.workflow) {
      throw new WorkflowLoadError(text.prompt ? `${name} carries only an API prompt (no editor layout)` : `${name} carries no glide-studio workflow`);
    }
    return checkWorkflow(parseJson(text.workflow, name), name);
  }
  return checkWorkflow(parseJson(new TextDecoder().decode(buffer), name), name);
}

function parseJson(text, source) {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new WorkflowLoadError(`${source} is not valid JSON: ${err.message}`);
  }
}
