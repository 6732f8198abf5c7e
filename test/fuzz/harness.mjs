// The fuzz loop: mutates a target's seed inputs with a seeded RNG, runs each case in a worker process
// (test/fuzz/child.mjs) under a watchdog, and collects every case that broke a property (a hang past
// the bound, a crash of the process, an unclear error, an oversized allocation, code execution). Failing
// inputs are written to a crash folder with a JSON note, to be kept in test/fuzz/regressions/ once fixed.
import { fork } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Rng } from "./rng.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
/** Names of the fuzz targets (files in test/fuzz/targets/). */
export const TARGETS = ["checkpoint-zip", "safetensors", "workflow-json", "workflow-png", "image-decode", "upload"];
/** Where the kept failing inputs live, one folder per target. */
export const REGRESSIONS = path.join(here, "regressions");

/** A worker process for one target, restarted after a hang or a crash. */
class Worker {
  constructor(target, ctx) {
    this.target = target;
    this.ctx = ctx;
    this.proc = null;
    this.next = 1;
  }

  async start() {
    const proc = fork(path.join(here, "child.mjs"), [], {
      execArgv: ["--expose-gc", "--max-old-space-size=4096"],
      serialization: "advanced",
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    this.stderr = "";
    proc.stderr.on("data", (d) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    this.proc = proc;
    const ready = await this.request({ type: "init", target: this.target, ctx: this.ctx }, "ready", 60000);
    if (ready.problem) throw new Error(`fuzz worker for ${this.target} did not start: ${ready.problem}`);
    this.startRss = ready.rss;
  }

  /** Sends `msg` and waits for a message of `type`; a timeout or an exit comes back as `{problem}`. */
  request(msg, type, timeoutMs) {
    const proc = this.proc;
    return new Promise((resolve) => {
      let done = false;
      const finish = (v) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        proc.off("message", onMessage);
        proc.off("exit", onExit);
        resolve(v);
      };
      const onMessage = (m) => {
        if (m.type === type && (m.id === undefined || m.id === msg.id)) finish(m);
      };
      const onExit = (code, signal) => {
        this.proc = null;
        finish({ problem: `crash: the process exited (${signal ?? `code ${code}`})${this.stderr ? `: ${this.stderr.trim().split("\n").slice(-3).join(" / ")}` : ""}` });
      };
      const timer = setTimeout(() => {
        proc.kill("SIGKILL");
        finish({ problem: `hang: no answer within ${timeoutMs} ms`, hang: true });
      }, timeoutMs);
      proc.on("message", onMessage);
      proc.on("exit", onExit);
      proc.send(msg);
    });
  }

  /** Runs one case; restarts the process after a hang or a crash. */
  async run(input, meta, timeoutMs) {
    if (!this.proc) await this.start();
    const id = this.next++;
    const r = await this.request({ type: "case", id, input, meta }, "result", timeoutMs);
    if (r.problem && r.outcome === undefined) {
      if (this.proc) this.proc.kill("SIGKILL");
      this.proc = null;
    }
    return r;
  }

  async stats() {
    if (!this.proc) return { rss: NaN };
    return this.request({ type: "stats" }, "stats", 30000);
  }

  async stop() {
    if (!this.proc) return;
    const proc = this.proc;
    this.proc = null;
    const exited = new Promise((resolve) => proc.once("exit", resolve));
    proc.send({ type: "exit" });
    const t = setTimeout(() => proc.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(t);
  }
}

/** A short stable signature of a problem (numbers and paths blurred) to group failures. */
function signature(problem) {
  return problem.replace(/\/[^\s)"']+/g, "<path>").replace(/\d+/g, "N").slice(0, 160);
}

async function loadTarget(name) {
  const target = await import(`./targets/${name}.mjs`);
  const tmp = fs.mkdtempSync(path.join(fs.existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), `glide-fuzz-${name}-`));
  const ctx = { tmp, sentinel: path.join(tmp, "SENTINEL-pickle-executed") };
  return { target, ctx };
}

/**
 * Fuzzes one target for `seconds` (and at most `iterations` cases) from `seed`. Returns a summary:
 * {target, seed, cases, seconds, ok, errors, failures: [{problem, file?, bytes}], maxAlloc, peakCaseRss,
 * slowestMs, rssStart, rssEnd, stages (cases per furthest stage reached), forbidden (pickles calling a
 * forbidden callable, each of which had to be refused)}. Failing inputs go to `crashDir` (when given).
 */
export async function fuzzTarget(name, { seconds = 3, iterations = Infinity, seed = 1, crashDir, log = () => {} } = {}) {
  const { target, ctx } = await loadTarget(name);
  const seeds = await target.seeds(ctx);
  const rng = new Rng(seed);
  const worker = new Worker(name, ctx);
  const summary = { target: name, seed, cases: 0, seconds: 0, ok: 0, errors: 0, failures: [], maxAlloc: 0, peakCaseRss: 0, slowestMs: 0, rssStart: 0, rssEnd: 0, stages: {}, forbidden: 0 };
  const bySig = new Map();
  const t0 = performance.now();
  try {
    await worker.start();
    summary.rssStart = worker.startRss;
    // The seeds first: each must load cleanly.
    const queue = seeds.map((s) => ({ input: s.bytes, meta: { seed: s.label, ...(s.meta ?? {}) } }));
    while (summary.cases < iterations && (queue.length > 0 || performance.now() - t0 < seconds * 1000)) {
      const { input, meta } = queue.shift() ?? target.mutate(rng, seeds, ctx);
      meta.sentinel ??= ctx.sentinel;
      const r = await worker.run(input, meta, target.limits.caseMs);
      summary.cases++;
      if (r.outcome === "ok") summary.ok++;
      else if (r.outcome === "error") summary.errors++;
      if (r.stage) summary.stages[r.stage] = (summary.stages[r.stage] ?? 0) + 1;
      if (meta.forbidden) summary.forbidden++;
      if (meta.seed && r.outcome !== "ok" && !r.problem && !target.seedsMayFail) {
        r.problem = `seed ${meta.seed} did not load: ${r.error?.message}`;
      }
      summary.maxAlloc = Math.max(summary.maxAlloc, r.alloc ?? 0);
      summary.peakCaseRss = Math.max(summary.peakCaseRss, r.rssGrowth ?? 0);
      summary.slowestMs = Math.max(summary.slowestMs, r.ms ?? (r.hang ? target.limits.caseMs : 0));
      if (r.problem) {
        const sig = signature(r.problem);
        const seen = bySig.get(sig) ?? 0;
        bySig.set(sig, seen + 1);
        if (seen < 3) {
          const failure = { problem: r.problem, bytes: input.length, meta };
          if (crashDir) failure.file = saveCrasher(crashDir, name, input, { problem: r.problem, meta, seed, case: summary.cases });
          summary.failures.push(failure);
          log(`  ${name}: ${r.problem.slice(0, 300)}${failure.file ? ` → ${failure.file}` : ""}`);
        }
      }
    }
    summary.rssEnd = (await worker.stats()).rss;
  } finally {
    summary.seconds = (performance.now() - t0) / 1000;
    await worker.stop();
    fs.rmSync(ctx.tmp, { recursive: true, force: true });
  }
  summary.distinctProblems = bySig.size;
  summary.failureCount = [...bySig.values()].reduce((a, b) => a + b, 0);
  return summary;
}

/** Writes a failing input (and a note on why) to `dir`; returns the input's path. */
export function saveCrasher(dir, target, input, note) {
  fs.mkdirSync(path.join(dir, target), { recursive: true });
  const hash = createHash("sha256").update(input).digest("hex").slice(0, 12);
  const file = path.join(dir, target, `${hash}.bin`);
  fs.writeFileSync(file, input);
  fs.writeFileSync(`${file.slice(0, -4)}.json`, `${JSON.stringify(note, null, 1)}\n`);
  return file;
}

/**
 * The kept regression inputs of a target: [{file, input, meta, expect}] — `meta` and `expect` (the outcome
 * the input must now have: "ok" or "error") from the `.json` note next to it.
 */
export function regressionInputs(name) {
  const dir = path.join(REGRESSIONS, name);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".bin"))
    .sort()
    .map((f) => {
      const note = path.join(dir, `${f.slice(0, -4)}.json`);
      const { meta = {}, expect } = fs.existsSync(note) ? JSON.parse(fs.readFileSync(note, "utf8")) : {};
      return { file: path.join(dir, f), input: fs.readFileSync(path.join(dir, f)), meta, expect };
    });
}

/** Replays `cases` ([{input, meta, file?}]) through a target: [{file, outcome, error, problem, ms}]. */
export async function replay(name, cases) {
  const { target, ctx } = await loadTarget(name);
  const worker = new Worker(name, ctx);
  const out = [];
  try {
    for (const c of cases) {
      const meta = { ...c.meta, sentinel: ctx.sentinel };
      const r = await worker.run(c.input, meta, target.limits.caseMs);
      out.push({ file: c.file, outcome: r.outcome, error: r.error, problem: r.problem, ms: r.ms, alloc: r.alloc, rssGrowth: r.rssGrowth });
    }
  } finally {
    await worker.stop();
    fs.rmSync(ctx.tmp, { recursive: true, force: true });
  }
  return out;
}
