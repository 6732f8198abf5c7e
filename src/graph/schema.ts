/** The node schema as served to editors (ComfyUI's `/object_info` shape). */
import { choicesOf, isFileChoices } from "./inputs.js";
import type { NodeRegistry } from "./registry.js";
import type { FolderPaths, InputOptions, InputSpec, NodeDefinition } from "./types.js";

/** One input in the served schema: `[type or choices, options]`. */
export type InputSpecJson = [string | string[], InputOptions & { folder?: string }];

/** One node type in the served schema. */
export interface NodeSchemaJson {
  input: {
    required: Record<string, InputSpecJson>;
    optional?: Record<string, InputSpecJson>;
    hidden?: Record<string, string>;
  };
  input_order: { required: string[]; optional?: string[]; hidden?: string[] };
  output: string[];
  output_is_list: boolean[];
  output_name: string[];
  output_tooltips?: string[];
  name: string;
  display_name: string;
  description: string;
  category: string;
  output_node: boolean;
  python_module: string;
}

function specJson(spec: InputSpec, paths: FolderPaths | undefined): InputSpecJson {
  const [type, options = {}] = spec;
  if (typeof type === "string") return [type, { ...options }];
  const choices = [...(choicesOf(type, paths) ?? [])];
  return [choices, isFileChoices(type) ? { ...options, folder: type.folder } : { ...options }];
}

function section(specs: Record<string, InputSpec> | undefined, paths: FolderPaths | undefined) {
  if (!specs) return undefined;
  return Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, specJson(spec, paths)]));
}

/** The served schema of one node type; file choice lists are read from `paths` now (empty without). */
export function nodeSchema(def: NodeDefinition, paths?: FolderPaths): NodeSchemaJson {
  const optional = section(def.input.optional, paths);
  return {
    input: {
      required: section(def.input.required, paths)!,
      ...(optional ? { optional } : {}),
      ...(def.input.hidden ? { hidden: { ...def.input.hidden } } : {}),
    },
    input_order: {
      required: Object.keys(def.input.required),
      ...(def.input.optional ? { optional: Object.keys(def.input.optional) } : {}),
      ...(def.input.hidden ? { hidden: Object.keys(def.input.hidden) } : {}),
    },
    output: [...def.output],
    output_is_list: def.output.map(() => false),
    output_name: [...(def.output_name ?? def.output)],
    ...(def.output_tooltips ? { output_tooltips: [...def.output_tooltips] } : {}),
    name: def.name,
    display_name: def.display_name,
    description: def.description,
    category: def.category,
    output_node: def.output_node === true,
    python_module: "glide_studio",
  };
}

/**
 * ComfyUI-style `/object_info`: every node type's schema by name. Pass `paths` so that file choice
 * lists (checkpoints, input images) list the files present now.
 */
export function objectInfo(registry: NodeRegistry, paths?: FolderPaths): Record<string, NodeSchemaJson> {
  return Object.fromEntries(registry.list().map((def) => [def.name, nodeSchema(def, paths)]));
}
