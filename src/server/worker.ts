/**
 * The queue worker: runs queued prompts one at a time (one sampling job per device — there is one
 * CPU device), forwards the executor's events to the WebSocket clients and records each result in
 * the persistent history. The heavy work happens in native async workers, so the event loop (and
 * with it every HTTP route) stays free while a prompt runs.
 */
import type { EventEmitter } from "node:events";
import type { PromptStore, QueueItem, HistoryMessage, StoredPrompt } from "./store.js";
import type { WsHub } from "./hub.js";
import { previewFrame } from "./preview.js";

/** The result of one executor run (the graph Executor's `run`). */
export interface RunOutcome {
  status: "success" | "error" | "interrupted";
  outputs: Record<string, unknown>;
  error?: unknown;
}

/** What the worker needs from the graph executor. */
export interface PromptRunner extends EventEmitter {
  run(prompt: StoredPrompt, opts: { promptId: string; signal?: AbortSignal; extraPngInfo?: Record<string, unknown> }): Promise<RunOutcome>;
  interrupt(): void;
}

type EventPayload = Record<string, unknown> & { prompt_id?: string };

/** Runs the queue. */
export class QueueWorker {
  private current: { item: QueueItem; abort: AbortController; messages: HistoryMessage[]; clientId?: string } | null = null;
  private loop: Promise<void> | null = null;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly store: PromptStore,
    private readonly runner: PromptRunner,
    private readonly hub: WsHub,
    private readonly log: (line: string) => void = () => {},
  ) {
    this.forward("execution_start", true);
    this.forward("execution_cached", true);
    this.forward("executing", false, (d) => ({ ...d, display_node: d.node }));
    this.forward("executed", false, (d) => ({ ...d, display_node: d.node }));
    this.forward("execution_error", true, (d) => ({ ...d, message: d.message ?? d.exception_message }));
    this.forward("execution_interrupted", true);
    this.forward("execution_success", true);
    runner.on("progress", (d: EventPayload) => {
      const cur = this.currentFor(d);
      if (!cur) return;
      const { preview, ...rest } = d as EventPayload & { preview?: { width: number; height: number; rgb: Uint8Array } };
      this.hub.send("progress", rest, cur.clientId);
      if (preview) {
        try {
          this.hub.sendBinary(previewFrame(preview), cur.clientId);
        } catch (err) {
          this.log(`preview of node ${String(d.node)} dropped: ${(err as Error).message}`);
        }
      }
    });
  }

  /** The id of the prompt being run, if any. */
  runningPromptId(): string | null {
    return this.current?.item.prompt_id ?? null;
  }

  /** Starts working through the queue if idle. */
  kick(): void {
    if (this.loop || this.stopped) return;
    this.loop = this.drain().finally(() => {
      this.loop = null;
      if (this.store.pending().length > 0 && !this.stopped) this.kick();
      else for (const w of this.idleWaiters.splice(0)) w();
    });
  }

  /** Resolves when nothing is running and nothing is pending. */
  whenIdle(): Promise<void> {
    if (!this.loop && this.store.pending().length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Interrupts the running prompt (only if it is `promptId`, when given). Returns whether a prompt
   * was interrupted.
   */
  interrupt(promptId?: string): boolean {
    const cur = this.current;
    if (!cur || (promptId && cur.item.prompt_id !== promptId)) return false;
    cur.abort.abort();
    this.runner.interrupt();
    return true;
  }

  /** Stops taking new prompts, interrupts the running one and waits for it to be recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.interrupt();
    if (this.loop) await this.loop;
  }

  /** The queue status message every client gets. */
  statusMessage(): Record<string, unknown> {
    return { status: { exec_info: { queue_remaining: this.store.remaining() } } };
  }

  /** Tells every client the queue size. */
  broadcastStatus(): void {
    this.hub.broadcast("status", this.statusMessage());
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const item = this.store.takeNext();
      if (!item) return;
      await this.runOne(item);
    }
  }

  private async runOne(item: QueueItem): Promise<void> {
    const clientId = typeof item.extra_data.client_id === "string" ? item.extra_data.client_id : undefined;
    const cur = { item, abort: new AbortController(), messages: [] as HistoryMessage[], clientId };
    this.current = cur;
    this.broadcastStatus();
    this.log(`prompt ${item.prompt_id} (#${item.number}) started`);
    const started = Date.now();
    let outcome: RunOutcome;
    try {
      const extra = item.extra_data.extra_pnginfo;
      outcome = await this.runner.run(item.prompt, {
        promptId: item.prompt_id,
        signal: cur.abort.signal,
        extraPngInfo: extra && typeof extra === "object" ? (extra as Record<string, unknown>) : undefined,
      });
    } catch (err) {
      // The executor reports node failures in its result; a throw here is a bug or an I/O failure
      // outside any node. Record it like a node error so the user sees it.
      const message = (err as Error).message ?? String(err);
      const data = { prompt_id: item.prompt_id, node_id: null, node_type: null, exception_message: message, message, exception_type: (err as Error).name ?? "Error", timestamp: Date.now() };
      this.hub.send("execution_error", data, clientId);
      cur.messages.push(["execution_error", data]);
      outcome = { status: "error", outputs: {} };
    }
    if (outcome.status === "error" && !cur.messages.some(([type]) => type === "execution_error")) {
      // Failed before any node ran (e.g. a model file removed since the prompt was queued).
      const e = (outcome.error ?? {}) as { message?: string; details?: string; type?: string; node_id?: string; node_type?: string; node_errors?: unknown };
      // The details name what failed (e.g. the node and the model file that went away since queueing).
      const message = e.message ? (e.details ? `${e.message}: ${e.details}` : e.message) : "the prompt failed";
      const data = { prompt_id: item.prompt_id, node_id: e.node_id ?? null, node_type: e.node_type ?? null, exception_message: message, message, exception_type: e.type ?? "Error", node_errors: e.node_errors ?? {}, timestamp: Date.now() };
      this.hub.send("execution_error", data, clientId);
      cur.messages.push(["execution_error", data]);
    }
    const entry = this.store.finishRunning(outcome.outputs ?? {}, outcome.status, cur.messages);
    this.current = null;
    this.hub.send("executing", { node: null, display_node: null, prompt_id: item.prompt_id }, clientId);
    this.log(`prompt ${item.prompt_id} finished: ${entry.status.status_str} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    this.broadcastStatus();
  }

  /** The current run if the event belongs to it (events of other runs, e.g. after a stop, are dropped). */
  private currentFor(d: EventPayload): QueueWorker["current"] {
    const cur = this.current;
    if (!cur || (d.prompt_id !== undefined && d.prompt_id !== cur.item.prompt_id)) return null;
    return cur;
  }

  private forward(event: string, record: boolean, shape: (d: EventPayload) => EventPayload = (d) => d): void {
    this.runner.on(event, (d: EventPayload) => {
      const cur = this.currentFor(d);
      if (!cur) return;
      // `executing {node: null}` is sent by the worker once the run is recorded (exactly once).
      if (event === "executing" && d.node === null) return;
      const data = { ...shape(d), prompt_id: cur.item.prompt_id, timestamp: Date.now() };
      this.hub.send(event, data, cur.clientId);
      if (record) cur.messages.push([event, data]);
    });
  }
}
