// Injected faults with the real nodes and the fixture checkpoints: the server process killed mid-run
// and restarted (queue and history intact, the running prompt recorded as failed, pending prompts run),
// a full disk and a read-only or impossible output folder (a clear error, nothing partially written,
// the server goes on), a model file that disappears between runs, an out-of-memory allocation in native
// code (a JS error; the process lives), and clients that disconnect mid-run or mid-upload.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { PNG } from "pngjs";
import { startServer, builtinRegistry, loadModel, readCheckpointIndex, readTensorBytes, sidecarPaths } from "glide-studio";
import { copyFixtureModels, makePng, multipart, openWs, request, tempPaths } from "./helpers/server-fixtures.mjs";

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const manifest = JSON.parse(fs.readFileSync(path.join(repo, "test/fixtures/glide/manifest.json"), "utf8"));

/** LoadCheckpoint(base) → TextEncode → Guidance → Sample → SaveImage. */
function basePrompt({ respacing = "4", seed = 1, prefix = "fault", ckpt = "base.pt" } = {}) {
  return {
    1: { class_type: "LoadCheckpoint", inputs: { ckpt_name: ckpt } },
    2: { class_type: "TextEncode", inputs: { model: ["1", 0], text: "a corgi" } },
    3: { class_type: "Guidance", inputs: { positive: ["2", 0], scale: 3 } },
    4: { class_type: "Sample", inputs: { model: ["1", 0], guidance: ["3", 0], respacing, sampler: "ddim", eta: 0, seed, batch_size: 1 } },
    5: { class_type: "SaveImage", inputs: { images: ["4", 0], filename_prefix: prefix } },
  };
}

async function queue(base, prompt, clientId = "faults") {
  const r = await request(base, "/prompt", { method: "POST", body: { prompt, client_id: clientId } });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json.prompt_id;
}

async function realServer(t, paths, extra = {}) {
  const server = await startServer({ port: 0, registry: builtinRegistry(), paths, ...extra });
  t.after(() => server.close().catch(() => {}));
  return server;
}

/** Every visible PNG under `dir` decodes; no temporary files are left. Returns the PNG names. */
function checkFolder(dir) {
  const all = fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).map(String) : [];
  assert.deepEqual(all.filter((n) => n.endsWith(".tmp")), [], `temporary files left in ${dir}`);
  const pngs = all.filter((n) => n.endsWith(".png"));
  for (const n of pngs) PNG.sync.read(fs.readFileSync(path.join(dir, n)));
  return pngs;
}

const errorOf = (entry) => entry.status.messages.find(([type]) => type === "execution_error")?.[1];

test("the server killed mid-run restarts with its queue and history; the running prompt is recorded as failed", { timeout: 240000 }, async (t) => {
  const { paths } = await tempPaths("glide-fault-kill-");
  await copyFixtureModels(paths.models);
  const script = `import { startServer, builtinRegistry } from "glide-studio";
    const s = await startServer({ port: 0, registry: builtinRegistry(), paths: JSON.parse(process.env.GLIDE_FAULT_PATHS) });
    console.log("URL " + s.url);`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: repo, env: { ...process.env, GLIDE_FAULT_PATHS: JSON.stringify(paths) }, stdio: ["ignore", "pipe", "inherit"] });
  t.after(() => child.kill("SIGKILL"));
  const base = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/URL (\S+)/);
      if (m) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
  const ws = await openWs(base, { clientId: "faults" });
  const first = await queue(base, basePrompt({ seed: 1 }));
  await ws.waitFor((m) => m.type === "executing" && m.data.node === null && m.data.prompt_id === first, 60000);
  const long = await queue(base, basePrompt({ respacing: "1000", seed: 2 }));
  await ws.waitFor((m) => m.type === "progress" && m.data.prompt_id === long && m.data.value >= 2, 60000);
  const after = [await queue(base, basePrompt({ seed: 3 })), await queue(base, basePrompt({ seed: 4 }))];
  await new Promise((r) => setTimeout(r, 300)); // the queue file is written asynchronously
  ws.close();
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
  const onDisk = JSON.parse(fs.readFileSync(path.join(paths.data, "queue.json"), "utf8"));
  assert.equal(onDisk.running.prompt_id, long);
  assert.deepEqual(onDisk.pending.map((p) => p.prompt_id), after);
  // A save cut short by the kill leaves a temporary file: the next start removes it.
  fs.writeFileSync(path.join(paths.data, ".history.json.4242.0123456789ab.tmp"), "{\"version\": 1, \"entr");

  const server = await realServer(t, paths);
  assert.deepEqual(fs.readdirSync(paths.data).filter((n) => n.endsWith(".tmp")), []);
  await server.worker.whenIdle();
  const h = server.store.history();
  assert.deepEqual(Object.keys(h), [first, long, ...after]);
  assert.equal(h[long].status.status_str, "error");
  assert.match(errorOf(h[long]).exception_message, /server stopped while this prompt was running/);
  for (const id of [first, ...after]) {
    assert.equal(h[id].status.status_str, "success", id);
    const [img] = h[id].outputs["5"].images;
    const png = PNG.sync.read(fs.readFileSync(path.join(paths.output, img.subfolder, img.filename)));
    assert.deepEqual([png.width, png.height], [32, 32]);
  }
  // The killed run left no partial output, and the three finished ones left one file each.
  assert.equal(checkFolder(paths.output).length, 3);
});

/** Mounts a `size` tmpfs at `dir` (read-only with `ro`); false where this process may not mount. */
function mountTmpfs(dir, size, ro = false) {
  if (process.getuid?.() !== 0) return false;
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size}${ro ? ",ro" : ""}`, "tmpfs", dir], { stdio: "ignore" });
  return r.status === 0;
}
const unmount = (dir) => spawnSync("umount", ["-l", dir], { stdio: "ignore" });

test("a full disk under the output folder: a clear error, nothing partially written, the next run succeeds", { timeout: 120000 }, async (t) => {
  const { paths } = await tempPaths("glide-fault-full-");
  await copyFixtureModels(paths.models);
  if (!mountTmpfs(paths.output, "64k")) {
    t.skip("cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN); the impossible-folder test covers failing writes");
    return;
  }
  t.after(() => unmount(paths.output));
  // Fill the disk, leaving less than a PNG needs.
  const filler = path.join(paths.output, "filler");
  try {
    fs.writeFileSync(filler, Buffer.alloc(64 * 1024));
  } catch (err) {
    assert.equal(err.code, "ENOSPC");
  }
  const server = await realServer(t, paths);
  const id = await queue(server.url, basePrompt({ seed: 5 }));
  await server.worker.whenIdle();
  const entry = server.store.historyEntry(id);
  assert.equal(entry.status.status_str, "error");
  const err = errorOf(entry);
  assert.equal(err.node_id, "5");
  assert.match(err.exception_message, /ENOSPC|no space/i);
  assert.deepEqual(checkFolder(paths.output), [], "no image, no temporary file");
  // Free the space: the same prompt now succeeds (only the failed node and what follows re-run).
  fs.rmSync(filler);
  const again = await queue(server.url, basePrompt({ seed: 5 }));
  await server.worker.whenIdle();
  assert.equal(server.store.historyEntry(again).status.status_str, "success");
  assert.equal(checkFolder(paths.output).length, 1);
});

test("a full disk under the data and input folders: uploads refused cleanly, queue saves warn and recover", { timeout: 120000 }, async (t) => {
  const { paths } = await tempPaths("glide-fault-data-");
  await copyFixtureModels(paths.models);
  if (!mountTmpfs(paths.input, "64k") || !mountTmpfs(paths.data, "64k")) {
    unmount(paths.input);
    t.skip("cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)");
    return;
  }
  t.after(() => {
    unmount(paths.input);
    unmount(paths.data);
  });
  const warnings = [];
  const server = await realServer(t, paths, { log: (l) => warnings.push(l) });
  const fill = (dir) => {
    try {
      fs.writeFileSync(path.join(dir, "filler"), Buffer.alloc(64 * 1024));
    } catch (err) {
      assert.equal(err.code, "ENOSPC");
    }
  };
  fill(paths.input);
  fill(paths.data);
  const r = await request(server.url, "/upload/image", { method: "POST", ...multipart({ type: "input" }, { name: "big.png", bytes: makePng(96, 96) }) });
  assert.equal(r.status, 507, r.body.toString());
  assert.match(r.json.error.message, /no space left|ENOSPC/i);
  assert.deepEqual(fs.readdirSync(paths.input), ["filler"], "nothing partial stored");
  // The queue and history cannot be saved: the prompt still runs, and the failure is reported.
  const id = await queue(server.url, basePrompt({ seed: 14 }));
  await server.worker.whenIdle();
  assert.equal(server.store.historyEntry(id).status.status_str, "success");
  await new Promise((res) => setTimeout(res, 200));
  assert.ok(warnings.some((w) => /could not save .*(queue|history)\.json.*(ENOSPC|no space)/i.test(w)), warnings.join("\n"));
  assert.deepEqual(fs.readdirSync(paths.data).filter((n) => n.endsWith(".tmp")), [], "no partial queue or history file");
  // Space again: the next change saves everything.
  fs.rmSync(path.join(paths.data, "filler"));
  const again = await queue(server.url, basePrompt({ seed: 15 }));
  await server.worker.whenIdle();
  await server.store.flush();
  const history = JSON.parse(fs.readFileSync(path.join(paths.data, "history.json"), "utf8"));
  assert.deepEqual(history.entries.map(([k]) => k), [id, again]);
});

test("a read-only or impossible output folder: a clear error naming the problem, the server goes on", { timeout: 120000 }, async (t) => {
  const { root, paths } = await tempPaths("glide-fault-ro-");
  await copyFixtureModels(paths.models);
  // As root, permissions do not stop writes: a folder whose parent is a file fails for everyone.
  const file = path.join(root, "not-a-folder");
  fs.writeFileSync(file, "x");
  await assert.rejects(startServer({ port: 0, registry: builtinRegistry(), paths: { ...paths, output: path.join(file, "output") } }), /ENOTDIR: not a directory, mkdir '.*not-a-folder\/output'/);
  const server = await realServer(t, paths);
  fs.writeFileSync(path.join(paths.output, "blocked"), "x");
  const id = await queue(server.url, basePrompt({ seed: 6, prefix: "blocked/fault" }));
  await server.worker.whenIdle();
  const err = errorOf(server.store.historyEntry(id));
  assert.equal(err.node_id, "5");
  assert.match(err.exception_message, /ENOTDIR|not a directory|EEXIST/i);
  assert.match(err.exception_message, /blocked/);
  assert.equal(fs.readFileSync(path.join(paths.output, "blocked"), "utf8"), "x");
  // A read-only file system under the output folder (where this process may mount one).
  if (mountTmpfs(paths.output, "1m", true)) {
    t.after(() => unmount(paths.output));
    const id2 = await queue(server.url, basePrompt({ seed: 6 }));
    await server.worker.whenIdle();
    assert.match(errorOf(server.store.historyEntry(id2)).exception_message, /EROFS|read-only/i);
    unmount(paths.output);
  } else {
    console.log("read-only mount not available here: only the impossible folder was tried");
  }
  const ok = await queue(server.url, basePrompt({ seed: 6 }));
  await server.worker.whenIdle();
  assert.equal(server.store.historyEntry(ok).status.status_str, "success");
  assert.equal(checkFolder(paths.output).length, 1);
});

test("a model file that disappears: refused at queue time, or a clear error when it goes while queued", { timeout: 120000 }, async (t) => {
  const { paths } = await tempPaths("glide-fault-model-");
  await copyFixtureModels(paths.models);
  const server = await realServer(t, paths);
  const base = server.url;
  const ok = await queue(base, basePrompt({ seed: 7 }));
  await server.worker.whenIdle();
  assert.equal(server.store.historyEntry(ok).status.status_str, "success");
  const ckpt = path.join(paths.models, "base.pt");
  const kept = path.join(paths.models, "..", "base.pt.away");
  fs.renameSync(ckpt, kept);
  let r = await request(base, "/prompt", { method: "POST", body: { prompt: basePrompt({ seed: 8 }) } });
  assert.equal(r.status, 400);
  assert.equal(r.json.node_errors["1"].errors[0].type, "missing_model_file");
  assert.match(r.json.node_errors["1"].errors[0].message, new RegExp(`base\\.pt" not found in ${paths.models.replace(/[/\\]/g, ".")}`));
  fs.renameSync(kept, ckpt);
  // Gone while queued behind a running prompt.
  const ws = await openWs(base, { clientId: "faults" });
  t.after(() => ws.close());
  const running = await queue(base, basePrompt({ respacing: "60", seed: 9 }));
  await ws.waitFor((m) => m.type === "progress" && m.data.prompt_id === running, 60000);
  const doomed = await queue(base, basePrompt({ seed: 10, ckpt: "base_inpaint.pt" }));
  fs.rmSync(path.join(paths.models, "base_inpaint.pt"));
  await server.worker.whenIdle();
  assert.equal(server.store.historyEntry(running).status.status_str, "success");
  const entry = server.store.historyEntry(doomed);
  assert.equal(entry.status.status_str, "error");
  assert.match(errorOf(entry).message, /base_inpaint\.pt" not found in/);
  // The server goes on: the model that is still there runs.
  const next = await queue(base, basePrompt({ seed: 11 }));
  await server.worker.whenIdle();
  assert.equal(server.store.historyEntry(next).status.status_str, "success");
});

/**
 * A safetensors copy of base.pt whose token embedding declares 2^36 × 8 half floats (1 TiB, in a sparse
 * file): it passes every check of the reader, and the native loader's float32 allocation (2 TiB) fails.
 */
async function hugeTokenEmbedding(file) {
  const index = await readCheckpointIndex(path.join(repo, "test/fixtures/glide/checkpoints/base.pt"));
  const header = {};
  const parts = [];
  let at = 0;
  for (const e of index.tensors.values()) {
    if (e.name === "token_embedding.weight") continue;
    const bytes = await readTensorBytes(index, e.name);
    header[e.name] = { dtype: { float32: "F32", float16: "F16", bfloat16: "BF16" }[e.dtype], shape: e.shape, data_offsets: [at, at + bytes.length] };
    parts.push(bytes);
    at += bytes.length;
  }
  const huge = 2 ** 36 * 8 * 2;
  header["token_embedding.weight"] = { dtype: "F16", shape: [2 ** 36, 8], data_offsets: [at, at + huge] };
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  fs.writeFileSync(file, Buffer.concat([len, json, ...parts]));
  fs.truncateSync(file, 8 + json.length + at + huge);
  fs.writeFileSync(sidecarPaths(file)[0], JSON.stringify(manifest.configs.base));
}

test("an out-of-memory allocation in native code is a JS error; the process and the server live on", { timeout: 120000 }, async (t) => {
  const mode = fs.existsSync("/proc/sys/vm/overcommit_memory") ? fs.readFileSync("/proc/sys/vm/overcommit_memory", "utf8").trim() : "unknown";
  if (mode === "1") {
    t.skip("vm.overcommit_memory=1: a 2 TiB allocation would succeed and be touched; nothing to observe safely");
    return;
  }
  const { paths } = await tempPaths("glide-fault-oom-");
  await copyFixtureModels(paths.models);
  const file = path.join(paths.models, "huge_vocab.safetensors");
  try {
    await hugeTokenEmbedding(file);
  } catch (err) {
    t.skip(`this filesystem cannot hold a 1 TiB sparse file (${err.code ?? err.message})`);
    return;
  }
  const rss0 = process.memoryUsage().rss;
  await assert.rejects(loadModel(file), (err) => {
    assert.match(err.message, /out of memory/i);
    assert.match(err.message, /token_embedding|68719476736|bytes/);
    return true;
  });
  assert.ok(process.memoryUsage().rss - rss0 < 512 * 2 ** 20, "nothing huge was committed");
  // The process lives: a normal model loads and runs.
  const model = await loadModel(path.join(paths.models, "base.pt"));
  model.dispose();
  // Through the server: the prompt fails with the message, the next one succeeds.
  const server = await realServer(t, paths);
  const bad = await queue(server.url, basePrompt({ ckpt: "huge_vocab.safetensors" }));
  const good = await queue(server.url, basePrompt({ seed: 12 }));
  await server.worker.whenIdle();
  assert.match(errorOf(server.store.historyEntry(bad)).exception_message, /out of memory/i);
  assert.equal(server.store.historyEntry(good).status.status_str, "success");
});

test("clients that disconnect mid-run or mid-upload: the run finishes, nothing partial is stored, others are served", { timeout: 120000 }, async (t) => {
  const { paths } = await tempPaths("glide-fault-client-");
  await copyFixtureModels(paths.models);
  const server = await realServer(t, paths);
  const base = server.url;
  const watcher = await openWs(base, { clientId: "watcher" });
  t.after(() => watcher.close());
  const leaver = await openWs(base, { clientId: "leaver" });
  const id = await queue(base, basePrompt({ respacing: "40", seed: 13 }), "leaver");
  await leaver.waitFor((m) => m.type === "progress" && m.data.prompt_id === id, 60000);
  leaver.ws.terminate(); // no close handshake: the socket just goes away

  // An upload cut off halfway through its body.
  const png = makePng(64, 64);
  const form = multipart({ type: "input" }, { name: "cut.png", bytes: png });
  const u = new URL(base);
  await new Promise((resolve) => {
    const sock = net.connect(Number(u.port), u.hostname, () => {
      sock.write(`POST /upload/image HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: ${form.headers["content-type"]}\r\nContent-Length: ${form.body.length}\r\n\r\n`);
      sock.write(form.body.subarray(0, form.body.length >> 1), () => setTimeout(() => sock.destroy(), 50));
    });
    sock.on("close", resolve);
    sock.on("error", () => {});
  });

  await server.worker.whenIdle();
  assert.equal(server.store.historyEntry(id).status.status_str, "success");
  assert.equal(checkFolder(paths.output).length, 1);
  assert.deepEqual(checkFolder(paths.input).filter((n) => n.includes("cut")), [], "the cut-off upload stored nothing");
  // The watcher was told about the queue throughout, and new clients and requests are served.
  assert.ok(watcher.messages.some((m) => m.type === "status" && m.data.status.exec_info.queue_remaining === 0));
  const late = await openWs(base, { clientId: "late" });
  await late.waitFor((m) => m.type === "status");
  late.close();
  const r = await request(base, "/upload/image", { method: "POST", ...multipart({ type: "input" }, { name: "whole.png", bytes: png }) });
  assert.equal(r.status, 200);
  assert.equal(os.platform() === "linux" ? checkFolder(paths.input).filter((n) => n.includes("whole")).length : 1, 1);
});
