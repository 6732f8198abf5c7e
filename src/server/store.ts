/**
 * The prompt queue and the history, persisted in the data folder (`queue.json`, `history.json`) with
 * atomic writes, so both survive a restart. A prompt that was running when the server stopped is
 * recorded as failed on the next start instead of silently disappearing.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import type { ApiPrompt } from "../graph/types.js";
import { isTempSibling, writeFileAtomic } from "./atomic.js";

/** An API-format prompt as stored in the queue (node id → class and inputs). */
export type StoredPrompt = ApiPrompt;

/** One queued prompt. */
export interface QueueItem {
  /** Queue position key: increasing; prompts queued "in front" get negative numbers. */
  number: number;
  prompt_id: string;
  prompt: StoredPrompt;
  /** `client_id` and `extra_pnginfo` (the editor workflow embedded into saved PNGs). */
  extra_data: Record<string, unknown>;
  /** Output node ids the prompt will run. */
  outputs_to_execute: string[];
  /** Unix milliseconds when it was queued. */
  queued_at: number;
}

/** A message recorded in a history entry: `[event type, payload]`. */
export type HistoryMessage = [string, Record<string, unknown>];

/** One finished prompt, in the shape node-graph tools use for `/history`. */
export interface HistoryEntry {
  /** `[number, prompt_id, prompt, extra_data, outputs_to_execute]`. */
  prompt: [number, string, StoredPrompt, Record<string, unknown>, string[]];
  /** Per output node: what it produced (`images`: filename/subfolder/type). */
  outputs: Record<string, unknown>;
  status: { status_str: "success" | "error" | "interrupted"; completed: boolean; messages: HistoryMessage[] };
}

interface QueueFile {
  version: 1;
  counter: number;
  running: QueueItem | null;
  pending: QueueItem[];
}

interface HistoryFile {
  version: 1;
  /** Oldest first. */
  entries: [string, HistoryEntry][];
}

/** Serialises writes of one JSON file: at most one write in flight, the latest state always wins. */
class JsonFileWriter {
  private inFlight: Promise<void> | null = null;
  private dirty = false;
  private lastError: Error | null = null;

  constructor(
    private readonly file: string,
    private readonly snapshot: () => unknown,
    private readonly warn: (msg: string) => void,
  ) {}

  /** Schedules a write of the current state. */
  schedule(): void {
    this.dirty = true;
    if (!this.inFlight) this.inFlight = this.loop();
  }

  /** Resolves once everything scheduled so far is on disk; rejects with the last write error. */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    if (this.lastError) {
      const e = this.lastError;
      this.lastError = null;
      throw e;
    }
  }

  private async loop(): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false;
        try {
          await writeFileAtomic(this.file, JSON.stringify(this.snapshot()));
          if (this.lastError) this.warn(`saved ${this.file} again`);
          this.lastError = null;
        } catch (err) {
          // Said once per failure streak (a full disk fails every save until space is freed); the
          // state stays in memory and the next change retries.
          if (!this.lastError) this.warn(`could not save ${this.file}: ${(err as Error).message}; retrying with the next change`);
          this.lastError = new Error(`could not save ${this.file}: ${(err as Error).message}`);
        }
      }
    } finally {
      this.inFlight = null;
    }
  }
}

async function readJson<T>(file: string, warn: (msg: string) => void): Promise<T | null> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new Error(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    // Keep the unreadable file for inspection and start afresh rather than refusing to start.
    const aside = `${file}.corrupt-${Date.now()}`;
    await fs.rename(file, aside);
    warn(`${file} is not valid JSON (${(err as Error).message}); moved it to ${aside}`);
    return null;
  }
}

/** Options of {@link PromptStore.open}. */
export interface PromptStoreOptions {
  /** Keep at most this many history entries (oldest dropped first). Default 500. */
  maxHistory?: number;
  /** Where warnings go (default console.warn). */
  warn?: (msg: string) => void;
}

/** The persistent queue + history. All mutations are saved to disk asynchronously (see flush()). */
export class PromptStore {
  private counter = 0;
  private runningItem: QueueItem | null = null;
  private pendingItems: QueueItem[] = [];
  private readonly historyMap = new Map<string, HistoryEntry>();
  private readonly queueWriter: JsonFileWriter;
  private readonly historyWriter: JsonFileWriter;
  private readonly maxHistory: number;

  private constructor(readonly dataDir: string, opts: PromptStoreOptions, warn: (msg: string) => void) {
    this.maxHistory = opts.maxHistory ?? 500;
    this.queueWriter = new JsonFileWriter(path.join(dataDir, "queue.json"), (): QueueFile => ({
      version: 1,
      counter: this.counter,
      running: this.runningItem,
      pending: this.pendingItems,
    }), warn);
    this.historyWriter = new JsonFileWriter(path.join(dataDir, "history.json"), (): HistoryFile => ({
      version: 1,
      entries: [...this.historyMap.entries()],
    }), warn);
  }

  /**
   * Loads the queue and history from `dataDir` (created when missing). A prompt recorded as running
   * is moved to the history as an error: the previous server process stopped while running it.
   */
  static async open(dataDir: string, opts: PromptStoreOptions = {}): Promise<PromptStore> {
    const warn = opts.warn ?? ((m: string) => console.warn(m));
    await fs.mkdir(dataDir, { recursive: true });
    // Temporary files of saves cut short by a crash (the saved file itself is always whole).
    for (const name of await fs.readdir(dataDir)) {
      if (isTempSibling(name, "queue.json") || isTempSibling(name, "history.json")) await fs.rm(path.join(dataDir, name), { force: true });
    }
    const store = new PromptStore(dataDir, opts, warn);
    const history = await readJson<HistoryFile>(path.join(dataDir, "history.json"), warn);
    for (const [id, entry] of history?.entries ?? []) store.historyMap.set(id, entry);
    const queue = await readJson<QueueFile>(path.join(dataDir, "queue.json"), warn);
    if (queue) {
      store.counter = queue.counter ?? 0;
      store.pendingItems = Array.isArray(queue.pending) ? queue.pending : [];
      if (queue.running) {
        const r = queue.running;
        const message = "the server stopped while this prompt was running; it did not finish";
        store.addHistory(r, {}, "error", [
          ["execution_start", { prompt_id: r.prompt_id, timestamp: r.queued_at }],
          ["execution_error", { prompt_id: r.prompt_id, node_id: null, node_type: null, exception_message: message, message, exception_type: "ServerStopped", timestamp: Date.now() }],
        ]);
        warn(`prompt ${r.prompt_id} was running when the server stopped; recorded it as failed`);
      }
      store.queueWriter.schedule();
    }
    await store.flush();
    return store;
  }

  /** Adds a prompt to the queue (at the back, or in front of all pending ones). */
  enqueue(item: Omit<QueueItem, "number" | "queued_at">, front = false): QueueItem {
    this.counter += 1;
    const full: QueueItem = { ...item, number: front ? -this.counter : this.counter, queued_at: Date.now() };
    this.pendingItems.push(full);
    this.pendingItems.sort((a, b) => a.number - b.number);
    this.queueWriter.schedule();
    return full;
  }

  /** Pending prompts in run order. */
  pending(): readonly QueueItem[] {
    return this.pendingItems;
  }

  /** The prompt being run, if any. */
  running(): QueueItem | null {
    return this.runningItem;
  }

  /** Number of prompts not yet finished (running + pending). */
  remaining(): number {
    return this.pendingItems.length + (this.runningItem ? 1 : 0);
  }

  /** Moves the first pending prompt to "running" and returns it (null when the queue is empty). */
  takeNext(): QueueItem | null {
    if (this.runningItem) throw new Error("a prompt is already running");
    const next = this.pendingItems.shift() ?? null;
    this.runningItem = next;
    if (next) this.queueWriter.schedule();
    return next;
  }

  /** Records the running prompt's result in the history and clears "running". */
  finishRunning(outputs: Record<string, unknown>, status: HistoryEntry["status"]["status_str"], messages: HistoryMessage[]): HistoryEntry {
    const r = this.runningItem;
    if (!r) throw new Error("no prompt is running");
    this.runningItem = null;
    const entry = this.addHistory(r, outputs, status, messages);
    this.queueWriter.schedule();
    return entry;
  }

  /** Removes pending prompts by id; returns how many were removed. */
  deletePending(ids: string[]): number {
    const before = this.pendingItems.length;
    const set = new Set(ids);
    this.pendingItems = this.pendingItems.filter((p) => !set.has(p.prompt_id));
    if (this.pendingItems.length !== before) this.queueWriter.schedule();
    return before - this.pendingItems.length;
  }

  /** Removes every pending prompt. */
  clearPending(): void {
    this.pendingItems = [];
    this.queueWriter.schedule();
  }

  /** History entries, newest last; `maxItems` keeps the newest ones. */
  history(maxItems?: number): Record<string, HistoryEntry> {
    let entries = [...this.historyMap.entries()];
    if (maxItems !== undefined && maxItems >= 0) entries = entries.slice(Math.max(0, entries.length - maxItems));
    return Object.fromEntries(entries);
  }

  /** One history entry. */
  historyEntry(id: string): HistoryEntry | undefined {
    return this.historyMap.get(id);
  }

  /** Deletes history entries by id. */
  deleteHistory(ids: string[]): void {
    for (const id of ids) this.historyMap.delete(id);
    this.historyWriter.schedule();
  }

  /** Deletes the whole history. */
  clearHistory(): void {
    this.historyMap.clear();
    this.historyWriter.schedule();
  }

  /** Waits until every change so far is on disk. */
  async flush(): Promise<void> {
    await this.queueWriter.flush();
    await this.historyWriter.flush();
  }

  private addHistory(item: QueueItem, outputs: Record<string, unknown>, status: HistoryEntry["status"]["status_str"], messages: HistoryMessage[]): HistoryEntry {
    const entry: HistoryEntry = {
      prompt: [item.number, item.prompt_id, item.prompt, item.extra_data, item.outputs_to_execute],
      outputs,
      status: { status_str: status, completed: status === "success", messages },
    };
    this.historyMap.delete(item.prompt_id);
    this.historyMap.set(item.prompt_id, entry);
    while (this.historyMap.size > this.maxHistory) {
      const oldest = this.historyMap.keys().next().value as string;
      this.historyMap.delete(oldest);
    }
    this.historyWriter.schedule();
    return entry;
  }
}
