// Server API tests with fake nodes (no models): every route, the WebSocket event sequence of a run,
// a cached re-run, validation and runtime errors, queue management and an interrupt mid-run, and
// a restart with a non-empty queue and history (the server process is killed mid-run).
import test from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import { fileURLToPath } from "node:url";
import { listFolderFiles } from "glide-studio";
import { startTestServer, tempPaths, countPrompt, request, openWs } from "./helpers/server-fixtures.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const CLIENT = "client-a";

async function queue(base, prompt, extra = {}) {
  const r = await request(base, "/prompt", { method: "POST", body: { prompt, client_id: CLIENT, ...extra } });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json;
}

const done = (id) => (m) => m.type === "executing" && m.data.node === null && m.data.prompt_id === id;
const ofPrompt = (ws, id) => ws.messages.filter((m) => m.type !== "binary" && m.data?.prompt_id === id);

test("information routes: object_info, system_stats, models, workflows, editor files", async (t) => {
  const { server, base, paths } = await startTestServer();
  t.after(() => server.close());
  await fs.writeFile(path.join(paths.models, "base.pt"), "x");
  await fs.writeFile(path.join(paths.models, "base.pt.json"), "{}");
  await fs.writeFile(path.join(paths.models, "notes.txt"), "not a model");
  await fs.writeFile(path.join(paths.workflows, "demo.json"), JSON.stringify({ format: "glide-studio/editor", format_version: 1, nodes: [], links: [] }));
  await fs.writeFile(path.join(paths.workflows, "README.md"), "not listed");

  let r = await request(base, "/object_info");
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(r.json).sort(), ["TestCount", "TestFail", "TestSave"]);
  const count = r.json.TestCount;
  assert.deepEqual(count.input.required.steps, ["INT", { default: 3, min: 1, max: 10000, tooltip: "how many steps" }]);
  assert.equal(count.input.required.seed[1].control_after_generate, true);
  assert.deepEqual(count.output, ["IMAGE"]);
  assert.equal(r.json.TestSave.output_node, true);
  assert.equal(count.category, "test");

  r = await request(base, "/object_info/TestSave");
  assert.deepEqual(Object.keys(r.json), ["TestSave"]);
  r = await request(base, "/object_info/NoSuchNode");
  assert.equal(r.status, 404);
  assert.match(r.json.error.message, /NoSuchNode/);

  r = await request(base, "/system_stats");
  assert.equal(r.status, 200);
  assert.equal(r.json.system.node_version, process.version);
  assert.ok(r.json.system.ram_total > 0);
  assert.equal(r.json.devices[0].type, "cpu");

  r = await request(base, "/models");
  const bundled = listFolderFiles(path.join(here, "..", "models"), [".pt", ".safetensors"]);
  assert.deepEqual(r.json.checkpoints.map((c) => c.name), ["base.pt", ...bundled].sort(), "the models folder's, then the bundled demo models");
  assert.equal(r.json.checkpoints[0].bytes, 1);
  r = await request(base, "/models/checkpoints");
  assert.deepEqual(r.json, ["base.pt", ...bundled].sort());
  r = await request(base, "/models/loras");
  assert.equal(r.status, 404);

  await fs.mkdir(path.join(paths.workflows, "more"));
  await fs.writeFile(path.join(paths.workflows, "more", "nested.json"), JSON.stringify({ format: "glide-studio/editor", format_version: 1, nodes: [], links: [] }));
  r = await request(base, "/workflows");
  assert.deepEqual(r.json, ["demo.json", "more/nested.json"], "the folder's workflows, then one sub-folder level");
  r = await request(base, "/workflows/demo.json");
  assert.equal(r.json.format, "glide-studio/editor");
  r = await request(base, `/workflows/${encodeURIComponent("more/nested.json")}`);
  assert.equal(r.json.format, "glide-studio/editor");
  for (const bad of ["..%2Fdata%2Fqueue.json", "more%2F..%2F..%2Fdata%2Fqueue.json", "a%2Fb%2Fc.json", "README.md", "missing.json", "%2Fetc%2Fpasswd"]) {
    r = await request(base, `/workflows/${bad}`);
    assert.ok([400, 404].includes(r.status), `${bad}: ${r.status}`);
  }

  r = await request(base, "/");
  assert.equal(r.status, 200);
  assert.match(r.body.toString(), /litegraph\.core\.js/);
  assert.match(String(r.headers["content-security-policy"]), /frame-ancestors 'none'/);
  r = await request(base, "/lib/litegraph/litegraph.core.js");
  assert.equal(r.status, 200);
  assert.match(r.body.toString().slice(0, 5000), /LiteGraph/);
  r = await request(base, "/lib/litegraph/css/litegraph.css");
  assert.equal(r.status, 200);
  r = await request(base, "/js/main.js");
  assert.equal(r.status, 200);
  r = await request(base, "/no/such/route");
  assert.equal(r.status, 404);
  assert.equal(r.json.error.type, "not_found");
  // The same API answers under /api/ as well.
  r = await request(base, "/api/object_info/TestFail");
  assert.deepEqual(Object.keys(r.json), ["TestFail"]);
});

test("a run: ws event sequence, previews, history, /view; then a cached re-run", async (t) => {
  const { server, base } = await startTestServer();
  t.after(() => server.close());
  const ws = await openWs(base, { clientId: CLIENT });
  t.after(() => ws.close());
  const greeting = await ws.waitFor((m) => m.type === "status");
  assert.equal(greeting.data.sid, CLIENT);
  assert.equal(greeting.data.status.exec_info.queue_remaining, 0);

  const res = await queue(base, countPrompt({ steps: 4, seed: 7 }));
  assert.equal(typeof res.prompt_id, "string");
  assert.equal(res.number, 1);
  assert.deepEqual(res.node_errors, {});
  await ws.waitFor(done(res.prompt_id));

  const seq = ofPrompt(ws, res.prompt_id).map((m) => (m.type === "executing" || m.type === "executed" ? `${m.type}:${m.data.node}` : m.type === "progress" ? `progress:${m.data.value}/${m.data.max}` : m.type));
  assert.deepEqual(seq, [
    "execution_start",
    "execution_cached",
    "executing:1",
    "progress:1/4",
    "progress:2/4",
    "progress:3/4",
    "progress:4/4",
    "executing:2",
    "executed:2",
    "execution_success",
    "executing:null",
  ]);
  // One binary preview frame after each progress message: type 1 (preview), format 1 (JPEG).
  const frames = ws.messages.filter((m) => m.type === "binary");
  assert.equal(frames.length, 4);
  for (const f of frames) {
    assert.equal(f.data.readUInt32BE(0), 1);
    assert.equal(f.data.readUInt32BE(4), 1);
    assert.deepEqual([...f.data.subarray(8, 11)], [0xff, 0xd8, 0xff]);
  }
  const idxProgress = ws.messages.findIndex((m) => m.type === "progress");
  assert.equal(ws.messages[idxProgress + 1].type, "binary");
  const executed = ofPrompt(ws, res.prompt_id).find((m) => m.type === "executed");
  const image = executed.data.output.images[0];
  assert.equal(image.type, "output");

  let r = await request(base, `/history/${res.prompt_id}`);
  const entry = r.json[res.prompt_id];
  assert.equal(entry.status.status_str, "success");
  assert.equal(entry.status.completed, true);
  assert.deepEqual(entry.outputs["2"].images, [image]);
  assert.equal(entry.prompt[1], res.prompt_id);
  assert.deepEqual(entry.prompt[4], ["2"]);
  assert.deepEqual(entry.status.messages.map((m) => m[0]), ["execution_start", "execution_cached", "execution_success"]);

  r = await request(base, `/view?filename=${encodeURIComponent(image.filename)}&type=output`);
  assert.equal(r.status, 200);
  assert.equal(r.headers["content-type"], "image/png");
  assert.deepEqual([...r.body.subarray(1, 4)], [0x50, 0x4e, 0x47]);

  // The same prompt again: everything comes from the cache, no node executes.
  const again = await queue(base, countPrompt({ steps: 4, seed: 7 }));
  await ws.waitFor(done(again.prompt_id));
  const msgs = ofPrompt(ws, again.prompt_id);
  assert.deepEqual(msgs.find((m) => m.type === "execution_cached").data.nodes.sort(), ["1", "2"]);
  assert.deepEqual(msgs.filter((m) => m.type === "executing").map((m) => m.data.node), [null]);
  assert.equal(msgs.filter((m) => m.type === "progress").length, 0);
  r = await request(base, `/history/${again.prompt_id}`);
  assert.deepEqual(r.json[again.prompt_id].outputs["2"].images, [image]);

  // A changed seed re-runs both nodes.
  const changed = await queue(base, countPrompt({ steps: 4, seed: 8 }));
  await ws.waitFor(done(changed.prompt_id));
  assert.deepEqual(ofPrompt(ws, changed.prompt_id).filter((m) => m.type === "executing").map((m) => m.data.node), ["1", "2", null]);

  r = await request(base, "/history?max_items=2");
  assert.deepEqual(Object.keys(r.json), [again.prompt_id, changed.prompt_id]);
  r = await request(base, "/history?max_items=-1");
  assert.equal(r.status, 400);
  r = await request(base, "/history/unknown-id");
  assert.deepEqual(r.json, {});
  r = await request(base, "/history", { method: "POST", body: { delete: [again.prompt_id] } });
  assert.equal(r.status, 200);
  r = await request(base, "/history");
  assert.deepEqual(Object.keys(r.json), [res.prompt_id, changed.prompt_id]);
  r = await request(base, "/history", { method: "POST", body: { clear: true } });
  r = await request(base, "/history");
  assert.deepEqual(r.json, {});
});

test("editor-format prompts are converted, and the workflow is kept for the PNG metadata", async (t) => {
  const { server, base } = await startTestServer();
  t.after(() => server.close());
  const workflow = {
    format: "glide-studio/editor",
    format_version: 1,
    nodes: [
      { id: 5, type: "TestCount", pos: [0, 0], inputs: [], outputs: [{ name: "IMAGE", type: "IMAGE", links: [1] }], widgets_values: { steps: 2, delay_ms: 0, seed: 3 } },
      { id: 9, type: "TestSave", pos: [300, 0], inputs: [{ name: "image", type: "IMAGE", link: 1 }], outputs: [], widgets_values: { filename_prefix: "ed" } },
    ],
    links: [[1, 5, 0, 9, 0, "IMAGE"]],
  };
  const ws = await openWs(base, { clientId: CLIENT });
  t.after(() => ws.close());
  const res = await queue(base, workflow);
  await ws.waitFor(done(res.prompt_id));
  const r = await request(base, `/history/${res.prompt_id}`);
  const entry = r.json[res.prompt_id];
  assert.equal(entry.status.status_str, "success");
  assert.deepEqual(entry.prompt[2], {
    5: { class_type: "TestCount", inputs: { steps: 2, delay_ms: 0, seed: 3 } },
    9: { class_type: "TestSave", inputs: { filename_prefix: "ed", image: ["5", 0] } },
  });
  assert.deepEqual(entry.prompt[3].extra_pnginfo.workflow, workflow);
  assert.equal(entry.prompt[3].client_id, CLIENT);
  assert.match(entry.outputs["9"].images[0].filename, /^ed_3_/);
});

test("invalid prompts get the structured validation report (400), runtime errors an execution_error", async (t) => {
  const { server, base } = await startTestServer();
  t.after(() => server.close());
  let r = await request(base, "/prompt", { method: "POST", body: { prompt: { 1: { class_type: "TestCount", inputs: { steps: 0, delay_ms: 0, seed: 1 } }, 2: { class_type: "TestSave", inputs: { image: ["1", 0], filename_prefix: "x" } }, 3: { class_type: "TestSave", inputs: { filename_prefix: "y" } } } } });
  assert.equal(r.status, 400);
  assert.equal(typeof r.json.error.message, "string");
  assert.equal(r.json.node_errors["1"].class_type, "TestCount");
  const e1 = r.json.node_errors["1"].errors[0];
  assert.equal(e1.type, "value_smaller_than_min");
  assert.equal(e1.extra_info.input_name, "steps");
  assert.equal(e1.extra_info.received_value, 0);
  assert.equal(r.json.node_errors["3"].errors[0].type, "required_input_missing");
  assert.equal(r.json.node_errors["3"].errors[0].extra_info.input_name, "image");

  r = await request(base, "/prompt", { method: "POST", body: { prompt: { 1: { class_type: "Nope", inputs: {} } } } });
  assert.equal(r.status, 400);
  assert.ok(JSON.stringify(r.json).includes("Nope"));

  r = await request(base, "/prompt", { method: "POST", body: {} });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.type, "no_prompt");
  r = await request(base, "/prompt", { method: "POST", body: "{not json", headers: { "content-type": "application/json" } });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.type, "bad_json");
  r = await request(base, "/prompt", { method: "POST", body: { prompt: { nodes: [{ id: 1, type: "TestSave", widgets_values: ["x"] }], links: [] } } });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.type, "invalid_workflow");
  assert.match(r.json.error.message, /by position/);

  const ws = await openWs(base, { clientId: CLIENT });
  t.after(() => ws.close());
  const res = await queue(base, { 1: { class_type: "TestCount", inputs: { steps: 1, delay_ms: 0, seed: 1 } }, 2: { class_type: "TestFail", inputs: { image: ["1", 0] } }, 3: { class_type: "TestSave", inputs: { image: ["2", 0], filename_prefix: "x" } } });
  await ws.waitFor(done(res.prompt_id));
  const err = ofPrompt(ws, res.prompt_id).find((m) => m.type === "execution_error");
  assert.equal(err.data.node_id, "2");
  assert.equal(err.data.node_type, "TestFail");
  assert.equal(err.data.exception_message, "TestFail always fails");
  assert.equal(err.data.message, "TestFail always fails");
  r = await request(base, `/history/${res.prompt_id}`);
  assert.equal(r.json[res.prompt_id].status.status_str, "error");
  assert.equal(r.json[res.prompt_id].status.completed, false);
  // The server is fine afterwards.
  const ok = await queue(base, countPrompt({ seed: 99 }));
  await ws.waitFor(done(ok.prompt_id));
  r = await request(base, `/history/${ok.prompt_id}`);
  assert.equal(r.json[ok.prompt_id].status.status_str, "success");
});

test("queue listing, delete, clear, front; interrupt mid-run; routes answer during a run", async (t) => {
  const { server, base } = await startTestServer();
  t.after(() => server.close());
  const ws = await openWs(base, { clientId: CLIENT });
  t.after(() => ws.close());
  const slow = await queue(base, countPrompt({ steps: 2000, delay: 5, seed: 1 }));
  await ws.waitFor((m) => m.type === "progress" && m.data.prompt_id === slow.prompt_id && m.data.value >= 3);
  const a = await queue(base, countPrompt({ seed: 2 }));
  const b = await queue(base, countPrompt({ seed: 3 }));
  const c = await queue(base, countPrompt({ seed: 4 }));
  const front = await queue(base, countPrompt({ seed: 5 }), { front: true });
  assert.ok(front.number < 0);

  // Routes stay responsive while the prompt runs.
  const t0 = performance.now();
  let r = await request(base, "/system_stats");
  assert.equal(r.status, 200);
  assert.equal(r.json.queue.running, slow.prompt_id);
  assert.ok(performance.now() - t0 < 1000);

  r = await request(base, "/queue");
  assert.deepEqual(r.json.queue_running.map((q) => q[1]), [slow.prompt_id]);
  assert.deepEqual(r.json.queue_pending.map((q) => q[1]), [front.prompt_id, a.prompt_id, b.prompt_id, c.prompt_id]);
  r = await request(base, "/prompt");
  assert.equal(r.json.exec_info.queue_remaining, 5);

  r = await request(base, "/queue", { method: "POST", body: { delete: [b.prompt_id] } });
  assert.equal(r.json.removed, 1);
  r = await request(base, "/queue", { method: "POST", body: { delete: "nope" } });
  assert.equal(r.status, 400);
  r = await request(base, "/queue");
  assert.deepEqual(r.json.queue_pending.map((q) => q[1]), [front.prompt_id, a.prompt_id, c.prompt_id]);
  r = await request(base, "/queue", { method: "POST", body: { clear: true } });
  assert.equal(r.json.removed, 3);
  r = await request(base, "/queue");
  assert.deepEqual(r.json.queue_pending, []);

  // Interrupting another prompt id does nothing; interrupting the running one stops it within a step.
  r = await request(base, "/interrupt", { method: "POST", body: { prompt_id: a.prompt_id } });
  assert.equal(r.json.interrupted, false);
  r = await request(base, "/interrupt", { method: "POST", body: {} });
  assert.equal(r.json.interrupted, true);
  const stopped = await ws.waitFor((m) => m.type === "execution_interrupted" && m.data.prompt_id === slow.prompt_id);
  assert.equal(stopped.data.node_id, "1");
  await ws.waitFor(done(slow.prompt_id));
  const progress = ofPrompt(ws, slow.prompt_id).filter((m) => m.type === "progress");
  assert.ok(progress.length < 2000, "the run stopped early");
  r = await request(base, `/history/${slow.prompt_id}`);
  assert.equal(r.json[slow.prompt_id].status.status_str, "interrupted");
  r = await request(base, "/interrupt", { method: "POST", body: {} });
  assert.equal(r.json.interrupted, false);
  const last = ws.messages.filter((m) => m.type === "status").at(-1);
  assert.equal(last.data.status.exec_info.queue_remaining, 0);
});

test("restart: history survives, the prompt that was running is reported failed, pending ones run", async (t) => {
  const { paths } = await tempPaths();
  const helpers = path.join(here, "helpers", "server-fixtures.mjs");
  const script = `import { startTestServer } from ${JSON.stringify(helpers)};
    const { server } = await startTestServer({ paths: JSON.parse(process.env.GLIDE_TEST_PATHS) });
    console.log("URL " + server.url);`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { env: { ...process.env, GLIDE_TEST_PATHS: JSON.stringify(paths) }, stdio: ["ignore", "pipe", "inherit"] });
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

  const ws = await openWs(base, { clientId: CLIENT });
  const first = await queue(base, countPrompt({ seed: 11 }));
  await ws.waitFor(done(first.prompt_id));
  const slow = await queue(base, countPrompt({ steps: 10000, delay: 5, seed: 12 }));
  await ws.waitFor((m) => m.type === "progress" && m.data.prompt_id === slow.prompt_id);
  const p1 = await queue(base, countPrompt({ seed: 13 }));
  const p2 = await queue(base, countPrompt({ seed: 14 }));
  await new Promise((r) => setTimeout(r, 300)); // the queue file is written asynchronously
  ws.close();
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;

  const warnings = [];
  const { server, base: base2 } = await startTestServer({ paths, log: (l) => warnings.push(l) });
  t.after(() => server.close());
  assert.ok(warnings.some((w) => w.includes(slow.prompt_id) && /recorded it as failed/.test(w)), warnings.join("\n"));
  await server.worker.whenIdle();
  const r = await request(base2, "/history");
  assert.deepEqual(Object.keys(r.json), [first.prompt_id, slow.prompt_id, p1.prompt_id, p2.prompt_id]);
  assert.equal(r.json[first.prompt_id].status.status_str, "success");
  const failed = r.json[slow.prompt_id];
  assert.equal(failed.status.status_str, "error");
  const err = failed.status.messages.find((m) => m[0] === "execution_error")[1];
  assert.match(err.exception_message, /server stopped while this prompt was running/);
  assert.equal(r.json[p1.prompt_id].status.status_str, "success");
  assert.equal(r.json[p2.prompt_id].status.status_str, "success");
  // Numbers keep increasing after the restart.
  const next = await queue(base2, countPrompt({ seed: 15 }));
  assert.equal(next.number, 5);
});

test("a corrupt queue file is set aside instead of preventing the start", async (t) => {
  const { paths } = await tempPaths();
  await fs.writeFile(path.join(paths.data, "queue.json"), "{ half-written");
  const warnings = [];
  const { server, base } = await startTestServer({ paths, log: (l) => warnings.push(l) });
  t.after(() => server.close());
  assert.ok(warnings.some((w) => /not valid JSON/.test(w)));
  const files = await fs.readdir(paths.data);
  assert.ok(files.some((f) => f.startsWith("queue.json.corrupt-")));
  const r = await request(base, "/queue");
  assert.deepEqual(r.json, { queue_running: [], queue_pending: [] });
});
