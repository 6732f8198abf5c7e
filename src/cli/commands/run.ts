/** `glide-studio run`: run a workflow file (either format, or a PNG saved by glide-studio) headless. */
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Executor } from "../../graph/executor.js";
import { formatValidationReport } from "../../graph/report.js";
import type { FolderPaths, NodeUiOutput } from "../../graph/types.js";
import { applyOverrides, parseOverride, readWorkflowFile, seedOverrides, type InputOverride } from "../../graph/workflow.js";
import { builtinRegistry } from "../../nodes/index.js";
import { ProgressBar } from "../progress.js";
import { defaultModelsDir, type CliCommand } from "../command.js";

const help = `Usage: glide-studio run <workflow.json|image.png> [options]

Runs a workflow headless: an editor workflow, an API prompt, or a PNG saved by glide-studio (its
embedded workflow). Prints the saved files' paths, one per line, on stdout; progress goes to stderr.

Options:
  --set <node>.<input>=<value>  change an input before running (repeatable). <node> is a node id,
                                a node title, or a node type used once in the workflow, e.g.
                                --set 6.text="a corgi in a field"  --set Sample.respacing=27
  --seed N                      set every seed input to N
  --models-dir D                checkpoints (default ./models, or $GLIDE_STUDIO_MODELS)
  --output-dir D                where SaveImage writes (default ./output)
  --input-dir D                 where LoadImage/LoadMask read (default: the workflow file's folder)
  --temp-dir D                  where PreviewImage writes (default: the system temp folder)
  --json                        print a JSON summary on stdout instead of the file paths
  -q, --quiet                   no progress output
  -h, --help                    show this help

Exit status: 0 done, 1 a node failed, 2 the workflow is invalid (the report names each problem),
130 interrupted (Ctrl-C stops the current node within one sampling step).`;

interface RunArgs {
  file: string;
  overrides: string[];
  seed?: number;
  paths: FolderPaths;
  json: boolean;
  quiet: boolean;
}

function parse(argv: string[]): RunArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      set: { type: "string", multiple: true },
      seed: { type: "string" },
      "models-dir": { type: "string" },
      "output-dir": { type: "string" },
      "input-dir": { type: "string" },
      "temp-dir": { type: "string" },
      json: { type: "boolean" },
      quiet: { type: "boolean", short: "q" },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new Error(positionals.length ? `one workflow file expected, got ${positionals.length}` : "no workflow file given");
  let seed: number | undefined;
  if (values.seed !== undefined) {
    seed = Number(values.seed);
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`--seed must be a whole number >= 0, got "${values.seed}"`);
  }
  const file = path.resolve(positionals[0]);
  return {
    file,
    overrides: values.set ?? [],
    seed,
    paths: {
      models: path.resolve(values["models-dir"] ?? defaultModelsDir()),
      output: path.resolve(values["output-dir"] ?? "output"),
      input: path.resolve(values["input-dir"] ?? path.dirname(file)),
      temp: path.resolve(values["temp-dir"] ?? path.join(os.tmpdir(), "glide-studio")),
    },
    json: values.json === true,
    quiet: values.quiet === true,
  };
}

function savedFiles(outputs: Record<string, NodeUiOutput>, paths: FolderPaths): string[] {
  const files: string[] = [];
  for (const ui of Object.values(outputs)) {
    for (const img of ui.images ?? []) {
      const root = img.type === "output" ? paths.output : img.type === "temp" ? paths.temp : paths.input;
      files.push(path.join(root, img.subfolder, img.filename));
    }
  }
  return files;
}

/** The `run` CLI command. */
export const runCommand: CliCommand = {
  name: "run",
  summary: "run a workflow (.json in either format, or a saved .png) headless",
  help,
  async run(argv) {
    let args: RunArgs;
    try {
      args = parse(argv);
    } catch (err) {
      console.error(`glide-studio run: ${(err as Error).message}\n\n${help}`);
      return 2;
    }
    const registry = builtinRegistry();
    let loaded;
    try {
      loaded = await readWorkflowFile(args.file, registry);
      const overrides: InputOverride[] = args.seed !== undefined ? seedOverrides(loaded.prompt, args.seed, registry) : [];
      overrides.push(...args.overrides.map(parseOverride));
      loaded = applyOverrides(loaded, overrides, registry);
    } catch (err) {
      const e = err as Error & { details?: string };
      if (args.json) console.log(JSON.stringify({ status: "error", error: { type: "invalid_workflow", message: e.message, details: e.details ?? "" } }));
      console.error(`glide-studio run: ${e.message}${e.details ? `\n  ${e.details}` : ""}`);
      return 2;
    }

    const executor = new Executor({ registry, paths: args.paths });
    const validation = executor.validate(loaded.prompt);
    if (!validation.ok) {
      if (args.json) console.log(JSON.stringify({ status: "error", error: validation.error, node_errors: validation.node_errors }));
      console.error(`glide-studio run: ${path.basename(args.file)} is not valid\n${formatValidationReport(validation.error, validation.node_errors)}`);
      const types = new Set(Object.values(validation.node_errors).flatMap((n) => n.errors.map((e) => e.type)));
      if (types.has("missing_model_file")) console.error("hint: --models-dir D points at your checkpoints; `glide-studio models download base` fetches one");
      if (types.has("missing_input_file")) console.error("hint: --input-dir D points at the folder holding the workflow's images");
      return 2;
    }

    const titles = new Map(Object.entries(loaded.prompt).map(([id, n]) => [id, n._meta?.title ?? n.class_type]));
    const bars = new Map<string, ProgressBar>();
    const log = (line: string) => {
      if (!args.quiet) process.stderr.write(`${line}\n`);
    };
    executor.on("execution_cached", (e: { nodes: string[] }) => {
      if (e.nodes.length) log(`cached: ${e.nodes.map((id) => `${id} (${titles.get(id)})`).join(", ")}`);
    });
    executor.on("executing", (e: { node: string | null }) => {
      for (const bar of bars.values()) bar.done();
      bars.clear();
      if (e.node !== null) log(`[${e.node}] ${titles.get(e.node)}`);
    });
    executor.on("progress", (e: { node: string; value: number; max: number }) => {
      if (args.quiet) return;
      let bar = bars.get(e.node);
      if (!bar) {
        bar = new ProgressBar(process.stderr, `  [${e.node}] ${titles.get(e.node)}`, (v, m) => `step ${v}/${m}`);
        bars.set(e.node, bar);
      }
      bar.update(e.value, e.max);
    });

    let interrupts = 0;
    const onSigint = () => {
      if (++interrupts > 1) process.exit(130);
      process.stderr.write("\ninterrupting (Ctrl-C again to quit now)…\n");
      executor.interrupt();
    };
    process.on("SIGINT", onSigint);
    const started = Date.now();
    try {
      const result = await executor.run(loaded.prompt, {
        promptId: `cli-${process.pid}-${started}`,
        ...(loaded.workflow ? { extraPngInfo: { workflow: loaded.workflow } } : {}),
      });
      for (const bar of bars.values()) bar.done();
      const files = savedFiles(result.outputs, args.paths);
      if (args.json) {
        console.log(JSON.stringify({ status: result.status, files, executed: result.executed, cached: result.cached, ...(result.error ? { error: result.error } : {}) }));
      } else {
        for (const f of files) console.log(f);
      }
      if (result.status === "success") {
        log(`done in ${((Date.now() - started) / 1000).toFixed(1)}s: ${result.executed.length} node(s) run, ${files.length} file(s)`);
        return 0;
      }
      if (result.status === "interrupted") {
        console.error(`glide-studio run: interrupted${result.error?.node_id ? ` in node ${result.error.node_id} (${result.error.node_type})` : ""}`);
        return 130;
      }
      console.error(`glide-studio run: ${result.error?.message ?? "failed"}`);
      return 1;
    } finally {
      process.off("SIGINT", onSigint);
      executor.freeMemory();
    }
  },
};
