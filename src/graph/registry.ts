/** The set of node types a workflow may use. */
import type { NodeDefinition } from "./types.js";

/** Node types by name. */
export class NodeRegistry {
  private readonly nodes = new Map<string, NodeDefinition>();

  /** Creates a registry holding `definitions`. */
  constructor(definitions: Iterable<NodeDefinition> = []) {
    for (const def of definitions) this.register(def);
  }

  /** Adds a node type; a name may be registered once. */
  register(def: NodeDefinition): this {
    if (this.nodes.has(def.name)) throw new Error(`node type "${def.name}" is already registered`);
    if (def.output_name && def.output_name.length !== def.output.length) {
      throw new Error(`node type "${def.name}": output_name has ${def.output_name.length} entries for ${def.output.length} outputs`);
    }
    this.nodes.set(def.name, def);
    return this;
  }

  /** The node type named `name`, if registered. */
  get(name: string): NodeDefinition | undefined {
    return this.nodes.get(name);
  }

  /** Whether `name` is registered. */
  has(name: string): boolean {
    return this.nodes.has(name);
  }

  /** Every registered node type, in registration order. */
  list(): NodeDefinition[] {
    return [...this.nodes.values()];
  }
}
