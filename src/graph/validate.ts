/**
 * Whole-prompt validation: every problem of every node that would run is reported at once, in
 * ComfyUI's error shape, before anything executes. Also yields the plan the executor follows.
 */
import type { NodeRegistry } from "./registry.js";
import type { ApiPrompt, FolderPaths, NodeDefinition, NodeError, PromptError, ValidationResult } from "./types.js";
import { choicesOf, coerceLiteral, isFileChoices, isLink, isWidget, linkTypeOf, listInputs } from "./inputs.js";
import { MAX_JSON_DEPTH, nestedDeeperThan } from "./json-depth.js";

/** A link between nodes, resolved. */
export interface ResolvedLink {
  source: string;
  index: number;
}

/** What the executor needs of a validated prompt. */
export interface ExecutionPlan {
  /** Nodes that output nodes depend on (outputs included), in a topological order. */
  order: string[];
  /** Output node ids. */
  outputs: string[];
  /** Per node: coerced literal inputs (defaults filled for absent optional widgets). */
  literals: Map<string, Record<string, unknown>>;
  /** Per node: linked inputs. */
  links: Map<string, Record<string, ResolvedLink>>;
  defs: Map<string, NodeDefinition>;
}

/** Validation outcome plus, when valid, the plan. */
export interface Analysis {
  result: ValidationResult;
  plan?: ExecutionPlan;
}

/** Numeric ids sort numerically, others after them alphabetically (stable, readable run order). */
export function compareIds(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  const aNum = a.trim() !== "" && Number.isFinite(na);
  const bNum = b.trim() !== "" && Number.isFinite(nb);
  if (aNum && bNum) return na - nb;
  if (aNum !== bNum) return aNum ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function invalid(message: string, details = ""): Analysis {
  return { result: { ok: false, error: { type: "invalid_prompt", message, details }, node_errors: {}, outputs: [] } };
}

const FILE_ERROR: Record<string, string> = { models: "missing_model_file", input: "missing_input_file" };

/** Validates `prompt` against `registry`; file choices are read from `paths`. */
export function analyzePrompt(prompt: unknown, registry: NodeRegistry, paths: FolderPaths): Analysis {
  if (prompt === null || typeof prompt !== "object" || Array.isArray(prompt)) {
    return invalid("The prompt must be an object of nodes by id", `received ${Array.isArray(prompt) ? "an array" : typeof prompt}`);
  }
  const p = prompt as ApiPrompt;
  const ids = Object.keys(p).sort(compareIds);
  if (ids.length === 0) return invalid("The prompt has no nodes");
  // Results are kept in objects by node id, where this one name would replace the object's prototype.
  if (ids.includes("__proto__")) return invalid('A node id cannot be "__proto__"');
  const nodeErrors: ValidationResult["node_errors"] = {};
  const addError = (id: string, classType: string, error: NodeError): void => {
    // Own keys only: a node may be called "constructor" or "toString".
    if (!Object.hasOwn(nodeErrors, id)) nodeErrors[id] = { class_type: classType, errors: [] };
    nodeErrors[id].errors.push(error);
  };

  const defs = new Map<string, NodeDefinition>();
  for (const id of ids) {
    const node = p[id] as unknown;
    if (node === null || typeof node !== "object" || typeof (node as { class_type?: unknown }).class_type !== "string") {
      return invalid(`Node ${id} has no class_type`, `node ${id}: ${JSON.stringify(node)?.slice(0, 200)}`);
    }
    const n = node as { class_type: string; inputs?: unknown };
    if (n.inputs !== undefined && (n.inputs === null || typeof n.inputs !== "object" || Array.isArray(n.inputs))) {
      return invalid(`Node ${id} (${n.class_type}): inputs must be an object of values by input name`);
    }
    const def = registry.get(n.class_type);
    if (!def) {
      addError(id, n.class_type, {
        type: "unknown_node_type",
        message: `Node ${id}: unknown node type "${n.class_type}"`,
        details: `known types: ${registry.list().map((d) => d.name).join(", ")}`,
      });
    } else {
      defs.set(id, def);
    }
  }

  const outputs = ids.filter((id) => defs.get(id)?.output_node);
  if (outputs.length === 0) {
    return {
      result: {
        ok: false,
        error: {
          type: "prompt_no_outputs",
          message: "Prompt has no outputs",
          details: "add an output node such as SaveImage or PreviewImage",
        },
        node_errors: nodeErrors,
        outputs: [],
      },
    };
  }

  // Nodes the outputs depend on, following links (bad links are reported below).
  const needed = new Set<string>();
  const stack = [...outputs];
  while (stack.length) {
    const id = stack.pop()!;
    if (needed.has(id)) continue;
    needed.add(id);
    for (const v of Object.values(p[id].inputs ?? {})) {
      if (isLink(v) && Object.hasOwn(p, String(v[0]))) stack.push(String(v[0]));
    }
  }

  const literals = new Map<string, Record<string, unknown>>();
  const links = new Map<string, Record<string, ResolvedLink>>();
  for (const id of [...needed].sort(compareIds)) {
    const def = defs.get(id);
    if (!def) continue;
    const inputs = p[id].inputs ?? {};
    const lit: Record<string, unknown> = {};
    const lnk: Record<string, ResolvedLink> = {};
    for (const input of listInputs(def)) {
      const value = inputs[input.name];
      const where = `Node ${id} (${def.name})`;
      if (nestedDeeperThan(value)) {
        addError(id, def.name, {
          type: "invalid_input_type",
          message: `${where}: input "${input.name}" is nested more than ${MAX_JSON_DEPTH} levels deep`,
          details: `${input.name}: a value, or a link ["<node id>", <output index>]`,
          extra_info: { input_name: input.name },
        });
        continue;
      }
      if (value === undefined || value === null) {
        if (input.required) {
          addError(id, def.name, {
            type: "required_input_missing",
            message: `${where}: required input "${input.name}" is missing`,
            details: isWidget(input.type, input.options)
              ? `set a value for ${input.name}`
              : `connect an output of type ${linkTypeOf(input.type)} to ${input.name}`,
            extra_info: { input_name: input.name },
          });
        } else if (input.options.default !== undefined && isWidget(input.type, input.options)) {
          lit[input.name] = input.options.default;
        }
        continue;
      }
      if (isLink(value)) {
        const source = String(value[0]);
        const index = value[1];
        // Own keys only: a link to "constructor" or "toString" must not find Object.prototype's.
        if (!Object.hasOwn(p, source)) {
          addError(id, def.name, {
            type: "bad_linked_input",
            message: `${where}: input "${input.name}" links to node ${source}, which is not in the workflow`,
            details: `${input.name}: ${JSON.stringify(value)}`,
            extra_info: { input_name: input.name, received_value: value },
          });
          continue;
        }
        const srcDef = defs.get(source);
        if (!srcDef) continue; // reported as an unknown node type
        if (!Number.isInteger(index) || index < 0 || index >= srcDef.output.length) {
          addError(id, def.name, {
            type: "bad_linked_input",
            message: `${where}: input "${input.name}" links to output ${index} of node ${source} (${srcDef.name}), which has ${srcDef.output.length} output(s)`,
            details: `${input.name}: ${JSON.stringify(value)}`,
            extra_info: { input_name: input.name, received_value: value },
          });
          continue;
        }
        const got = srcDef.output[index];
        const want = linkTypeOf(input.type);
        if (got !== want && got !== "*" && want !== "*") {
          addError(id, def.name, {
            type: "return_type_mismatch",
            message: `${where}: input "${input.name}" expects ${want}, but node ${source} (${srcDef.name}) output ${index} is ${got}`,
            details: `${input.name}: received_type(${got}) mismatch input_type(${want})`,
            extra_info: { input_name: input.name, received_type: got, input_type: want, linked_node: [source, index] },
          });
          continue;
        }
        lnk[input.name] = { source, index };
        continue;
      }
      if (Array.isArray(value)) {
        addError(id, def.name, {
          type: "bad_linked_input",
          message: `${where}: input "${input.name}" is a malformed link ${JSON.stringify(value)} (expected ["<node id>", <output index>])`,
          details: `${input.name}: ${JSON.stringify(value)}`,
          extra_info: { input_name: input.name, received_value: value },
        });
        continue;
      }
      const choices = choicesOf(input.type, paths);
      const coerced = coerceLiteral(input.name, input.type, input.options, value, choices);
      if (coerced.ok) {
        lit[input.name] = coerced.value;
      } else if (isFileChoices(input.type) && coerced.error.type === "value_not_in_list") {
        const folder = paths[input.type.folder];
        const kind = input.type.folder === "models" ? "model file" : "file";
        addError(id, def.name, {
          type: FILE_ERROR[input.type.folder] ?? "missing_file",
          message: `${where}: ${kind} "${String(value)}" not found in ${folder}`,
          details:
            choices && choices.length
              ? `${input.name}: available in ${folder}: ${choices.join(", ")}`
              : `${input.name}: ${folder} has no ${input.type.extensions.join("/")} files${input.type.folder === "models" ? " (download one with `glide-studio models download base`)" : ""}`,
          extra_info: { input_name: input.name, received_value: value, folder },
        });
      } else {
        coerced.error.message = `${where}: ${coerced.error.message}`;
        addError(id, def.name, coerced.error);
      }
    }
    if (def.validate && !Object.hasOwn(nodeErrors, id)) {
      for (const issue of def.validate({ literals: lit, linked: new Set(Object.keys(lnk)), paths })) {
        addError(id, def.name, {
          type: issue.type,
          message: `Node ${id} (${def.name}): ${issue.message}`,
          details: issue.details ?? "",
          extra_info: issue.input_name ? { input_name: issue.input_name, received_value: issue.received_value } : undefined,
        });
      }
    }
    literals.set(id, lit);
    links.set(id, lnk);
  }

  const cycle = findCycle([...needed], links);
  if (cycle) {
    const trail = cyclePath(cycle, p);
    for (const id of cycle) {
      addError(id, p[id].class_type, {
        type: "dependency_cycle",
        message: `Node ${id} (${p[id].class_type}) depends on itself: ${trail}`,
        details: "remove one of the links in the cycle",
      });
    }
  }

  // Unknown node types anywhere fail the prompt (they may be meant as outputs).
  const failed = Object.keys(nodeErrors).length > 0;
  if (failed) {
    const error: PromptError = cycle
      ? { type: "dependency_cycle", message: "The workflow contains a cycle", details: cyclePath(cycle, p) }
      : {
          type: "prompt_outputs_failed_validation",
          message: "Prompt outputs failed validation",
          details: Object.values(nodeErrors)
            .map((e) => e.errors.map((x) => x.message).join("\n"))
            .join("\n"),
        };
    return { result: { ok: false, error, node_errors: nodeErrors, outputs } };
  }
  const order = topologicalOrder([...needed], links);
  return {
    result: { ok: true, node_errors: {}, outputs },
    plan: { order, outputs, literals, links, defs },
  };
}

function cyclePath(cycle: string[], p: ApiPrompt): string {
  return [...cycle, cycle[0]].map((id) => `${id} (${p[id].class_type})`).join(" → ");
}

/** A cycle among `nodes` (as a list of ids in link order), if any. Iterative: chains can be long. */
function findCycle(nodes: string[], links: Map<string, Record<string, ResolvedLink>>): string[] | undefined {
  const state = new Map<string, 1 | 2>(); // 1 = on the path, 2 = done
  const depsOf = (id: string): string[] =>
    [...new Set(Object.values(links.get(id) ?? {}).map((l) => l.source))].sort(compareIds);
  for (const startId of nodes.sort(compareIds)) {
    if (state.get(startId) !== undefined) continue;
    // The DFS path: each frame is a node and the index of its next dependency to visit.
    const trail: string[] = [startId];
    const frames: { deps: string[]; next: number }[] = [{ deps: depsOf(startId), next: 0 }];
    state.set(startId, 1);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1];
      if (frame.next === frame.deps.length) {
        state.set(trail.pop()!, 2);
        frames.pop();
        continue;
      }
      const dep = frame.deps[frame.next++];
      const s = state.get(dep);
      if (s === 1) return trail.slice(trail.indexOf(dep)).reverse();
      if (s === undefined) {
        state.set(dep, 1);
        trail.push(dep);
        frames.push({ deps: depsOf(dep), next: 0 });
      }
    }
  }
  return undefined;
}

/** Kahn's algorithm; among the ready nodes the smallest id runs first, so the run order is stable. */
function topologicalOrder(nodes: string[], links: Map<string, Record<string, ResolvedLink>>): string[] {
  const waiting = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const id of nodes) {
    const deps = new Set(Object.values(links.get(id) ?? {}).map((l) => l.source));
    waiting.set(id, deps.size);
    for (const d of deps) (dependents.get(d) ?? dependents.set(d, []).get(d)!).push(id);
  }
  // A binary min-heap of ready ids (a sorted scan per step was quadratic in the prompt's size).
  const heap: string[] = [];
  const pushReady = (id: string): void => {
    heap.push(id);
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (compareIds(heap[parent], heap[i]) <= 0) break;
      [heap[parent], heap[i]] = [heap[i], heap[parent]];
      i = parent;
    }
  };
  const popReady = (): string => {
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && compareIds(heap[l], heap[m]) < 0) m = l;
        if (r < heap.length && compareIds(heap[r], heap[m]) < 0) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i], heap[m]];
        i = m;
      }
    }
    return top;
  };
  for (const [id, n] of waiting) if (n === 0) pushReady(id);
  const order: string[] = [];
  while (heap.length > 0) {
    const next = popReady();
    order.push(next);
    for (const d of dependents.get(next) ?? []) {
      const left = waiting.get(d)! - 1;
      waiting.set(d, left);
      if (left === 0) pushReady(d);
    }
  }
  return order;
}
