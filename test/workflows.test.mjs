// Acceptance of the shipped workflows on the fixture checkpoints (32 px base, 64 px upsampler, copied
// into a temp models folder with their configs as sidecars): each runs through the CLI, its PNG embeds
// the workflow that re-runs to the same pixels; in one process a second identical run executes no node
// and a changed prompt re-runs only what depends on it; models load once and are shared.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  Executor, ModelCache, builtinRegistry, decodePngImage, editorToApi, readWorkflowFile, applyOverrides, parseOverride,
} from "glide-studio";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cli = path.join(root, "dist/cli/main.js");
const workflows = path.join(root, "workflows");
const fixtures = path.join(root, "test/fixtures/glide");
const STEPS = "4"; // keep the suite fast; every stage still runs its full pipeline

let models;
before(() => {
  models = fs.mkdtempSync(path.join(os.tmpdir(), "glide-wf-models-"));
  const { configs } = JSON.parse(fs.readFileSync(path.join(fixtures, "manifest.json"), "utf8"));
  for (const name of ["base", "upsample", "base_inpaint", "upsample_inpaint"]) {
    fs.copyFileSync(path.join(fixtures, "checkpoints", `${name}.pt`), path.join(models, `${name}.pt`));
    // The fixture models are small: their configs (attention heads, sizes) come from the manifest.
    fs.writeFileSync(path.join(models, `${name}.pt.json`), JSON.stringify(configs[name]));
  }
});

function run(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: os.tmpdir() });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The --set arguments that make a shipped workflow fast: every sampling node gets STEPS steps. */
function fastSets(file) {
  const wf = JSON.parse(fs.readFileSync(file, "utf8"));
  return wf.nodes.filter((n) => "respacing" in (n.widgets_values ?? {})).flatMap((n) => ["--set", `${n.id}.respacing=${STEPS}`]);
}

const cases = [
  { file: "text2im.json", size: 64, prefix: "text2im", prompt: "2", downstream: ["2", "3", "4", "7", "8", "9"] },
  { file: "inpaint.json", size: 64, prefix: "inpaint", prompt: "4", downstream: ["4", "5", "6", "9", "10", "11"] },
];

for (const c of cases) {
  test(`${c.file}: runs through the CLI; the PNG embeds a workflow that re-runs to the same pixels`, async () => {
    const file = path.join(workflows, c.file);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "glide-wf-out-"));
    const sets = fastSets(file);
    const r = await run(["run", file, "--models-dir", models, "--output-dir", out, "--seed", "5", ...sets]);
    assert.equal(r.code, 0, r.stderr);
    const saved = r.stdout.trim().split("\n").filter((f) => f.startsWith(out));
    assert.deepEqual(saved, [path.join(out, `${c.prefix}_00001_.png`)]);
    const png = decodePngImage(fs.readFileSync(saved[0]));
    assert.deepEqual([png.width, png.height], [c.size, c.size]);

    // The embedded editor graph is the shipped one with the run's edits; the prompt is its conversion.
    const shipped = JSON.parse(fs.readFileSync(file, "utf8"));
    const embedded = JSON.parse(png.text.workflow);
    for (const n of shipped.nodes) {
      const want = { ...n.widgets_values };
      if ("seed" in want) want.seed = 5;
      if ("respacing" in want) want.respacing = STEPS;
      assert.deepEqual(embedded.nodes.find((e) => e.id === n.id).widgets_values, want, `node ${n.id} widgets`);
    }
    assert.deepEqual(JSON.parse(png.text.prompt), editorToApi(embedded, builtinRegistry()));

    // Running the PNG itself reproduces the image.
    const out2 = fs.mkdtempSync(path.join(os.tmpdir(), "glide-wf-out-"));
    const again = await run(["run", saved[0], "--models-dir", models, "--output-dir", out2, "--input-dir", workflows, "-q"]);
    assert.equal(again.code, 0, again.stderr);
    const png2 = decodePngImage(fs.readFileSync(path.join(out2, `${c.prefix}_00001_.png`)));
    assert.deepEqual(png2.rgb, png.rgb);
    assert.equal(png2.text.workflow, png.text.workflow);

    // The same workflow in the API format runs to the same pixels (its PNG carries only the prompt).
    const api = path.join(out2, "api.json");
    fs.writeFileSync(api, JSON.stringify(editorToApi(shipped, builtinRegistry())));
    const viaApi = await run(["run", api, "--models-dir", models, "--output-dir", out2, "--input-dir", workflows, "--seed", "5", ...sets, "--json"]);
    assert.equal(viaApi.code, 0, viaApi.stderr);
    const summary = JSON.parse(viaApi.stdout);
    assert.equal(summary.status, "success");
    const png3 = decodePngImage(fs.readFileSync(summary.files.find((f) => f.includes(c.prefix))));
    assert.deepEqual(png3.rgb, png.rgb);
    assert.equal(png3.text.workflow, undefined);
    assert.deepEqual(JSON.parse(png3.text.prompt), JSON.parse(png.text.prompt));
  });

  test(`${c.file}: an identical re-run executes no node; a changed text re-runs only downstream nodes`, async () => {
    const registry = builtinRegistry();
    const file = path.join(workflows, c.file);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "glide-wf-out-"));
    const paths = { models, output: out, input: workflows, temp: path.join(out, "temp") };
    const wf = await readWorkflowFile(file, registry);
    const sets = fastSets(file).filter((a) => a !== "--set").map(parseOverride);
    const loaded = applyOverrides(wf, sets, registry);
    const ex = new Executor({ registry, paths });
    const first = await ex.run(loaded.prompt, { promptId: "1", extraPngInfo: { workflow: loaded.workflow } });
    assert.equal(first.status, "success", JSON.stringify(first.error));
    assert.equal(first.executed.length, Object.keys(loaded.prompt).length);
    assert.equal(ex.models.size, 2, "two checkpoints loaded");

    const second = await ex.run(loaded.prompt, { promptId: "2", extraPngInfo: { workflow: loaded.workflow } });
    assert.deepEqual(second.executed, []);
    assert.deepEqual(second.outputs, first.outputs, "cached outputs are reported again");

    const changed = applyOverrides(loaded, [parseOverride(`${c.prompt}.text=a red cube on a blue sphere`)], registry);
    const third = await ex.run(changed.prompt, { promptId: "3", extraPngInfo: { workflow: changed.workflow } });
    assert.equal(third.status, "success");
    assert.deepEqual([...third.executed].sort(), [...c.downstream].sort());
    assert.equal(ex.models.size, 2, "no model reloaded");
    ex.freeMemory();
  });
}

test("models are loaded once and shared between executors and runs", async () => {
  const registry = builtinRegistry();
  const seen = [];
  registry.register({
    name: "Capture", display_name: "", description: "", category: "test", output_node: true,
    input: { required: { model: ["GLIDE_MODEL"], tag: ["STRING"] } }, output: [],
    execute: ({ model }) => { seen.push(model); return {}; },
  });
  const shared = new ModelCache();
  const paths = { models, output: os.tmpdir(), input: os.tmpdir(), temp: os.tmpdir() };
  const prompt = (tag) => ({
    "1": { class_type: "LoadCheckpoint", inputs: { ckpt_name: "base.pt" } },
    "2": { class_type: "LoadCheckpoint", inputs: { ckpt_name: "base.pt", precision: "auto", device: "cpu" } },
    "3": { class_type: "Capture", inputs: { model: ["1", 0], tag } },
    "4": { class_type: "Capture", inputs: { model: ["2", 0], tag } },
  });
  const a = new Executor({ registry, paths, models: shared });
  const b = new Executor({ registry, paths, models: shared });
  assert.equal((await a.run(prompt("a"), { promptId: "a" })).status, "success");
  assert.equal((await b.run(prompt("b"), { promptId: "b" })).status, "success");
  assert.equal(seen.length, 4);
  assert.ok(seen.every((m) => m === seen[0]), "one model object for every node and executor");
  assert.equal(seen[0].kind, "base");
  assert.equal(shared.size, 1);
  shared.clear();
  assert.equal(shared.size, 0);
});

test("a missing checkpoint fails validation naming the models folder", async () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), "glide-wf-empty-"));
  const r = await run(["run", path.join(workflows, "text2im.json"), "--models-dir", empty]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`model file "base\\.pt" not found in ${empty.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\[missing_model_file\\]`));
  assert.match(r.stderr, /model file "upsample\.pt" not found/);
  assert.match(r.stderr, /glide-studio models download base/);
});

test("Ctrl-C interrupts a CLI run within one sampling step (exit 130)", async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "glide-wf-out-"));
  const child = spawn(process.execPath, [cli, "run", path.join(workflows, "text2im.json"), "--models-dir", models, "--output-dir", out, "--set", "4.respacing=1000"], { cwd: os.tmpdir() });
  let stderr = "";
  let sentAt = 0;
  let stepsAtSignal = 0;
  child.stderr.on("data", (d) => {
    stderr += d;
    const steps = [...stderr.matchAll(/step (\d+)\/1000/g)].map((m) => Number(m[1]));
    if (!sentAt && steps.length) {
      sentAt = Date.now();
      stepsAtSignal = Math.max(...steps);
      child.kill("SIGINT");
    }
  });
  const code = await new Promise((r) => child.on("close", r));
  assert.equal(code, 130, stderr);
  assert.match(stderr, /interrupted in node 4 \(Sample\)/);
  // 1000 steps take over a minute; the process ends right after the step in flight.
  assert.ok(Date.now() - sentAt < 5000, `exited ${Date.now() - sentAt} ms after the signal (at step ${stepsAtSignal})`);
  assert.deepEqual(fs.readdirSync(out), [], "nothing saved");
});
