// The graph core with small fake node types: validation errors, execution order, caching, events,
// interrupt, the editor → API converter and the served schema.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Executor, ModelCache, NodeRegistry, editorToApi, objectInfo, WorkflowFormatError, parseWorkflow, applyOverrides, parseOverride } from "glide-studio";

function fakeRegistry(log) {
  return new NodeRegistry([
    {
      name: "Number", display_name: "Number", description: "a constant", category: "test",
      input: { required: { value: ["INT", { default: 1, min: 0, max: 100 }] } },
      output: ["NUMBER"],
      execute: ({ value }) => { log.push("Number:" + value); return { result: [value] }; },
    },
    {
      name: "Add", display_name: "Add", description: "a + b", category: "test",
      input: { required: { a: ["NUMBER"], b: ["NUMBER"] }, optional: { scale: ["FLOAT", { default: 1, min: 0 }] } },
      output: ["NUMBER"],
      execute: ({ a, b, scale }) => { log.push("Add"); return { result: [(a + b) * scale] }; },
    },
    {
      name: "Pick", display_name: "Pick", description: "a choice", category: "test",
      input: { required: { mode: [["x", "y"], { default: "x" }] } },
      output: ["STRING_T"],
      execute: ({ mode }) => { log.push("Pick"); return { result: [mode] }; },
    },
    {
      name: "Model", display_name: "Model", description: "a file", category: "test",
      input: { required: { ckpt_name: [{ folder: "models", extensions: [".pt"] }] } },
      output: ["FAKE_MODEL"],
      fingerprint: ({ ckpt_name }, paths) => String(fs.statSync(path.join(paths.models, ckpt_name)).mtimeMs),
      execute: ({ ckpt_name }) => { log.push("Model"); return { result: [ckpt_name] }; },
    },
    {
      name: "Slow", display_name: "Slow", description: "steps with progress", category: "test",
      input: { required: { n: ["NUMBER"], steps: ["INT", { default: 5, min: 1 }] } },
      output: ["NUMBER"],
      async execute({ n, steps }, ctx) {
        log.push("Slow");
        for (let i = 1; i <= steps; i++) {
          if (ctx.signal.aborted) throw new Error("stopped");
          await new Promise((r) => setTimeout(r, 5));
          ctx.progress(i, steps, { width: 1, height: 1, rgb: new Uint8Array([i, 0, 0]) });
        }
        return { result: [n] };
      },
    },
    {
      name: "Fail", display_name: "Fail", description: "throws", category: "test",
      input: { required: { n: ["NUMBER"] } }, output: ["NUMBER"],
      execute: () => { throw new Error("boom"); },
    },
    {
      name: "Show", display_name: "Show", description: "output", category: "test", output_node: true,
      input: { required: { n: ["NUMBER"] }, hidden: { id: "UNIQUE_ID" } },
      output: [],
      execute: ({ n, id }) => { log.push("Show"); return { ui: { values: [n], id } }; },
    },
  ]);
}

function tmpPaths() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "glide-graph-"));
  const paths = { models: path.join(root, "models"), output: path.join(root, "out"), input: path.join(root, "in"), temp: path.join(root, "tmp") };
  for (const p of Object.values(paths)) fs.mkdirSync(p);
  return paths;
}

const chain = () => ({
  "1": { class_type: "Number", inputs: { value: 2 } },
  "2": { class_type: "Number", inputs: { value: 3 } },
  "3": { class_type: "Add", inputs: { a: ["1", 0], b: ["2", 0] } },
  "4": { class_type: "Show", inputs: { n: ["3", 0] } },
  "9": { class_type: "Number", inputs: { value: 7 } }, // not needed by any output: never runs
});

test("runs output nodes and their ancestors in topological order", async () => {
  const log = [];
  const ex = new Executor({ registry: fakeRegistry(log), paths: tmpPaths() });
  const r = await ex.run(chain(), { promptId: "p1" });
  assert.equal(r.status, "success");
  assert.deepEqual(r.executed, ["1", "2", "3", "4"]);
  assert.deepEqual(log, ["Number:2", "Number:3", "Add", "Show"]);
  assert.deepEqual(r.outputs["4"], { values: [5], id: "4" });
});

test("a re-run executes no node; a changed literal re-runs only what depends on it", async () => {
  const log = [];
  const ex = new Executor({ registry: fakeRegistry(log), paths: tmpPaths() });
  await ex.run(chain(), { promptId: "a" });
  const events = [];
  ex.on("execution_cached", (e) => events.push(["cached", e.nodes]));
  ex.on("executed", (e) => events.push(["executed", e.node]));
  const again = await ex.run(chain(), { promptId: "b" });
  assert.deepEqual(again.executed, []);
  assert.deepEqual(again.cached, ["1", "2", "3", "4"]);
  assert.deepEqual(again.outputs["4"].values, [5]);
  assert.deepEqual(events, [["cached", ["1", "2", "3", "4"]], ["executed", "4"]]);
  const p = chain();
  p["2"].inputs.value = 10;
  const changed = await ex.run(p, { promptId: "c" });
  assert.deepEqual(changed.executed, ["2", "3", "4"]);
  assert.deepEqual(changed.outputs["4"].values, [12]);
  // The optional input's default is part of the signature: setting it explicitly to 1 changes nothing.
  p["3"].inputs.scale = 1;
  assert.deepEqual((await ex.run(p, { promptId: "d" })).executed, []);
});

test("events: start, executing, progress with preview, executed, success", async () => {
  const log = [];
  const ex = new Executor({ registry: fakeRegistry(log), paths: tmpPaths() });
  const events = [];
  for (const name of ["execution_start", "execution_cached", "executing", "progress", "executed", "execution_success"]) {
    ex.on(name, (e) => events.push([name, e.node ?? null, e.value ?? null, e.prompt_id]));
  }
  const p = { "1": { class_type: "Number", inputs: { value: 1 } }, "2": { class_type: "Slow", inputs: { n: ["1", 0], steps: 2 } }, "3": { class_type: "Show", inputs: { n: ["2", 0] } } };
  await ex.run(p, { promptId: "ev" });
  assert.deepEqual(events.map((e) => e.slice(0, 3)), [
    ["execution_start", null, null], ["execution_cached", null, null],
    ["executing", "1", null], ["executing", "2", null], ["progress", "2", 1], ["progress", "2", 2],
    ["executing", "3", null], ["executed", "3", null], ["executing", null, null], ["execution_success", null, null],
  ]);
  assert.ok(events.every((e) => e[3] === "ev"));
});

test("interrupt stops the running node and reports it", async () => {
  const log = [];
  const ex = new Executor({ registry: fakeRegistry(log), paths: tmpPaths() });
  const p = { "1": { class_type: "Number", inputs: { value: 1 } }, "2": { class_type: "Slow", inputs: { n: ["1", 0], steps: 100 } }, "3": { class_type: "Show", inputs: { n: ["2", 0] } } };
  let steps = 0;
  const interrupted = [];
  ex.on("progress", () => { if (++steps === 3) ex.interrupt(); });
  ex.on("execution_interrupted", (e) => interrupted.push(e.node_id));
  const r = await ex.run(p, { promptId: "i" });
  assert.equal(r.status, "interrupted");
  assert.equal(steps, 3);
  assert.deepEqual(interrupted, ["2"]);
  assert.deepEqual(r.executed, ["1"]);
  // An AbortSignal passed to run works the same way.
  const ac = new AbortController();
  ac.abort();
  assert.equal((await ex.run(p, { promptId: "j", signal: ac.signal })).status, "interrupted");
});

test("an exception becomes execution_error naming the node, never a rejection", async () => {
  const log = [];
  const ex = new Executor({ registry: fakeRegistry(log), paths: tmpPaths() });
  const errors = [];
  ex.on("execution_error", (e) => errors.push(e));
  const r = await ex.run({ "1": { class_type: "Number", inputs: { value: 1 } }, "2": { class_type: "Fail", inputs: { n: ["1", 0] } }, "3": { class_type: "Show", inputs: { n: ["2", 0] } } }, { promptId: "e" });
  assert.equal(r.status, "error");
  assert.equal(r.error.node_id, "2");
  assert.match(r.error.message, /Node 2 \(Fail\): boom/);
  assert.equal(errors[0].node_type, "Fail");
  assert.equal(errors[0].exception_message, "boom");
});

test("validation reports every error type with the structured shape", () => {
  const paths = tmpPaths();
  fs.writeFileSync(path.join(paths.models, "real.pt"), "x");
  const ex = new Executor({ registry: fakeRegistry([]), paths });
  const r = ex.validate({
    "1": { class_type: "Number", inputs: { value: -1 } },
    "2": { class_type: "Number", inputs: { value: 101 } },
    "3": { class_type: "Add", inputs: { a: ["1", 0] } },
    "4": { class_type: "Add", inputs: { a: ["1", 3], b: ["77", 0] } },
    "5": { class_type: "Add", inputs: { a: ["6", 0], b: 5 } },
    "6": { class_type: "Pick", inputs: { mode: "z" } },
    "7": { class_type: "Model", inputs: { ckpt_name: "base.pt" } },
    "8": { class_type: "Nope", inputs: {} },
    "10": { class_type: "Add", inputs: { a: ["2", 0], b: ["2", "x"] } },
    "11": { class_type: "Number", inputs: { value: 2.5 } },
    "20": { class_type: "Show", inputs: { n: ["3", 0] } },
    "21": { class_type: "Show", inputs: { n: ["4", 0] } },
    "22": { class_type: "Show", inputs: { n: ["5", 0] } },
    "23": { class_type: "Show", inputs: { n: ["7", 0] } },
    "24": { class_type: "Show", inputs: { n: ["10", 0] } },
    "25": { class_type: "Show", inputs: { n: ["11", 0] } },
    "26": { class_type: "Show", inputs: { n: ["2", 0] } },
  });
  assert.equal(r.ok, false);
  assert.equal(r.error.type, "prompt_outputs_failed_validation");
  const types = (id) => r.node_errors[id].errors.map((e) => e.type);
  assert.deepEqual(types("1"), ["value_smaller_than_min"]);
  assert.deepEqual(types("2"), ["value_bigger_than_max"]);
  assert.deepEqual(types("3"), ["required_input_missing"]);
  assert.equal(r.node_errors["3"].errors[0].extra_info.input_name, "b");
  assert.deepEqual(types("4"), ["bad_linked_input", "bad_linked_input"]);
  assert.deepEqual(types("5"), ["return_type_mismatch", "bad_linked_input"]);
  assert.deepEqual(types("6"), ["value_not_in_list"]);
  assert.deepEqual(types("7"), ["missing_model_file"]);
  assert.ok(r.node_errors["7"].errors[0].message.includes(paths.models), "names the folder it looked in");
  assert.match(r.node_errors["7"].errors[0].details, /real\.pt/);
  assert.deepEqual(types("8"), ["unknown_node_type"]);
  assert.deepEqual(types("10"), ["bad_linked_input"]);
  assert.deepEqual(types("11"), ["invalid_input_type"]);
  assert.deepEqual(types("23"), ["return_type_mismatch"]);
  assert.equal(r.node_errors["26"], undefined, "errors belong to the node at fault");
  assert.equal(r.node_errors["1"].class_type, "Number");
  assert.deepEqual(r.node_errors["1"].errors[0].extra_info, { input_name: "value", received_value: -1 });
});

test("validation: cycles, no outputs, malformed prompts", () => {
  const ex = new Executor({ registry: fakeRegistry([]), paths: tmpPaths() });
  const cyc = ex.validate({
    "1": { class_type: "Add", inputs: { a: ["2", 0], b: ["2", 0] } },
    "2": { class_type: "Add", inputs: { a: ["1", 0], b: ["1", 0] } },
    "3": { class_type: "Show", inputs: { n: ["2", 0] } },
  });
  assert.equal(cyc.error.type, "dependency_cycle");
  assert.deepEqual(Object.keys(cyc.node_errors).sort(), ["1", "2"]);
  assert.equal(ex.validate({ "1": { class_type: "Number", inputs: { value: 1 } } }).error.type, "prompt_no_outputs");
  for (const bad of [[], null, {}, { "1": { inputs: {} } }, { "1": { class_type: "Show", inputs: [] } }]) {
    assert.equal(ex.validate(bad).error.type, "invalid_prompt");
  }
});

test("an edited graph runs only the new node and what depends on it", async () => {
  const log = [];
  const paths = tmpPaths();
  const file = path.join(paths.models, "m.pt");
  fs.writeFileSync(file, "a");
  const ex = new Executor({ registry: fakeRegistry(log), paths });
  const p = { "1": { class_type: "Model", inputs: { ckpt_name: "m.pt" } }, "2": { class_type: "Number", inputs: { value: 1 } }, "3": { class_type: "Show", inputs: { n: ["2", 0] } } };
  assert.deepEqual((await ex.run(p, { promptId: "f1" })).executed, ["2", "3"]);
  p["3"].inputs.n = ["4", 0];
  p["4"] = { class_type: "Add", inputs: { a: ["2", 0], b: ["2", 0] } };
  assert.deepEqual((await ex.run(p, { promptId: "f2" })).executed, ["4", "3"]);
});

test("model files: a touched file re-runs its loader", async () => {
  const log = [];
  const paths = tmpPaths();
  const file = path.join(paths.models, "m.pt");
  fs.writeFileSync(file, "a");
  const registry = fakeRegistry(log);
  registry.register({
    name: "UseModel", display_name: "UseModel", description: "", category: "test", output_node: true,
    input: { required: { model: ["FAKE_MODEL"] } }, output: [],
    execute: ({ model }) => ({ ui: { model } }),
  });
  const ex = new Executor({ registry, paths });
  const p = { "1": { class_type: "Model", inputs: { ckpt_name: "m.pt" } }, "2": { class_type: "UseModel", inputs: { model: ["1", 0] } } };
  assert.deepEqual((await ex.run(p, { promptId: "m1" })).executed, ["1", "2"]);
  assert.deepEqual((await ex.run(p, { promptId: "m2" })).executed, []);
  const later = new Date(Date.now() + 5000);
  fs.utimesSync(file, later, later);
  assert.deepEqual((await ex.run(p, { promptId: "m3" })).executed, ["1", "2"]);
});

const editorGraph = () => ({
  format: "glide-studio/editor", format_version: 1, version: 0.4, last_node_id: 6, last_link_id: 5,
  nodes: [
    { id: 1, type: "Number", pos: [0, 0], mode: 0, outputs: [{ name: "NUMBER", type: "NUMBER", links: [1] }], widgets_values: { value: 4 } },
    { id: 2, type: "Reroute", pos: [0, 0], inputs: [{ name: "", type: "*", link: 1 }], outputs: [{ name: "", type: "NUMBER", links: [2, 3] }] },
    { id: 3, type: "Add", pos: [0, 0], mode: 0, title: "sum",
      inputs: [{ name: "a", type: "NUMBER", link: 2 }, { name: "b", type: "NUMBER", link: 3 }],
      outputs: [{ name: "NUMBER", type: "NUMBER", links: [4] }], widgets_values: { scale: 0.5, unknown_widget: 1 } },
    { id: 4, type: "Slow", pos: [0, 0], mode: 4, inputs: [{ name: "n", type: "NUMBER", link: 4 }], outputs: [{ name: "NUMBER", type: "NUMBER", links: [5] }], widgets_values: { steps: 3 } },
    { id: 5, type: "Show", pos: [0, 0], mode: 0, inputs: [{ name: "n", type: "NUMBER", link: 5 }] },
    { id: 6, type: "Show", pos: [0, 0], mode: 2, inputs: [{ name: "n", type: "NUMBER", link: null }] },
    { id: 7, type: "Note", pos: [0, 0], widgets_values: { text: "hello" } },
  ],
  links: [[1, 1, 0, 2, 0, "NUMBER"], [2, 2, 0, 3, 0, "NUMBER"], [3, 2, 0, 3, 1, "NUMBER"], [4, 3, 0, 4, 0, "NUMBER"], [5, 4, 0, 5, 0, "NUMBER"]],
  groups: [], extra: {},
});

test("editorToApi: widgets by name, reroutes, bypass, muted and note nodes", async () => {
  const registry = fakeRegistry([]);
  const api = editorToApi(editorGraph(), registry);
  assert.deepEqual(api, {
    "1": { class_type: "Number", inputs: { value: 4 } },
    "3": { class_type: "Add", inputs: { scale: 0.5, a: ["1", 0], b: ["1", 0] }, _meta: { title: "sum" } },
    "5": { class_type: "Show", inputs: { n: ["3", 0] } },
  });
  const r = await new Executor({ registry, paths: tmpPaths() }).run(api, { promptId: "x" });
  assert.deepEqual(r.outputs["5"].values, [4]);
});

test("editorToApi: malformed files give WorkflowFormatError", () => {
  const registry = fakeRegistry([]);
  const positional = editorGraph();
  positional.nodes[0].widgets_values = [4];
  assert.throws(() => editorToApi(positional, registry), (e) => e instanceof WorkflowFormatError && /by position/.test(e.message));
  const newer = editorGraph();
  newer.format_version = 99;
  assert.throws(() => editorToApi(newer, registry), /newer/);
  const dangling = editorGraph();
  dangling.links.pop();
  assert.throws(() => editorToApi(dangling, registry), /link 5/);
  assert.throws(() => parseWorkflow([1, 2], registry), WorkflowFormatError);
});

test("--set overrides edit the API prompt and the editor graph by input name", () => {
  const registry = fakeRegistry([]);
  const loaded = parseWorkflow(editorGraph(), registry);
  const edited = applyOverrides(loaded, [parseOverride("1.value=9"), parseOverride("sum.scale=2")], registry);
  assert.equal(edited.prompt["1"].inputs.value, 9);
  assert.equal(edited.prompt["3"].inputs.scale, 2);
  assert.equal(edited.workflow.nodes[0].widgets_values.value, 9);
  assert.equal(loaded.prompt["1"].inputs.value, 4, "the original is not modified");
  assert.throws(() => applyOverrides(loaded, [parseOverride("3.a=1")], registry), /linked/);
  assert.throws(() => applyOverrides(loaded, [parseOverride("1.nope=1")], registry), /no input "nope"/);
  assert.throws(() => parseOverride("novalue"), WorkflowFormatError);
});

test("objectInfo: ComfyUI shape with file choices read from the folder", () => {
  const paths = tmpPaths();
  fs.writeFileSync(path.join(paths.models, "b.pt"), "");
  fs.writeFileSync(path.join(paths.models, "a.pt"), "");
  fs.writeFileSync(path.join(paths.models, "notes.txt"), "");
  const info = objectInfo(fakeRegistry([]), paths);
  assert.deepEqual(info.Model.input.required.ckpt_name, [["a.pt", "b.pt"], { folder: "models" }]);
  assert.deepEqual(info.Add.input_order, { required: ["a", "b"], optional: ["scale"] });
  assert.deepEqual(info.Add.input.optional.scale, ["FLOAT", { default: 1, min: 0 }]);
  assert.equal(info.Show.output_node, true);
  assert.deepEqual(info.Number.output_name, ["NUMBER"]);
  assert.deepEqual(info.Pick.input.required.mode, [["x", "y"], { default: "x" }]);
  assert.deepEqual(info.Show.input.hidden, { id: "UNIQUE_ID" });
});

test("ModelCache: one load per key, a new file version disposes the old, failed loads are retried", async () => {
  const cache = new ModelCache();
  const disposed = [];
  let loads = 0;
  const load = (name) => async () => { loads++; await new Promise((r) => setTimeout(r, 5)); return { name, dispose: () => disposed.push(name) }; };
  const v1 = { file: "/m/base.pt", version: "1" };
  const [a, b] = await Promise.all([cache.get("k1", v1, load("a")), cache.get("k1", v1, load("b"))]);
  assert.equal(a, b);
  assert.equal(loads, 1);
  const fp16 = await cache.get("k1-other-options", v1, load("c"));
  assert.equal(fp16.name, "c");
  assert.deepEqual(disposed, [], "other options of the same version coexist");
  await cache.get("k2", { file: "/m/base.pt", version: "2" }, load("d"));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(disposed.sort(), ["a", "c"]);
  await assert.rejects(cache.get("bad", v1, async () => { throw new Error("corrupt"); }), /corrupt/);
  assert.equal((await cache.get("bad", v1, load("e"))).name, "e");
  cache.clear();
  await new Promise((r) => setImmediate(r));
  assert.equal(cache.size, 0);
  assert.ok(disposed.includes("d") && disposed.includes("e"));
});
