// The CLIP nodes (LoadClip, ClipGuidance) and the shipped workflows/clip-guided.json on the fixture
// checkpoints (32 px base, 64 px upsampler, the tiny noised CLIP, copied into a temp models folder with
// their configs as sidecars): the nodes produce exactly what sample() with clipGuidance produces, the
// workflow runs through the CLI, and wiring mistakes are reported per node.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  Executor, applyOverrides, builtinRegistry, decodePngImage, loadClip, loadModel, modelToImage, parseOverride, readWorkflowFile, sample,
} from "glide-studio";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const fixtures = path.join(root, "test/fixtures/glide");
const WORKFLOW = path.join(root, "workflows/clip-guided.json");
const { configs } = JSON.parse(fs.readFileSync(path.join(fixtures, "manifest.json"), "utf8"));
const PROMPT = "an oil painting of a corgi";

let models;
before(() => {
  models = fs.mkdtempSync(path.join(os.tmpdir(), "glide-clip-models-"));
  for (const name of ["base", "upsample", "clip_image_enc", "clip_text_enc"]) {
    fs.copyFileSync(path.join(fixtures, "checkpoints", `${name}.pt`), path.join(models, `${name}.pt`));
  }
  fs.writeFileSync(path.join(models, "base.pt.json"), JSON.stringify(configs.base));
  fs.writeFileSync(path.join(models, "upsample.pt.json"), JSON.stringify(configs.upsample));
  // One sidecar serves both CLIP files (the official config.yaml holds both encoders' options).
  fs.writeFileSync(path.join(models, "clip_image_enc.pt.json"), JSON.stringify(configs.clip));
});
after(() => fs.rmSync(models, { recursive: true, force: true }));

function setup() {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "glide-clip-out-"));
  const paths = { models, output: out, input: out, temp: path.join(out, "temp") };
  const registry = builtinRegistry();
  const grabbed = {};
  registry.register({
    name: "Grab", display_name: "", description: "", category: "test", output_node: true,
    input: { required: { image: ["IMAGE"], tag: ["STRING"] } }, output: [],
    execute: ({ image, tag }) => { grabbed[tag] = image; return {}; },
  });
  return { paths, registry, grabbed, executor: new Executor({ registry, paths }) };
}

const graph = (guidance, extra = {}) => ({
  "1": { class_type: "LoadCheckpoint", inputs: { ckpt_name: "base.pt" } },
  "2": { class_type: "LoadClip", inputs: { image_encoder: "clip_image_enc.pt", text_encoder: "clip_text_enc.pt" } },
  "3": { class_type: "TextEncode", inputs: { model: ["1", 0], text: PROMPT } },
  "4": { class_type: "ClipGuidance", inputs: { clip: ["2", 0], text: "", scale: 3, ...guidance } },
  "5": { class_type: "Sample", inputs: { model: ["1", 0], guidance: ["4", 0], respacing: "3", sampler: "ddpm", eta: 0, seed: 11, batch_size: 2 } },
  "6": { class_type: "Grab", inputs: { image: ["5", 0], tag: "out" } },
  ...extra,
});

test("ClipGuidance on conditioning = sample() with clipGuidance; on classifier-free guidance = both", async () => {
  const { executor, grabbed } = setup();
  const r = await executor.run(graph({ conditioning: ["3", 0] }), { promptId: "a" });
  assert.equal(r.status, "success", JSON.stringify(r.error));

  const model = await loadModel(path.join(models, "base.pt"));
  const clip = await loadClip(path.join(models, "clip_image_enc.pt"), path.join(models, "clip_text_enc.pt"));
  try {
    const prompts = [PROMPT, PROMPT];
    const want = await sample(model, { prompts, respacing: "3", noise: { seed: 11 }, clipGuidance: { clip, prompts, scale: 3 } });
    assert.deepEqual(grabbed.out.data, modelToImage(want.samples).data);

    const cfg = graph({ guidance: ["7", 0], text: "a red cube on a blue sphere" }, {
      "7": { class_type: "Guidance", inputs: { positive: ["3", 0], scale: 2 } },
    });
    const r2 = await executor.run(cfg, { promptId: "b" });
    assert.equal(r2.status, "success", JSON.stringify(r2.error));
    const both = await sample(model, {
      prompts, respacing: "3", noise: { seed: 11 }, guidanceScale: 2,
      clipGuidance: { clip, prompts: ["a red cube on a blue sphere"], scale: 3 },
    });
    assert.deepEqual(grabbed.out.data, modelToImage(both.samples).data);
  } finally {
    model.dispose();
    clip.dispose();
    executor.freeMemory();
  }
});

test("ClipGuidance: exactly one of conditioning / guidance, reported on the node", () => {
  const { executor } = setup();
  const none = executor.validate(graph({}));
  assert.equal(none.ok, false);
  assert.equal(none.node_errors["4"].class_type, "ClipGuidance");
  assert.equal(none.node_errors["4"].errors[0].type, "required_input_missing");
  const both = executor.validate(graph({ conditioning: ["3", 0], guidance: ["7", 0] }, {
    "7": { class_type: "Guidance", inputs: { positive: ["3", 0], scale: 2 } },
  }));
  assert.equal(both.node_errors["4"].errors[0].type, "conflicting_inputs");
  const wrong = executor.validate(graph({ conditioning: ["3", 0], clip: ["1", 0] }));
  assert.equal(wrong.node_errors["4"].errors[0].extra_info.input_name, "clip");
});

test("workflows/clip-guided.json runs through the CLI to a 64×64 PNG that embeds it", async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "glide-clip-cli-"));
  const args = [path.join(root, "dist/cli/main.js"), "run", WORKFLOW, "--models-dir", models, "--output-dir", out, "--seed", "3",
    "--set", "5.respacing=3", "--set", "8.respacing=3"];
  const r = await new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: os.tmpdir() });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
  assert.equal(r.code, 0, r.stderr);
  const saved = path.join(out, "clip_guided_00001_.png");
  assert.ok(r.stdout.includes(saved), r.stdout);
  const png = decodePngImage(fs.readFileSync(saved));
  assert.deepEqual([png.width, png.height], [64, 64]);
  const embedded = JSON.parse(png.text.workflow);
  assert.deepEqual(embedded.nodes.map((n) => n.type), JSON.parse(fs.readFileSync(WORKFLOW, "utf8")).nodes.map((n) => n.type));
  assert.equal(JSON.parse(png.text.prompt)["4"].class_type, "ClipGuidance");
});

test("workflows/clip-guided.json: the editor file converts with its links in place", async () => {
  const registry = builtinRegistry();
  const wf = await readWorkflowFile(WORKFLOW, registry);
  assert.equal(wf.format, "editor");
  const p = applyOverrides(wf, [parseOverride("5.respacing=2")], registry).prompt;
  assert.deepEqual(p["4"].inputs, { clip: ["2", 0], conditioning: ["3", 0], text: "", scale: 3 });
  assert.deepEqual(p["5"].inputs.guidance, ["4", 0]);
  assert.equal(p["5"].inputs.respacing, "2");
  assert.deepEqual(p["8"].inputs.image, ["5", 0]);
});
