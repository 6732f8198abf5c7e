// Workflows from strangers, found by the fuzzers (test/fuzz/targets/workflow-*.mjs) and kept here as
// explicit cases: graphs of tens of thousands of nodes convert and validate in linear time without
// overflowing the stack, links and node ids named like Object.prototype members are handled as plain
// names, and deeply nested values are refused up front (by the loaders and by POST /prompt).
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { builtinRegistry, editorToApi, Executor, parseWorkflow } from "glide-studio";
import { graphBomb } from "./fuzz/json.mjs";
import { request, startTestServer, tempPaths, countPrompt } from "./helpers/server-fixtures.mjs";

const registry = builtinRegistry();

async function executor() {
  const { paths } = await tempPaths("glide-reliability-wf-");
  fs.copyFileSync(new URL("../workflows/assets/grass.png", import.meta.url), path.join(paths.input, "grass.png"));
  return new Executor({ registry, paths });
}

/** A graph bomb of the given kind (see graphBomb) with exactly `n` chain nodes. */
function bomb(kind, n) {
  // graphBomb draws its size and its kind from the RNG: a stub RNG picks both.
  return graphBomb({ size: () => n, int: () => kind });
}

function timed(fn) {
  const t0 = performance.now();
  const value = fn();
  return { value, ms: performance.now() - t0 };
}

test("a 30,000-reroute chain converts in linear time to a direct link (it overflowed the stack)", () => {
  const wf = bomb(0, 30000);
  const { value: prompt, ms } = timed(() => editorToApi(wf, registry));
  console.log(`30,000 reroutes: converted in ${ms.toFixed(0)} ms`);
  assert.deepEqual(Object.keys(prompt), ["1", "30002"]);
  assert.deepEqual(prompt["30002"].inputs.images, ["1", 0]);
  assert.ok(ms < 3000, `took ${ms} ms`);
  // A reroute loop is still an error, not a hang.
  wf.nodes[1].inputs[0].link = 5;
  assert.throws(() => editorToApi(wf, registry), /form a loop/);
});

test("a 20,000-node bypassed chain resolves through every bypassed node", () => {
  const { value: prompt, ms } = timed(() => editorToApi(bomb(1, 20000), registry));
  console.log(`20,000 bypassed nodes: converted in ${ms.toFixed(0)} ms`);
  assert.deepEqual(prompt["20002"].inputs.images, ["1", 0]);
  assert.ok(ms < 3000, `took ${ms} ms`);
});

test("a 30,000-node API chain validates in linear time, in dependency order (it took minutes)", async () => {
  const ex = await executor();
  const { value: r, ms } = timed(() => ex.validate(bomb(2, 30000)));
  console.log(`30,000-node chain: validated in ${ms.toFixed(0)} ms`);
  assert.equal(r.ok, true, JSON.stringify(r.error));
  assert.deepEqual(r.outputs, ["30001"]);
  assert.ok(ms < 5000, `took ${ms} ms`);
});

test("a 20,000-node cycle is reported as a cycle (the recursive search overflowed the stack)", async () => {
  const ex = await executor();
  const r = ex.validate(bomb(3, 20000));
  assert.equal(r.ok, false);
  assert.equal(r.error.type, "dependency_cycle");
  assert.equal(Object.keys(r.node_errors).length, 20000);
});

test("links to Object.prototype names are bad links, not silently accepted", async () => {
  const ex = await executor();
  for (const name of ["constructor", "toString", "hasOwnProperty", "__proto__"]) {
    const r = ex.validate({ 1: { class_type: "PreviewImage", inputs: { images: [name, 0] } } });
    assert.equal(r.ok, false, `${name}: ${JSON.stringify(r)}`);
    assert.equal(r.node_errors["1"].errors[0].type, "bad_linked_input", name);
  }
  // A node may be called "constructor"; "__proto__" is refused as an id.
  const ok = ex.validate({ 1: { class_type: "LoadImage", inputs: { image: "grass.png" } }, constructor: { class_type: "PreviewImage", inputs: { images: ["1", 0] } } });
  assert.equal(ok.ok, true, JSON.stringify(ok));
  const bad = ex.validate({ 1: { class_type: "LoadImage", inputs: { image: "grass.png" } }, constructor: { class_type: "PreviewImage", inputs: { images: ["1", 5] } } });
  assert.equal(bad.node_errors.constructor.errors[0].type, "bad_linked_input");
  const proto = ex.validate(JSON.parse('{"__proto__": {"class_type": "PreviewImage", "inputs": {}}}'));
  assert.match(proto.error.message, /__proto__/);
});

test("deeply nested values: loaders refuse them, validation reports the input", async () => {
  const deep = JSON.parse(`{"1":{"class_type":"PreviewImage","inputs":{"images":${"[".repeat(20000)}0${"]".repeat(20000)}}}}`);
  assert.throws(() => parseWorkflow(deep, registry), { name: "WorkflowFormatError", message: /nested more than 64 levels/ });
  const r = (await executor()).validate(deep);
  assert.equal(r.node_errors["1"].errors[0].type, "invalid_input_type");
  assert.match(r.node_errors["1"].errors[0].message, /nested more than 64 levels/);
});

test("POST /prompt refuses deeply nested extra_data, and the queue keeps saving (saves overflowed the stack)", async (t) => {
  const { server, base, paths } = await startTestServer();
  t.after(() => server.close());
  const deep = `${"[".repeat(20000)}0${"]".repeat(20000)}`;
  const body = `{"prompt":${JSON.stringify(countPrompt({ delay: 200 }))},"extra_data":{"x":${deep}}}`;
  let r = await request(base, "/prompt", { method: "POST", body, headers: { "content-type": "application/json" } });
  assert.equal(r.status, 400, r.body.toString().slice(0, 300));
  assert.match(r.json.error.message, /nests values more than 64 levels/);
  r = await request(base, "/prompt", { method: "POST", body: { prompt: countPrompt({ delay: 500 }) } });
  assert.equal(r.status, 200);
  await server.store.flush();
  const saved = JSON.parse(fs.readFileSync(path.join(paths.data, "queue.json"), "utf8"));
  assert.ok(saved.running?.prompt_id === r.json.prompt_id || saved.pending.some((p) => p.prompt_id === r.json.prompt_id));
});
