// `glide-studio serve`: starts, prints where it listens (and the token off loopback), answers, and
// stops cleanly on SIGTERM keeping its queue file.
import test from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { spawn, execFileSync } from "node:child_process";
import { promises as fs } from "node:fs";
import { fileURLToPath } from "node:url";
import { tempPaths, request } from "./helpers/server-fixtures.mjs";

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "dist", "cli", "main.js");

function serve(args, cwd) {
  const child = spawn(process.execPath, [cli, "serve", ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const ready = new Promise((resolve, reject) => {
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/serving the editor at (http:\/\/\S+?)\/\s/);
      if (m) resolve({ url: m[1], out: () => out });
    });
    child.stderr.on("data", (d) => (out += d));
    child.once("exit", (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
  });
  return { child, ready, exited: new Promise((r) => child.once("exit", (code) => r(code))) };
}

test("serve --help", () => {
  const help = execFileSync(process.execPath, [cli, "serve", "--help"], { encoding: "utf8" });
  assert.match(help, /--listen/);
  assert.match(help, /--token/);
  assert.match(help, /--port/);
});

test("serve: bad options exit with status 2 and say why", async () => {
  const { child, exited, ready } = serve(["--port", "nope"]);
  ready.catch(() => {}); // it never becomes ready
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  assert.equal(await exited, 2);
  assert.match(err, /--port must be a port number/);
});

test("serve: starts on a free port, answers, stops on SIGTERM", { timeout: 30000 }, async (t) => {
  const { root, paths } = await tempPaths("glide-serve-");
  const s = serve(["--port", "0", "--models-dir", paths.models, "--output-dir", paths.output, "--input-dir", paths.input, "--data-dir", paths.data], root);
  t.after(() => s.child.kill("SIGKILL"));
  const { url } = await s.ready;
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const r = await request(url, "/object_info");
  assert.equal(r.status, 200);
  assert.ok(r.json.Sample && r.json.LoadCheckpoint, "the built-in nodes are served");
  s.child.kill("SIGTERM");
  assert.equal(await s.exited, 0);
  const files = await fs.readdir(paths.data);
  assert.ok(files.includes("queue.json") || files.includes("history.json") || files.includes("temp"));
});

test("serve --listen (no address) binds every interface and requires a generated token", { timeout: 30000 }, async (t) => {
  const { root, paths } = await tempPaths("glide-serve-");
  const s = serve(["--listen", "--port", "0", "--data-dir", paths.data, "--models-dir", paths.models, "--output-dir", paths.output, "--input-dir", paths.input], root);
  t.after(() => s.child.kill("SIGKILL"));
  const { url, out } = await s.ready;
  await new Promise((r) => setTimeout(r, 100));
  const token = out().match(/access token \(generated\): (\S+)/)?.[1];
  assert.ok(token, out());
  assert.match(out(), new RegExp(`open: ${url}/\\?token=`));
  let r = await request(url, "/system_stats");
  assert.equal(r.status, 401);
  r = await request(url, "/system_stats", { headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200);
  s.child.kill("SIGTERM");
  assert.equal(await s.exited, 0);
});
