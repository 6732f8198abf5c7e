// Helpers for the server tests: a registry of small fake nodes (no models needed), temporary
// folders, a server started on a free port, a raw HTTP client (to send any Host/Origin header) and
// a WebSocket recorder.
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { promises as fs, rmSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { PNG } from "pngjs";
import WebSocket from "ws";
import { startServer, NodeRegistry } from "glide-studio";

/** A tiny valid PNG (w×h, RGBA). */
export function makePng(w, h, fill = [200, 100, 50, 255]) {
  const png = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) png.data.set(fill, i * 4);
  return PNG.sync.write(png);
}

/**
 * Fake node types: TestCount (a "sampler" with steps, delay, seed, progress + previews, honours
 * interrupts), TestSave (an output node writing a PNG), TestFail (always throws).
 */
export function testRegistry() {
  const count = {
    name: "TestCount",
    display_name: "Test count",
    description: "Counts steps, reporting progress with previews (a stand-in for a sampler).",
    category: "test",
    input: {
      required: {
        steps: ["INT", { default: 3, min: 1, max: 10000, tooltip: "how many steps" }],
        delay_ms: ["INT", { default: 0, min: 0, max: 10000 }],
        seed: ["INT", { default: 0, min: 0, max: 4294967295, control_after_generate: true }],
      },
    },
    output: ["IMAGE"],
    async execute(inputs, ctx) {
      const rgb = new Uint8Array(8 * 8 * 3).fill(inputs.seed % 256);
      for (let i = 1; i <= inputs.steps; i++) {
        if (ctx.signal.aborted) throw new Error("interrupted");
        if (inputs.delay_ms) await sleep(inputs.delay_ms);
        ctx.progress(i, inputs.steps, { width: 8, height: 8, rgb });
      }
      return { result: [{ seed: inputs.seed, steps: inputs.steps }] };
    },
  };
  const save = {
    name: "TestSave",
    display_name: "Test save",
    description: "Writes a small PNG to the output folder.",
    category: "test",
    output_node: true,
    input: { required: { image: ["IMAGE"], filename_prefix: ["STRING", { default: "test" }] } },
    output: [],
    async execute(inputs, ctx) {
      const filename = `${inputs.filename_prefix}_${inputs.image.seed}_${Date.now()}.png`;
      await fs.writeFile(path.join(ctx.paths.output, filename), makePng(4, 4));
      return { ui: { images: [{ filename, subfolder: "", type: "output" }] } };
    },
  };
  const fail = {
    name: "TestFail",
    display_name: "Test fail",
    description: "Always fails.",
    category: "test",
    input: { required: { image: ["IMAGE"] } },
    output: ["IMAGE"],
    execute() {
      throw new Error("TestFail always fails");
    },
  };
  return new NodeRegistry([count, save, fail]);
}

/** An API prompt: TestCount → TestSave. */
export function countPrompt({ steps = 3, delay = 0, seed = 1, prefix = "test" } = {}) {
  return {
    1: { class_type: "TestCount", inputs: { steps, delay_ms: delay, seed } },
    2: { class_type: "TestSave", inputs: { image: ["1", 0], filename_prefix: prefix } },
  };
}

const createdRoots = [];
// Temporary folders go when the test process ends (servers are closed by then).
process.on("exit", () => {
  for (const root of createdRoots) rmSync(root, { recursive: true, force: true });
});

/** Fresh temporary folders for one server (removed when the process exits). */
export async function tempPaths(prefix = "glide-server-") {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  createdRoots.push(root);
  const paths = {
    models: path.join(root, "models"),
    output: path.join(root, "output"),
    input: path.join(root, "input"),
    temp: path.join(root, "temp"),
    data: path.join(root, "data"),
    workflows: path.join(root, "workflows"),
  };
  for (const p of Object.values(paths)) await fs.mkdir(p, { recursive: true });
  return { root, paths };
}

/** Starts a server on a free port with the fake registry (unless `registry` is given). */
export async function startTestServer(opts = {}) {
  const { root, paths } = opts.paths ? { root: undefined, paths: opts.paths } : await tempPaths();
  const server = await startServer({ port: 0, registry: opts.registry ?? testRegistry(), ...opts, paths });
  return { server, paths, root, base: server.url };
}

/** A raw HTTP request (any headers allowed, including Host). Resolves {status, headers, body, json}. */
export function request(base, pathname, { method = "GET", headers = {}, body } = {}) {
  const u = new URL(pathname, base);
  return new Promise((resolve, reject) => {
    let payload = body;
    const h = { ...headers };
    if (payload !== undefined && !Buffer.isBuffer(payload) && typeof payload !== "string") {
      payload = JSON.stringify(payload);
      h["content-type"] ??= "application/json";
    }
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: h }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const buf = Buffer.concat(chunks);
        let json;
        try {
          json = JSON.parse(buf.toString("utf8"));
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, headers: res.headers, body: buf, json });
      });
    });
    req.on("error", reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** A multipart/form-data body: `fields` strings and one `file` {name, field, bytes, type}. */
export function multipart(fields, file) {
  const boundary = `----glide${Math.random().toString(16).slice(2)}`;
  const parts = [];
  for (const [k, v] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  }
  if (file) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${file.field ?? "image"}"; filename="${file.name}"\r\nContent-Type: ${file.type ?? "image/png"}\r\n\r\n`,
      ),
    );
    parts.push(file.bytes, Buffer.from("\r\n"));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), headers: { "content-type": `multipart/form-data; boundary=${boundary}` } };
}

/** Opens `/ws` and records every message; `waitFor(pred)` resolves with the first matching one. */
export async function openWs(base, { clientId = "test-client", headers = {}, query = "" } = {}) {
  const url = `${base.replace(/^http/, "ws")}/ws?clientId=${clientId}${query}`;
  const ws = new WebSocket(url, { headers });
  const messages = [];
  const waiters = [];
  ws.on("message", (data, isBinary) => {
    const m = isBinary ? { type: "binary", data: Buffer.from(data) } : JSON.parse(data.toString("utf8"));
    messages.push(m);
    for (const w of [...waiters]) {
      if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
    ws.once("unexpected-response", (_req, res) => reject(new Error(`ws refused: ${res.statusCode}`)));
  });
  return {
    ws,
    messages,
    waitFor(pred, timeoutMs = 20000) {
      const found = messages.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve };
        waiters.push(w);
        setTimeout(() => {
          if (waiters.includes(w)) reject(new Error(`timed out waiting for a ws message; got ${JSON.stringify(messages.filter((m) => m.type !== "binary").map((m) => m.type))}`));
        }, timeoutMs).unref();
      });
    },
    close() {
      ws.terminate();
    },
  };
}

/**
 * Copies the fixture checkpoints into `dir` with their sidecar configs (`<stem>.json`, from the
 * fixture manifest), so LoadCheckpoint finds them as it would find real models.
 */
export async function copyFixtureModels(dir) {
  const src = new URL("../fixtures/glide/checkpoints/", import.meta.url);
  const manifest = JSON.parse(await fs.readFile(new URL("../fixtures/glide/manifest.json", import.meta.url), "utf8"));
  await fs.mkdir(dir, { recursive: true });
  const names = [];
  for (const stem of ["base", "upsample", "base_inpaint", "upsample_inpaint"]) {
    await fs.copyFile(new URL(`${stem}.pt`, src), path.join(dir, `${stem}.pt`));
    await fs.writeFile(path.join(dir, `${stem}.json`), JSON.stringify(manifest.configs[stem], null, 1));
    names.push(`${stem}.pt`);
  }
  return names;
}
