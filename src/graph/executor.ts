/**
 * Runs API prompts: validates the whole prompt, then executes the output nodes and the nodes they depend
 * on in topological order, reusing cached outputs by signature, and reports each step as events.
 */
import { EventEmitter } from "node:events";
import { ModelCache } from "./model-cache.js";
import type { NodeRegistry } from "./registry.js";
import { nodeSignature } from "./signature.js";
import type {
  ApiPrompt,
  FolderPaths,
  NodeContext,
  NodeDefinition,
  NodeResult,
  NodeUiOutput,
  PreviewFrame,
  PromptError,
  ValidationResult,
} from "./types.js";
import { analyzePrompt, type ExecutionPlan } from "./validate.js";

/** Options of an {@link Executor}. */
export interface ExecutorOptions {
  registry: NodeRegistry;
  paths: FolderPaths;
  /** Share one model cache between executors (default: a cache of this executor's own). */
  models?: ModelCache;
  /** Most node outputs kept between runs besides those of the latest run (default 64). */
  cacheSize?: number;
}

/** Options of one run. */
export interface RunOptions {
  promptId: string;
  signal?: AbortSignal;
  /** Extra PNG metadata for saved images, e.g. `{ workflow }` (the editor graph). */
  extraPngInfo?: Record<string, unknown>;
}

/** An error of a run, with the node at fault when one is. */
export interface RunError extends PromptError {
  node_id?: string;
  node_type?: string;
  node_errors?: ValidationResult["node_errors"];
}

/** The outcome of {@link Executor.run}. */
export interface RunResult {
  status: "success" | "error" | "interrupted";
  /** UI outputs (saved images) of output nodes, executed or cached. */
  outputs: Record<string, NodeUiOutput>;
  error?: RunError;
  /** Ids of nodes executed in this run, in order. */
  executed: string[];
  /** Ids of needed nodes whose outputs came from the cache. */
  cached: string[];
}

interface CacheEntry {
  result: unknown[];
  ui?: NodeUiOutput;
}

/** The error a node throws when the run was interrupted. */
export class InterruptedError extends Error {
  constructor() {
    super("interrupted");
    this.name = "InterruptedError";
  }
}

/**
 * Validates and runs prompts. Events (each payload has `prompt_id`): `execution_start`,
 * `execution_cached` {nodes}, `executing` {node} (`node: null` when the run ends), `progress`
 * {node, value, max, preview?}, `executed` {node, output}, `execution_error` {node_id, node_type,
 * exception_message, exception_type}, `execution_interrupted` {node_id, node_type}, `execution_success`.
 * Runs are serialised: a second `run` waits for the first.
 */
export class Executor extends EventEmitter {
  readonly registry: NodeRegistry;
  readonly paths: FolderPaths;
  /** Models shared by all nodes and runs. */
  readonly models: ModelCache;
  private readonly cacheSize: number;
  private readonly cache = new Map<string, CacheEntry>();
  private current?: AbortController;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: ExecutorOptions) {
    super();
    this.registry = opts.registry;
    this.paths = opts.paths;
    this.models = opts.models ?? new ModelCache();
    this.cacheSize = opts.cacheSize ?? 64;
  }

  /** Validates a whole prompt without running it. */
  validate(prompt: ApiPrompt): ValidationResult {
    return analyzePrompt(prompt, this.registry, this.paths).result;
  }

  /** Validates, then runs `prompt`. Never rejects for user errors: they come back as `status: "error"`. */
  run(prompt: ApiPrompt, opts: RunOptions): Promise<RunResult> {
    const next = this.queue.then(() => this.runNow(prompt, opts));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Stops the running prompt within one sampling step. */
  interrupt(): void {
    this.current?.abort();
  }

  /** Forgets cached node outputs and disposes loaded models. */
  freeMemory(): void {
    this.cache.clear();
    this.models.clear();
  }

  private async runNow(prompt: ApiPrompt, opts: RunOptions): Promise<RunResult> {
    const promptId = opts.promptId;
    const analysis = analyzePrompt(prompt, this.registry, this.paths);
    if (!analysis.plan) {
      const { error, node_errors } = analysis.result;
      return {
        status: "error",
        outputs: {},
        error: { ...(error ?? { type: "invalid_prompt", message: "invalid prompt", details: "" }), node_errors },
        executed: [],
        cached: [],
      };
    }
    const plan = analysis.plan;
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    opts.signal?.addEventListener("abort", onAbort);
    if (opts.signal?.aborted) controller.abort();
    this.current = controller;
    const executed: string[] = [];
    let cached: string[] = [];
    const outputs: Record<string, NodeUiOutput> = {};
    let nodeId: string | undefined;
    this.emit("execution_start", { prompt_id: promptId });
    try {
      const signatures = await this.signatures(plan);
      const toRun = this.nodesToRun(plan, signatures);
      cached = plan.order.filter((id) => !toRun.has(id) && this.cache.has(signatures.get(id)!));
      this.emit("execution_cached", { prompt_id: promptId, nodes: cached });
      for (const id of plan.order) {
        const entry = this.cache.get(signatures.get(id)!);
        if (entry && !toRun.has(id)) {
          this.touch(signatures.get(id)!, entry);
          if (entry.ui) {
            outputs[id] = entry.ui;
            this.emit("executed", { prompt_id: promptId, node: id, output: entry.ui });
          }
        }
      }
      for (const id of plan.order) {
        if (!toRun.has(id)) continue;
        if (controller.signal.aborted) throw new InterruptedError();
        nodeId = id;
        this.emit("executing", { prompt_id: promptId, node: id });
        const result = await this.executeNode(id, plan, signatures, prompt, opts, controller.signal);
        if (controller.signal.aborted) throw new InterruptedError();
        const def = plan.defs.get(id)!;
        const values = result.result ?? [];
        if (values.length !== def.output.length) {
          throw new Error(`node ${id} (${def.name}) returned ${values.length} value(s) for ${def.output.length} output(s)`);
        }
        const entry: CacheEntry = { result: values, ui: result.ui };
        this.cache.set(signatures.get(id)!, entry);
        executed.push(id);
        if (result.ui) {
          outputs[id] = result.ui;
          this.emit("executed", { prompt_id: promptId, node: id, output: result.ui });
        }
      }
      nodeId = undefined;
      this.emit("executing", { prompt_id: promptId, node: null });
      this.emit("execution_success", { prompt_id: promptId });
      return { status: "success", outputs, executed, cached };
    } catch (err) {
      nodeId = (err as { nodeId?: string }).nodeId ?? nodeId;
      const def = nodeId ? plan.defs.get(nodeId) : undefined;
      if (controller.signal.aborted) {
        this.emit("execution_interrupted", {
          prompt_id: promptId,
          node_id: nodeId ?? null,
          node_type: def?.name ?? null,
          executed,
        });
        return {
          status: "interrupted",
          outputs,
          error: { type: "interrupted", message: "Interrupted", details: nodeId ? `during node ${nodeId} (${def?.name})` : "", node_id: nodeId, node_type: def?.name },
          executed,
          cached,
        };
      }
      const e = err instanceof Error ? err : new Error(String(err));
      const where = nodeId ? `Node ${nodeId} (${def?.name}): ` : "";
      this.emit("execution_error", {
        prompt_id: promptId,
        node_id: nodeId ?? null,
        node_type: def?.name ?? null,
        exception_message: e.message,
        exception_type: e.name,
        traceback: (e.stack ?? "").split("\n").slice(1),
        executed,
      });
      return {
        status: "error",
        outputs,
        error: { type: "execution_error", message: `${where}${e.message}`, details: e.name, node_id: nodeId, node_type: def?.name },
        executed,
        cached,
      };
    } finally {
      opts.signal?.removeEventListener("abort", onAbort);
      if (this.current === controller) this.current = undefined;
      this.prune(plan.order.length);
    }
  }

  /** Signatures of every planned node, in topological order so sources come first. */
  private async signatures(plan: ExecutionPlan): Promise<Map<string, string>> {
    const sigs = new Map<string, string>();
    for (const id of plan.order) {
      const def = plan.defs.get(id)!;
      const literals = plan.literals.get(id)!;
      const links: Record<string, [string, number]> = {};
      for (const [name, l] of Object.entries(plan.links.get(id)!)) links[name] = [sigs.get(l.source)!, l.index];
      let fingerprint: string | undefined;
      if (def.fingerprint) {
        try {
          fingerprint = await def.fingerprint(literals, this.paths);
        } catch (err) {
          throw Object.assign(err instanceof Error ? err : new Error(String(err)), { nodeId: id });
        }
      }
      const perPlace = def.output_node || Object.values(def.input.hidden ?? {}).includes("UNIQUE_ID");
      sigs.set(id, nodeSignature({ classType: def.name, literals, links, fingerprint, nodeId: perPlace ? id : undefined }));
    }
    return sigs;
  }

  /** Uncached output nodes and, recursively, the uncached nodes they need. */
  private nodesToRun(plan: ExecutionPlan, sigs: Map<string, string>): Set<string> {
    const run = new Set<string>();
    const stack = plan.outputs.filter((id) => !this.cache.has(sigs.get(id)!));
    while (stack.length) {
      const id = stack.pop()!;
      if (run.has(id)) continue;
      run.add(id);
      for (const l of Object.values(plan.links.get(id)!)) {
        if (!this.cache.has(sigs.get(l.source)!)) stack.push(l.source);
      }
    }
    return run;
  }

  private async executeNode(
    id: string,
    plan: ExecutionPlan,
    sigs: Map<string, string>,
    prompt: ApiPrompt,
    opts: RunOptions,
    signal: AbortSignal,
  ): Promise<NodeResult> {
    const def: NodeDefinition = plan.defs.get(id)!;
    const inputs: Record<string, unknown> = { ...plan.literals.get(id)! };
    for (const [name, l] of Object.entries(plan.links.get(id)!)) {
      inputs[name] = this.cache.get(sigs.get(l.source)!)!.result[l.index];
    }
    const extraPngInfo = opts.extraPngInfo ?? {};
    for (const [name, kind] of Object.entries(def.input.hidden ?? {})) {
      inputs[name] = kind === "PROMPT" ? prompt : kind === "EXTRA_PNGINFO" ? extraPngInfo : id;
    }
    const ctx: NodeContext = {
      nodeId: id,
      promptId: opts.promptId,
      signal,
      paths: this.paths,
      models: this.models,
      progress: (value: number, max: number, preview?: PreviewFrame) => {
        this.emit("progress", { prompt_id: opts.promptId, node: id, value, max, preview });
      },
      hidden: { prompt, extraPngInfo, uniqueId: id },
    };
    return await def.execute(inputs, ctx);
  }

  private touch(sig: string, entry: CacheEntry): void {
    this.cache.delete(sig);
    this.cache.set(sig, entry);
  }

  /** Keeps the latest run's outputs (the most recently used) plus `cacheSize` others. */
  private prune(latestRunSize: number): void {
    const limit = this.cacheSize + latestRunSize;
    while (this.cache.size > limit) {
      const oldest = this.cache.keys().next().value as string;
      this.cache.delete(oldest);
    }
  }
}
