/** Reading input specs: which inputs are widgets or links, file choice lists, literal coercion. */
import fs from "node:fs";
import path from "node:path";
import type { FileChoices, FolderPaths, InputOptions, InputSpec, InputType, NodeDefinition, NodeError } from "./types.js";
import { WIDGET_TYPES } from "./types.js";

/** An input of a node type with where it was declared. */
export interface InputEntry {
  name: string;
  type: InputType;
  options: InputOptions;
  required: boolean;
}

/** Required then optional inputs of a node type, in declaration order (hidden inputs excluded). */
export function listInputs(def: NodeDefinition): InputEntry[] {
  const out: InputEntry[] = [];
  for (const [name, spec] of Object.entries(def.input.required)) out.push(entry(name, spec, true));
  for (const [name, spec] of Object.entries(def.input.optional ?? {})) out.push(entry(name, spec, false));
  return out;
}

function entry(name: string, spec: InputSpec, required: boolean): InputEntry {
  return { name, type: spec[0], options: spec[1] ?? {}, required };
}

/** Whether an input type is a file choice list. */
export function isFileChoices(type: InputType): type is FileChoices {
  return typeof type === "object" && !Array.isArray(type) && "folder" in type;
}

/** Whether an input takes a literal value (a widget) rather than only a link. */
export function isWidget(type: InputType, options: InputOptions = {}): boolean {
  if (options.forceInput) return false;
  return typeof type !== "string" || (WIDGET_TYPES as readonly string[]).includes(type);
}

/** The type name a link into this input must carry: widget types and `COMBO` for choice lists. */
export function linkTypeOf(type: InputType): string {
  return typeof type === "string" ? type : "COMBO";
}

const MAX_DEPTH = 3;

/**
 * Files under `folder` whose names end with one of `extensions`, as sorted `/`-separated paths relative
 * to the folder (sub-folders up to three levels; hidden entries skipped). A missing folder lists nothing.
 */
export function listFolderFiles(folder: string, extensions: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (dir: string, rel: string, depth: number): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith(".")) continue;
      const relName = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (depth < MAX_DEPTH) walk(path.join(dir, e.name), relName, depth + 1);
      } else if (extensions.some((ext) => e.name.toLowerCase().endsWith(ext))) {
        found.push(relName);
      }
    }
  };
  walk(folder, "", 1);
  return found.sort();
}

/** The files a file-choice input offers: its folder's, then bundled ones it does not shadow. */
export function listChoiceFiles(type: FileChoices, paths: FolderPaths): string[] {
  const own = listFolderFiles(paths[type.folder], type.extensions);
  const bundled = type.bundled ? listFolderFiles(type.bundled, type.extensions) : [];
  return [...new Set([...own, ...bundled])].sort();
}

/** The current choices of a choice-list input (file lists read now). */
export function choicesOf(type: InputType, paths: FolderPaths | undefined): readonly string[] | undefined {
  if (Array.isArray(type)) return type as readonly string[];
  if (isFileChoices(type)) return paths ? listChoiceFiles(type, paths) : [];
  return undefined;
}

/**
 * The absolute path of a file-choice value: in the input's folder, else in its bundled folder when only
 * that one has it (a name in neither resolves into the folder, so errors name the user's folder).
 */
export function resolveChoiceFile(type: FileChoices, paths: FolderPaths, name: string): string {
  const own = resolveInFolder(paths[type.folder], name);
  if (!type.bundled || fs.existsSync(own)) return own;
  const bundled = resolveInFolder(type.bundled, name);
  return fs.existsSync(bundled) ? bundled : own;
}

/**
 * Resolves a file-choice value to an absolute path inside its folder; refuses paths that escape it
 * (`../`), since prompts arrive from the network.
 */
export function resolveInFolder(folder: string, name: string): string {
  const full = path.resolve(folder, name);
  const rel = path.relative(path.resolve(folder), full);
  if (rel.startsWith("..") || path.isAbsolute(rel)) throw new Error(`"${name}" is outside the folder ${folder}`);
  return full;
}

/** Outcome of coercing one literal. */
export type Coerced = { ok: true; value: unknown } | { ok: false; error: NodeError };

function fail(type: string, message: string, name: string, value: unknown, details = ""): Coerced {
  return { ok: false, error: { type, message, details, extra_info: { input_name: name, received_value: value } } };
}

/**
 * Checks and converts a literal input value against its spec: numbers from numeric strings, booleans
 * from "true"/"false", min/max bounds, choice membership. `choices` are the current choices for choice
 * inputs (see {@link choicesOf}).
 */
export function coerceLiteral(
  name: string,
  type: InputType,
  options: InputOptions,
  value: unknown,
  choices: readonly string[] | undefined,
): Coerced {
  if (choices) {
    const s = typeof value === "number" ? String(value) : value;
    if (typeof s !== "string" || !choices.includes(s)) {
      const shown = choices.length > 12 ? `${choices.slice(0, 12).join(", ")}, …` : choices.join(", ");
      return fail(
        "value_not_in_list",
        `Value not in list: ${name}: ${JSON.stringify(value)} is not one of [${shown}]`,
        name,
        value,
        `${name}: ${JSON.stringify(value)} not in [${shown}]`,
      );
    }
    return { ok: true, value: s };
  }
  switch (type) {
    case "INT":
    case "FLOAT": {
      let n: number;
      if (typeof value === "number") n = value;
      else if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) n = Number(value);
      else return fail("invalid_input_type", `${name} must be a number, got ${JSON.stringify(value)}`, name, value);
      if (!Number.isFinite(n)) return fail("invalid_input_type", `${name} must be a finite number, got ${n}`, name, value);
      if (type === "INT" && !Number.isInteger(n)) {
        return fail("invalid_input_type", `${name} must be an integer, got ${n}`, name, value);
      }
      if (options.min !== undefined && n < options.min) {
        return fail("value_smaller_than_min", `Value ${n} smaller than min of ${options.min}: ${name}`, name, value, `${name}: ${n} < ${options.min}`);
      }
      if (options.max !== undefined && n > options.max) {
        return fail("value_bigger_than_max", `Value ${n} bigger than max of ${options.max}: ${name}`, name, value, `${name}: ${n} > ${options.max}`);
      }
      return { ok: true, value: n };
    }
    case "BOOLEAN":
      if (typeof value === "boolean") return { ok: true, value };
      if (value === "true" || value === "false") return { ok: true, value: value === "true" };
      return fail("invalid_input_type", `${name} must be true or false, got ${JSON.stringify(value)}`, name, value);
    case "STRING":
      if (typeof value === "string") return { ok: true, value };
      if (typeof value === "number" || typeof value === "boolean") return { ok: true, value: String(value) };
      return fail("invalid_input_type", `${name} must be a string, got ${JSON.stringify(value)}`, name, value);
    default:
      return fail(
        "bad_linked_input",
        `${name} takes a link from a node that outputs ${String(type)}, got the literal ${JSON.stringify(value)}`,
        name,
        value,
      );
  }
}

/** Whether a value has the shape of a link: `["<node id>", <output index>]`. */
export function isLink(value: unknown): value is [string | number, number] {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    (typeof value[0] === "string" || typeof value[0] === "number") &&
    typeof value[1] === "number"
  );
}
