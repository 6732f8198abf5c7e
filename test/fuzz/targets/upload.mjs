// Fuzz target: POST /upload/image on a server started on 127.0.0.1 (in the worker process, so a crash of
// the server is a crash of the case) with mutated PNG and JPEG bodies, odd file names, folders and flags.
// Every answer must be 200 — and then /view serves a PNG that decodes, within the size limit — or a
// 400/413/415 with a JSON error message; never a 500, a reset connection or a hang.
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { PNG } from "pngjs";
import { decodeBound, jpegSeeds, mutateImage, pngSeeds } from "./image-seeds.mjs";

export const limits = { caseMs: 8000, alloc: decodeBound(64 * 2 ** 20), rss: decodeBound(384 * 2 ** 20) };
const MAX_SIDE = 4096;

export async function seeds() {
  return [...pngSeeds(), ...jpegSeeds()];
}

const NAMES = ["a.png", "b.jpg", "../../escape.png", "..", "", "x\".png", "dir/inner.png", "UPPER.PNG", "\u00e9t\u00e9.png", "a".repeat(300), "nul\u0000.png"];

export function mutate(rng, seeds) {
  return {
    input: mutateImage(rng, seeds),
    meta: {
      name: rng.pick(NAMES),
      type: rng.chance(0.9) ? "input" : rng.pick(["temp", "output", "../x", ""]),
      subfolder: rng.chance(0.8) ? "" : rng.pick(["sub", "../..", "a/b", "/etc"]),
      overwrite: rng.chance(0.8) ? "true" : "false",
      contentType: rng.pick(["image/png", "image/jpeg", "application/octet-stream", "text/html"]),
    },
  };
}

let server;
let paths;
/** Worker side: a server with the test node types, on a free port. */
export async function setup(ctx) {
  const { startServer, NodeRegistry } = await import("glide-studio");
  paths = Object.fromEntries(["models", "input", "output", "temp", "data", "workflows"].map((k) => [k, path.join(ctx.tmp, k)]));
  server = await startServer({ port: 0, registry: new NodeRegistry([]), paths, limits: { maxImageSide: MAX_SIDE } });
}

export async function teardown() {
  await server?.close();
}

function post(body, headers) {
  const u = new URL("/upload/image", server.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: "POST", headers: { ...headers, "content-length": body.length } }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

function get(pathname) {
  return new Promise((resolve, reject) => {
    http.get(new URL(pathname, server.url), (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
    }).on("error", reject);
  });
}

let cases = 0;
export async function run(input, meta) {
  // Keep the folders small over a long run.
  if (++cases % 200 === 0) for (const k of ["input", "temp"]) fs.rmSync(paths[k], { recursive: true, force: true }), fs.mkdirSync(paths[k]);
  const boundary = `----fuzz${cases}`;
  const field = (k, v) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`;
  const body = Buffer.concat([
    Buffer.from(field("type", meta.type ?? "input") + field("subfolder", meta.subfolder ?? "") + field("overwrite", meta.overwrite ?? "true")),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="${meta.name ?? "a.png"}"\r\nContent-Type: ${meta.contentType ?? "image/png"}\r\n\r\n`, "latin1"),
    input,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  let res;
  try {
    res = await post(body, { "content-type": `multipart/form-data; boundary=${boundary}` });
  } catch (error) {
    return { outcome: "error", stage: "connection", error, problem: `the connection failed: ${error.message}` };
  }
  let json;
  try {
    json = JSON.parse(res.body.toString("utf8"));
  } catch {
    return { outcome: "error", stage: "answer", error: new Error(`status ${res.status}`), problem: `status ${res.status} with a non-JSON body: ${res.body.toString("utf8").slice(0, 200)}` };
  }
  if (res.status !== 200) {
    const message = json?.error?.message;
    const problem = ![400, 413, 415].includes(res.status) ? `status ${res.status}: ${message}` : typeof message !== "string" ? `status ${res.status} without an error message` : undefined;
    return { outcome: "error", stage: `http ${res.status}`, error: new Error(String(message)), problem };
  }
  const view = await get(`/view?filename=${encodeURIComponent(json.name)}&subfolder=${encodeURIComponent(json.subfolder)}&type=${encodeURIComponent(json.type)}`);
  if (view.status !== 200) return { outcome: "ok", stage: "stored", problem: `stored ${JSON.stringify(json)} but /view answers ${view.status}` };
  try {
    const png = PNG.sync.read(view.body);
    if (png.width > MAX_SIDE || png.height > MAX_SIDE || png.width < 1 || png.height < 1) return { outcome: "ok", stage: "stored", problem: `stored a ${png.width}x${png.height} picture` };
  } catch (err) {
    return { outcome: "ok", stage: "stored", problem: `the stored file is not a PNG: ${err.message}` };
  }
  return { outcome: "ok", stage: "stored" };
}

export function check(result) {
  return result.problem ?? null;
}
