/** `glide-studio nodes`: the node schema as JSON (what the editor builds its nodes from). */
import path from "node:path";
import os from "node:os";
import { parseArgs } from "node:util";
import { nodeSchema, objectInfo } from "../../graph/schema.js";
import { builtinRegistry } from "../../nodes/index.js";
import { defaultModelsDir, type CliCommand } from "../command.js";

const help = `Usage: glide-studio nodes [NODE] [--models-dir D] [--input-dir D]

Prints the schema of every node type (or of NODE) as JSON, in ComfyUI's /object_info shape: inputs
with types, defaults, min/max and choices, outputs, category and description. File choices list the
files present in the folders.

Options:
  --models-dir D   checkpoints listed for LoadCheckpoint (default ./models, or $GLIDE_STUDIO_MODELS)
  --input-dir D    images listed for LoadImage/LoadMask (default ./input)
  -h, --help       show this help`;

/** The `nodes` CLI command. */
export const nodesCommand: CliCommand = {
  name: "nodes",
  summary: "print the node schema as JSON",
  help,
  async run(argv) {
    let values: { "models-dir"?: string; "input-dir"?: string };
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({
        args: argv,
        options: { "models-dir": { type: "string" }, "input-dir": { type: "string" } },
        allowPositionals: true,
        strict: true,
      }));
    } catch (err) {
      console.error(`glide-studio nodes: ${(err as Error).message}\n\n${help}`);
      return 2;
    }
    const registry = builtinRegistry();
    const paths = {
      models: path.resolve(values["models-dir"] ?? defaultModelsDir()),
      input: path.resolve(values["input-dir"] ?? "input"),
      output: path.resolve("output"),
      temp: os.tmpdir(),
    };
    if (positionals.length > 1) {
      console.error(`glide-studio nodes: one node name at most\n\n${help}`);
      return 2;
    }
    if (positionals.length === 1) {
      const def = registry.get(positionals[0]);
      if (!def) {
        console.error(`glide-studio nodes: unknown node type "${positionals[0]}"; known: ${registry.list().map((d) => d.name).join(", ")}`);
        return 2;
      }
      console.log(JSON.stringify(nodeSchema(def, paths), null, 2));
      return 0;
    }
    console.log(JSON.stringify(objectInfo(registry, paths), null, 2));
    return 0;
  },
};
