// The built-in nodes on small fake GLIDE models (the real sampler and native step, a model whose
// forward is known): shapes and conventions at the model boundary, guidance rows, seeds, previews,
// interrupt, inpainting's kept region, image/mask loading, resizing, saving with embedded workflows.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { encode as encodePng, decode as decodePng } from "fast-png";
import { loadTensor } from "./helpers/npy.mjs";
import { Executor, builtinRegistry, decodePngImage, resizeImage, workflowFromPng } from "glide-studio";

/** A GLIDE-shaped model whose forward returns ε = 0.1·x and v = 0, recording every call. */
function fakeModel(kind, size, calls) {
  const superRes = kind.startsWith("upsample");
  return {
    kind, path: `/fake/${kind}.pt`,
    config: { image_size: size, noise_schedule: superRes ? "linear" : "squaredcos_cap_v2", diffusion_steps: 1000, inpaint: kind.endsWith("inpaint"), super_res: superRes },
    tokenize(prompts) {
      return { tokens: prompts.map((p) => Array.from({ length: 8 }, (_, i) => p.charCodeAt(i) || 0)), mask: prompts.map((p) => Array.from({ length: 8 }, (_, i) => i < p.length)) };
    },
    async prepareText(t) { calls.push({ text: t.tokens.map((r) => String.fromCharCode(...r.filter(Boolean))) }); return { batch: t.tokens.length, dispose() {} }; },
    async forward(a) {
      calls.push({ rows: a.x.shape[0], lowRes: a.lowRes?.shape, inpaintMask: a.inpaintMask?.shape, lowResData: a.lowRes?.data, inpaint: a.inpaintImage && { image: a.inpaintImage, mask: a.inpaintMask } });
      const [n, , s] = a.x.shape;
      const out = new Float32Array(n * 6 * s * s);
      for (let r = 0; r < n; r++) for (let i = 0; i < 3 * s * s; i++) out[r * 6 * s * s + i] = 0.1 * a.x.data[r * 3 * s * s + i];
      return { shape: [n, 6, s, s], data: out };
    },
    dispose() {},
  };
}

function setup(calls = []) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "glide-nodes-"));
  const paths = { models: path.join(root, "models"), output: path.join(root, "output"), input: path.join(root, "input"), temp: path.join(root, "temp") };
  for (const p of Object.values(paths)) fs.mkdirSync(p);
  const registry = builtinRegistry();
  registry.register({
    name: "FakeCheckpoint", display_name: "Fake", description: "", category: "test",
    input: { required: { kind: [["base", "upsample", "base-inpaint", "upsample-inpaint"]], size: ["INT", { default: 8 }] } },
    output: ["GLIDE_MODEL"],
    execute: ({ kind, size }) => ({ result: [fakeModel(kind, size, calls)] }),
  });
  return { paths, registry, calls, executor: new Executor({ registry, paths }) };
}

const t2i = (extra = {}) => ({
  "1": { class_type: "FakeCheckpoint", inputs: { kind: "base", size: 8 } },
  "2": { class_type: "TextEncode", inputs: { model: ["1", 0], text: "a corgi" } },
  "3": { class_type: "TextEncode", inputs: { model: ["1", 0], text: "blurry" } },
  "4": { class_type: "Guidance", inputs: { positive: ["2", 0], negative: ["3", 0], scale: 3 } },
  "5": { class_type: "Sample", inputs: { model: ["1", 0], guidance: ["4", 0], respacing: "5", sampler: "ddpm", eta: 0, seed: 7, batch_size: 2 } },
  "6": { class_type: "SaveImage", inputs: { images: ["5", 0], filename_prefix: "t2i" } },
  ...extra,
});

test("Sample: classifier-free guidance rows, seeded output, previews, PNGs with the workflow", async () => {
  const { executor, calls, paths } = setup();
  const progress = [];
  executor.on("progress", (e) => progress.push(e));
  const workflow = { format: "glide-studio/editor", format_version: 1, nodes: [], links: [], note: "ünïcode ✓" };
  const r = await executor.run(t2i(), { promptId: "p", extraPngInfo: { workflow } });
  assert.equal(r.status, "success", JSON.stringify(r.error));
  assert.deepEqual(calls[0].text, ["a corgi", "a corgi", "blurry", "blurry"], "B conditional rows then B negative rows");
  assert.equal(calls.filter((c) => c.rows).length, 5, "one model call per step");
  assert.ok(calls.filter((c) => c.rows).every((c) => c.rows === 4));
  assert.deepEqual(progress.map((p) => [p.node, p.value, p.max]), [1, 2, 3, 4, 5].map((v) => ["5", v, 5]));
  assert.equal(progress[0].preview.width, 8);
  assert.equal(progress[0].preview.rgb.length, 8 * 8 * 3);
  const images = r.outputs["6"].images;
  assert.deepEqual(images.map((i) => i.filename), ["t2i_00001_.png", "t2i_00002_.png"]);
  const png = fs.readFileSync(path.join(paths.output, images[0].filename));
  const decoded = decodePngImage(png);
  assert.equal(decoded.width, 8);
  assert.deepEqual(JSON.parse(decoded.text.prompt), t2i());
  assert.deepEqual(JSON.parse(decoded.text.workflow), workflow, "non-Latin-1 text survives the tEXt chunk");
  assert.equal(workflowFromPng(png, builtinRegistry()).format, "editor");

  // Same seed → same pixels in a fresh executor; another seed → other pixels.
  const again = setup();
  await again.executor.run(t2i(), { promptId: "q" });
  const png2 = fs.readFileSync(path.join(again.paths.output, "t2i_00001_.png"));
  assert.deepEqual(decodePngImage(png2).rgb, decoded.rgb);
  const p = t2i();
  p["5"].inputs.seed = 8;
  await again.executor.run(p, { promptId: "r" });
  assert.notDeepEqual(decodePngImage(fs.readFileSync(path.join(again.paths.output, "t2i_00003_.png"))).rgb, decoded.rgb);
});

test("Sample: conditioning alone is unguided; guidance and conditioning together are refused", async () => {
  const { executor, calls } = setup();
  const p = t2i();
  delete p["5"].inputs.guidance;
  p["5"].inputs.conditioning = ["2", 0];
  p["5"].inputs.batch_size = 1;
  const r = await executor.run(p, { promptId: "u" });
  assert.equal(r.status, "success");
  assert.ok(calls.filter((c) => c.rows).every((c) => c.rows === 1));
  p["5"].inputs.guidance = ["4", 0];
  const v = executor.validate(p);
  assert.equal(v.node_errors["5"].errors[0].type, "conflicting_inputs");
  delete p["5"].inputs.guidance;
  delete p["5"].inputs.conditioning;
  assert.equal(executor.validate(p).node_errors["5"].errors[0].type, "required_input_missing");
  p["5"].inputs.conditioning = ["2", 0];
  for (const [respacing, type] of [["abc", "invalid_input_value"], ["1", "value_smaller_than_min"], ["ddim999", "invalid_input_value"]]) {
    p["5"].inputs.respacing = respacing;
    const errors = executor.validate(p).node_errors["5"]?.errors ?? [];
    assert.deepEqual(errors.map((e) => [e.type, e.extra_info.input_name]), [[type, "respacing"]], respacing);
  }
  for (const ok of ["fast27", "ddim50", "10,5,3", "27"]) {
    p["5"].inputs.respacing = ok;
    assert.equal(executor.validate(p).ok, true, ok);
  }
});

test("Sample refuses a model of another kind, naming the node to use", async () => {
  const { executor } = setup();
  const p = t2i();
  p["1"].inputs.kind = "upsample";
  const r = await executor.run(p, { promptId: "k" });
  assert.equal(r.status, "error");
  assert.match(r.error.message, /Node 5 \(Sample\): Sample needs a base model.*upsample model \(use Upsample\)/);
});

test("interrupt stops sampling within one step", async () => {
  const { executor, calls } = setup();
  const p = t2i();
  p["5"].inputs.respacing = "50";
  executor.on("progress", (e) => { if (e.value === 2) executor.interrupt(); });
  const r = await executor.run(p, { promptId: "i" });
  assert.equal(r.status, "interrupted");
  assert.equal(r.error.node_id, "5");
  assert.equal(calls.filter((c) => c.rows).length, 2);
});

test("Upsample: low-res images go in as 8-bit-rounded [-1,1] NCHW, output at the model size", async () => {
  const { executor, calls } = setup();
  const p = t2i({
    "7": { class_type: "FakeCheckpoint", inputs: { kind: "upsample", size: 16 } },
    "8": { class_type: "TextEncode", inputs: { model: ["7", 0], text: "a corgi" } },
    "9": { class_type: "Upsample", inputs: { model: ["7", 0], image: ["5", 0], conditioning: ["8", 0], respacing: "3", sampler: "ddim", temperature: 0.997, seed: 1 } },
    "10": { class_type: "PreviewImage", inputs: { images: ["9", 0] } },
  });
  const r = await executor.run(p, { promptId: "up" });
  assert.equal(r.status, "success", JSON.stringify(r.error));
  const up = calls.filter((c) => c.lowRes);
  assert.equal(up.length, 3);
  assert.deepEqual(up[0].lowRes, [2, 3, 8, 8]);
  for (const v of up[0].lowResData) {
    const level = (v + 1) * 127.5;
    assert.ok(Math.abs(level - Math.round(level)) < 1e-3, `low-res value ${v} is not an 8-bit level`);
  }
  assert.equal(r.outputs["10"].images.length, 2);
  assert.equal(r.outputs["10"].images[0].type, "temp");
});

function writePng(file, width, height, channels, fill) {
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) fill(x, y, data.subarray((y * width + x) * channels, (y * width + x + 1) * channels));
  fs.writeFileSync(file, encodePng({ width, height, data, channels, depth: 8 }));
}

test("LoadImage / LoadMask: alpha → MASK (transparent = repaint), channels, missing files name the folder", async () => {
  const { executor, paths, registry } = setup();
  writePng(path.join(paths.input, "rgba.png"), 4, 2, 4, (x, y, px) => px.set([x * 60, y * 200, 10, x < 2 ? 0 : 255]));
  writePng(path.join(paths.input, "mask.png"), 4, 2, 3, (x, y, px) => px.set(x >= 2 ? [255, 255, 255] : [0, 0, 0]));
  let captured;
  registry.register({
    name: "Capture", display_name: "", description: "", category: "test", output_node: true,
    input: { required: { image: ["IMAGE"], alpha_mask: ["MASK"], red_mask: ["MASK"] } }, output: [],
    execute: (inputs) => { captured = inputs; return {}; },
  });
  const r = await executor.run({
    "1": { class_type: "LoadImage", inputs: { image: "rgba.png" } },
    "2": { class_type: "LoadMask", inputs: { image: "mask.png", channel: "red" } },
    "3": { class_type: "Capture", inputs: { image: ["1", 0], alpha_mask: ["1", 1], red_mask: ["2", 0] } },
  }, { promptId: "l" });
  assert.equal(r.status, "success", JSON.stringify(r.error));
  assert.deepEqual(captured.image.shape, [1, 2, 4, 3]);
  assert.ok(Math.abs(captured.image.data[3 * 3] - 180 / 255) < 1e-6, "pixel (3,0) red");
  assert.ok(Math.abs(captured.image.data[4 * 3 + 1] - 200 / 255) < 1e-6, "pixel (0,1) green");
  assert.deepEqual([...captured.alpha_mask.data], [1, 1, 0, 0, 1, 1, 0, 0]);
  assert.deepEqual([...captured.red_mask.data], [0, 0, 1, 1, 0, 0, 1, 1]);
  const v = executor.validate({ "1": { class_type: "LoadImage", inputs: { image: "nope.png" } }, "2": { class_type: "PreviewImage", inputs: { images: ["1", 0] } } });
  assert.equal(v.node_errors["1"].errors[0].type, "missing_input_file");
  assert.ok(v.node_errors["1"].errors[0].message.includes(paths.input));
  const escape = executor.validate({ "1": { class_type: "LoadImage", inputs: { image: "../x.png" } }, "2": { class_type: "PreviewImage", inputs: { images: ["1", 0] } } });
  assert.equal(escape.ok, false);
});

test("Inpaint: the kept region survives exactly, the model gets GLIDE's keep-mask", async () => {
  const { executor, paths, calls, registry } = setup();
  // 8×8 source: a gradient; mask: repaint the bottom half (white rows 4..7).
  writePng(path.join(paths.input, "src.png"), 8, 8, 3, (x, y, px) => px.set([x * 30, y * 30, 128]));
  writePng(path.join(paths.input, "m.png"), 8, 8, 3, (x, y, px) => px.fill(y >= 4 ? 255 : 0));
  let out;
  registry.register({
    name: "Grab", display_name: "", description: "", category: "test", output_node: true,
    input: { required: { image: ["IMAGE"] } }, output: [], execute: ({ image }) => { out = image; return {}; },
  });
  const r = await executor.run({
    "1": { class_type: "FakeCheckpoint", inputs: { kind: "base-inpaint", size: 8 } },
    "2": { class_type: "LoadImage", inputs: { image: "src.png" } },
    "3": { class_type: "LoadMask", inputs: { image: "m.png", channel: "red" } },
    "4": { class_type: "TextEncode", inputs: { model: ["1", 0], text: "grass" } },
    "5": { class_type: "Guidance", inputs: { positive: ["4", 0], scale: 5 } },
    "6": { class_type: "Inpaint", inputs: { model: ["1", 0], image: ["2", 0], mask: ["3", 0], guidance: ["5", 0], respacing: "4", seed: 3 } },
    "7": { class_type: "Grab", inputs: { image: ["6", 0] } },
  }, { promptId: "inp" });
  assert.equal(r.status, "success", JSON.stringify(r.error));
  assert.deepEqual(calls.find((c) => c.inpaintMask).inpaintMask, [2, 1, 8, 8]);
  assert.deepEqual(out.shape, [1, 8, 8, 3]);
  let worstKept = 0;
  let changed = 0;
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) {
    const want = [x * 30, y * 30, 128];
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(out.data[(y * 8 + x) * 3 + c] * 255 - want[c]);
      if (y < 4) worstKept = Math.max(worstKept, d);
      else if (d > 2) changed++;
    }
  }
  assert.ok(worstKept < 0.01, `kept region moved by ${worstKept} levels`);
  assert.ok(changed > 20, "the repainted region changed");

  // The upsample-inpaint model needs low_res.
  const bad = await executor.run({
    "1": { class_type: "FakeCheckpoint", inputs: { kind: "upsample-inpaint", size: 16 } },
    "2": { class_type: "LoadImage", inputs: { image: "src.png" } },
    "4": { class_type: "TextEncode", inputs: { model: ["1", 0], text: "grass" } },
    "6": { class_type: "Inpaint", inputs: { model: ["1", 0], image: ["2", 0], mask: ["2", 1], conditioning: ["4", 0], respacing: "4", seed: 3 } },
    "7": { class_type: "Grab", inputs: { image: ["6", 0] } },
  }, { promptId: "inp2" });
  assert.match(bad.error.message, /needs low_res/);
});

test("ImageResize and the resampler: sizes, constants stay constant, nearest picks pixels", async () => {
  const img = { shape: [1, 4, 4, 3], data: new Float32Array(48).fill(0.25) };
  const up = resizeImage(img, 10, 6, "bicubic");
  assert.deepEqual(up.shape, [1, 6, 10, 3]);
  assert.ok(up.data.every((v) => Math.abs(v - 0.25) < 1e-6));
  const ramp = { shape: [1, 1, 4, 1], data: new Float32Array([0, 1, 2, 3]) };
  assert.deepEqual([...resizeImage(ramp, 2, 1, "nearest").data], [1, 3]);
  assert.deepEqual([...resizeImage(ramp, 2, 1, "area").data], [0.5, 2.5]);
  assert.deepEqual([...resizeImage(ramp, 8, 1, "nearest").data], [0, 0, 1, 1, 2, 2, 3, 3]);
  const { executor, registry } = setup();
  let out;
  registry.register({ name: "Grab", display_name: "", description: "", category: "test", output_node: true, input: { required: { image: ["IMAGE"] } }, output: [], execute: ({ image }) => { out = image; return {}; } });
  const r = await executor.run({
    "1": { class_type: "FakeCheckpoint", inputs: { kind: "base", size: 8 } },
    "2": { class_type: "TextEncode", inputs: { model: ["1", 0], text: "x" } },
    "3": { class_type: "Sample", inputs: { model: ["1", 0], conditioning: ["2", 0], respacing: "2", sampler: "ddim", eta: 0, seed: 1, batch_size: 1 } },
    "4": { class_type: "ImageResize", inputs: { image: ["3", 0], width: 12, height: 5, method: "lanczos" } },
    "5": { class_type: "Grab", inputs: { image: ["4", 0] } },
  }, { promptId: "rs" });
  assert.equal(r.status, "success", JSON.stringify(r.error));
  assert.deepEqual(out.shape, [1, 5, 12, 3]);
  assert.ok(out.data.every((v) => v >= 0 && v <= 1));
});

test("SaveImage: sub-folder prefixes, counters continue, prefixes cannot escape the output folder", async () => {
  const { executor, paths } = setup();
  const p = t2i();
  p["5"].inputs.batch_size = 1;
  p["6"].inputs.filename_prefix = "runs/day1/img";
  const a = await executor.run(p, { promptId: "s1" });
  assert.deepEqual(a.outputs["6"].images, [{ filename: "img_00001_.png", subfolder: "runs/day1", type: "output" }]);
  p["5"].inputs.seed = 99;
  const b = await executor.run(p, { promptId: "s2" });
  assert.equal(b.outputs["6"].images[0].filename, "img_00002_.png");
  assert.deepEqual(fs.readdirSync(path.join(paths.output, "runs/day1")).sort(), ["img_00001_.png", "img_00002_.png"], "no temp files left");
  p["6"].inputs.filename_prefix = "../../evil";
  const c = await executor.run(p, { promptId: "s3" });
  assert.equal(c.status, "error");
  assert.match(c.error.message, /outside the folder/);
});

test("PNG decoding: palette, 16-bit gray with alpha, low bit depths", () => {
  const pal = encodePng({ width: 2, height: 1, data: new Uint8Array([0, 1]), channels: 1, depth: 8, palette: [[255, 0, 0], [0, 0, 255]] });
  const d1 = decodePngImage(pal);
  assert.deepEqual([...d1.rgb], [1, 0, 0, 0, 0, 1]);
  const g16 = encodePng({ width: 1, height: 1, data: new Uint16Array([65535, 0]), channels: 2, depth: 16 });
  const d2 = decodePngImage(g16);
  assert.deepEqual([...d2.rgb], [1, 1, 1]);
  assert.deepEqual([...d2.alpha], [0]);
  const g1 = encodePng({ width: 3, height: 1, data: new Uint8Array([0b10100000]), channels: 1, depth: 1 });
  assert.deepEqual([...decodePngImage(g1).rgb], [1, 1, 1, 0, 0, 0, 1, 1, 1]);
  const bytes = fs.readFileSync(new URL("../workflows/assets/grass.png", import.meta.url));
  const grass = decodePngImage(bytes);
  const raw = decodePng(bytes);
  assert.deepEqual([grass.width, grass.height], [256, 256]);
  assert.equal(grass.rgb[3 * 1000 + 1], Math.fround(raw.data[raw.channels * 1000 + 1] / 255));
});

test("Inpaint prepares the shipped grass workflow's image and mask as the official notebook did", async () => {
  // sampling/inpaint_*/source_image and source_mask are the notebook's PIL-bicubic-resized grass.png and
  // its keep-mask; PIL works in 8-bit fixed point, so a pixel may differ by one level.
  const assets = new URL("../workflows/assets/", import.meta.url);
  for (const [run, kind, size] of [["inpaint_base", "base-inpaint", 32], ["inpaint_upsample", "upsample-inpaint", 64]]) {
    const { executor, paths, calls } = setup();
    for (const f of ["grass.png", "grass_mask.png"]) fs.copyFileSync(new URL(f, assets), path.join(paths.input, f));
    const r = await executor.run({
      "1": { class_type: "FakeCheckpoint", inputs: { kind, size } },
      "2": { class_type: "LoadImage", inputs: { image: "grass.png" } },
      "3": { class_type: "LoadMask", inputs: { image: "grass_mask.png", channel: "red" } },
      "4": { class_type: "TextEncode", inputs: { model: ["1", 0], text: "a corgi in a field" } },
      "5": { class_type: "Inpaint", inputs: { model: ["1", 0], image: ["2", 0], mask: ["3", 0], conditioning: ["4", 0], respacing: "2", seed: 0, ...(kind === "upsample-inpaint" ? { low_res: ["2", 0] } : {}) } },
      "6": { class_type: "PreviewImage", inputs: { images: ["5", 0] } },
    }, { promptId: run });
    assert.equal(r.status, "success", JSON.stringify(r.error));
    const { image, mask } = calls.find((c) => c.inpaint).inpaint;
    const refImage = loadTensor(`sampling/${run}/source_image.npy`);
    const refMask = loadTensor(`sampling/${run}/source_mask.npy`);
    assert.deepEqual(mask.shape, refMask.shape);
    assert.deepEqual([...mask.data], [...refMask.data], `${run}: keep-mask`);
    let worst = 0;
    let exact = 0;
    const plane = size * size;
    for (let i = 0; i < refImage.data.length; i++) {
      const want = refImage.data[i] * refMask.data[i % plane]; // the model sees image·mask
      const d = Math.abs(image.data[i] - want) * 127.5;
      worst = Math.max(worst, d);
      if (d < 1e-3) exact++;
    }
    assert.ok(worst <= 1 + 1e-4, `${run}: worst pixel ${worst} levels off`);
    assert.ok(exact / refImage.data.length > 0.85, `${run}: only ${exact} of ${refImage.data.length} values exact`);
  }
});
