/**
 * The glide-studio server: the HTTP API and WebSocket protocol node-graph users know, the persistent
 * queue, and the web editor. Start it with {@link startServer} (or `glide-studio serve`).
 */
import http from "node:http";
import path from "node:path";
import { readFileSync, constants as fsConstants } from "node:fs";
import { promises as fs } from "node:fs";
import { fileURLToPath } from "node:url";
import type { AddressInfo } from "node:net";
import { Executor } from "../graph/executor.js";
import type { NodeRegistry } from "../graph/registry.js";
import { builtinRegistry } from "../nodes/index.js";
import { createApp } from "./app.js";
import type { ServerContext, ServerExecutor, ServerLimits, ServerPaths } from "./context.js";
import { WsHub } from "./hub.js";
import { generateToken, isLoopbackHost, type GuardConfig } from "./security.js";
import { PromptStore } from "./store.js";
import { QueueWorker } from "./worker.js";

export type { ServerPaths, ServerLimits, ServerExecutor } from "./context.js";
export { PromptStore } from "./store.js";
export type { QueueItem, HistoryEntry } from "./store.js";

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Options of {@link startServer}. */
export interface ServerOptions {
  /** Address to bind; default `127.0.0.1` (this machine only). */
  listen?: string;
  /** Port; default 8188; 0 picks a free one. */
  port?: number;
  /** Access token. Required when `listen` is not a loopback address: generated when absent. */
  token?: string;
  /** Extra host names accepted in the Host header (e.g. behind a reverse proxy). */
  allowedHosts?: string[];
  /** The folders; `workflows` defaults to the shipped `workflows/`. */
  paths: Omit<ServerPaths, "workflows"> & { workflows?: string };
  /** The node types offered (the built-in ones when absent). */
  registry?: NodeRegistry;
  /** The executor (a new one over `registry` and `paths` when absent). */
  executor?: ServerExecutor;
  limits?: Partial<ServerLimits>;
  /** Where log lines go (default: nowhere). */
  log?: (line: string) => void;
  /** Folder of the web editor (default: the shipped `web/`). */
  webDir?: string;
}

/** A running server. */
export interface GlideServer {
  /** Base URL (without the token). */
  url: string;
  listen: string;
  port: number;
  /** The access token in force, if any. */
  token?: string;
  /** Whether the token was generated (so it must be shown to the user). */
  tokenGenerated: boolean;
  store: PromptStore;
  worker: QueueWorker;
  executor: ServerExecutor;
  /** Stops the server: interrupts the running prompt (recorded as interrupted), keeps the pending queue. */
  close(): Promise<void>;
}

/**
 * Shipped workflows name their example pictures as `assets/<file>` in the input folder (the CLI reads
 * them next to the workflow); copy the ones missing there so those workflows run from the editor too.
 * Existing files are never overwritten.
 */
async function installExampleInputs(workflowsDir: string, inputDir: string, log: (line: string) => void): Promise<void> {
  const from = path.join(workflowsDir, "assets");
  let names: string[];
  try {
    names = (await fs.readdir(from)).filter((n) => /\.(png|jpe?g)$/i.test(n));
  } catch {
    return;
  }
  const to = path.join(inputDir, "assets");
  await fs.mkdir(to, { recursive: true });
  for (const name of names) {
    try {
      await fs.copyFile(path.join(from, name), path.join(to, name), fsConstants.COPYFILE_EXCL);
      log(`installed example input assets/${name}`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
}

/** Starts a server; resolves once it listens. */
export async function startServer(opts: ServerOptions): Promise<GlideServer> {
  const log = opts.log ?? (() => {});
  const listen = opts.listen ?? "127.0.0.1";
  let token = opts.token;
  let tokenGenerated = false;
  if (!token && !isLoopbackHost(listen)) {
    token = generateToken();
    tokenGenerated = true;
  }
  const paths: ServerPaths = {
    ...opts.paths,
    workflows: opts.paths.workflows ?? path.join(packageRoot, "workflows"),
  };
  for (const dir of [paths.output, paths.input, paths.temp, paths.data]) await fs.mkdir(dir, { recursive: true });

  await installExampleInputs(paths.workflows, paths.input, log);
  const store = await PromptStore.open(paths.data, { warn: log });
  const registry = opts.registry ?? builtinRegistry();
  const executor: ServerExecutor = opts.executor ?? new Executor({ registry, paths });
  const guard: GuardConfig = { listen, token, allowedHosts: opts.allowedHosts };
  let worker: QueueWorker | undefined;
  const hub = new WsHub({
    guard,
    onConnect: (clientId) => {
      hub.send("status", { ...worker!.statusMessage(), sid: clientId }, clientId);
      // A client reconnecting mid-run learns which node is running.
      const running = worker!.runningPromptId();
      if (running) hub.send("execution_start", { prompt_id: running, timestamp: Date.now() }, clientId);
    },
  });
  worker = new QueueWorker(store, executor, hub, log);
  const version = (JSON.parse(readFileSync(path.join(packageRoot, "package.json"), "utf8")) as { version: string }).version;
  const limits: ServerLimits = { maxUploadBytes: 20 * 1024 * 1024, maxImageSide: 4096, ...opts.limits };
  const ctx: ServerContext = { registry, executor, store, worker, paths, limits, version, log };
  const app = createApp(ctx, guard, opts.webDir ?? path.join(packageRoot, "web"));

  const server = http.createServer(app);
  hub.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 8188, listen, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = listen.includes(":") ? `[${listen}]` : listen === "0.0.0.0" ? "127.0.0.1" : listen;
  worker.kick(); // prompts left pending by a previous run
  let closing: Promise<void> | null = null;
  return {
    url: `http://${hostForUrl === "[::]" ? "[::1]" : hostForUrl}:${port}`,
    listen,
    port,
    token,
    tokenGenerated,
    store,
    worker,
    executor,
    close: () =>
      (closing ??= (async () => {
        await worker!.stop();
        await store.flush();
        hub.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })()),
  };
}
