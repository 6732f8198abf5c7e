// The oneDNN backend (native/ops/onednn) in fp32 against the portable kernels (GLIDE_KERNELS=portable)
// and the fixtures: the four fixture UNets, the general architecture (stride-2 convs, broadcast
// time embedding, attention at full resolution), another input size (weights re-packed for a new
// layout), the text encoder; precision resolution and the slow-path notice. The oneDNN checks skip
// with the reason on a build without oneDNN.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { loadModel, native } from "glide-studio";
import { assertClose } from "./helpers/compare.mjs";
import { UNETS, fixtureConfig, unetArgs } from "./helpers/model_fixtures.mjs";
import { fixture, loadInts, loadRows, loadTensor } from "./helpers/npy.mjs";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const info = native.runtimeInfo();
const skip = info.onednn ? false : "this build has no oneDNN backend (libdnnl-dev was not found at build time)";
if (skip) console.log(`# oneDNN tests skipped: ${skip}`);

/** loadModel with the portable kernels forced (the reference path). */
async function loadPortable(file, opts) {
  const saved = process.env.GLIDE_KERNELS;
  process.env.GLIDE_KERNELS = "portable";
  try {
    return await loadModel(file, opts);
  } finally {
    if (saved === undefined) delete process.env.GLIDE_KERNELS;
    else process.env.GLIDE_KERNELS = saved;
  }
}

function report(t, actual, expected, label, rtol = 1e-4) {
  const { rel, worstErr } = assertClose(actual, expected, { rtol, label });
  t.diagnostic(`${label}: rel ${rel.toExponential(2)}, max |diff| ${worstErr.toExponential(2)}`);
}

test("runtimeInfo describes the native runtime", () => {
  assert.equal(typeof info.onednn, "boolean");
  assert.ok(Number.isInteger(info.threads) && info.threads >= 1);
  if (info.onednn) {
    assert.match(info.onednnVersion, /^\d+\.\d+\.\d+$/);
    assert.match(info.isa, /^(sse41|avx|avx2|avx2_vnni|avx512_\w+)$/);
    assert.ok(!info.amx || info.bf16, "AMX implies native bf16");
    assert.ok(!info.bf16Preferred || info.bf16, "bf16 is only preferred where it is native");
  } else {
    assert.equal(info.bf16, false);
    assert.equal(info.amx, false);
    assert.equal(info.bf16Preferred, false);
  }
  console.log(`# runtime: ${JSON.stringify(info)}`);
});

for (const { name } of UNETS) {
  test(`${name}: oneDNN fp32 matches the reference and the portable kernels (≤ 1e-4)`, { skip }, async (t) => {
    const file = fixture(`checkpoints/${name}.pt`);
    const config = fixtureConfig(name);
    const fast = await loadModel(file, { config, precision: "fp32" });
    const portable = await loadPortable(file, { config, precision: "fp32" });
    try {
      const args = unetArgs(name);
      const ours = await fast.forward(args);
      report(t, ours, loadTensor(`unet/${name}_out`), `onednn ${name} out`);
      report(t, ours, await portable.forward(args), `onednn vs portable ${name}`);
    } finally {
      fast.dispose();
      portable.dispose();
    }
  });
}

test("oneDNN fp32 per-block trace of the base model matches the reference", { skip }, async (t) => {
  const model = await loadModel(fixture("checkpoints/base.pt"), { config: fixtureConfig("base"), precision: "fp32" });
  try {
    const traced = await model.forwardTrace(unetArgs("base", 0, 1));
    const names = fs.readdirSync(fixture("trace")).filter((f) => f.startsWith("base_")).map((f) => f.slice(5, -4));
    for (const name of names) report(t, traced[name], loadTensor(`trace/base_${name}`), `trace ${name}`);
  } finally {
    model.dispose();
  }
});

const GENERAL = "../general";
test("general architecture: oneDNN fp32 matches its reference, and the portable kernels at another size", { skip }, async (t) => {
  const config = JSON.parse(fs.readFileSync(fixture(`${GENERAL}/config.json`), "utf8"));
  const file = fixture(`${GENERAL}/general.pt`);
  const fast = await loadModel(file, { config, precision: "fp32" });
  const portable = await loadPortable(file, { config });
  try {
    const tokens = loadRows(`${GENERAL}/tokens`);
    const mask = loadRows(`${GENERAL}/mask`);
    const { xfProj, xfOut } = await fast.encodeText({ tokens, mask });
    report(t, xfProj, loadTensor(`${GENERAL}/xf_proj`), "general xf_proj");
    report(t, xfOut, loadTensor(`${GENERAL}/xf_out`), "general xf_out");
    const args = { x: loadTensor(`${GENERAL}/x`), timesteps: loadInts(`${GENERAL}/timesteps`), tokens, mask, lowRes: loadTensor(`${GENERAL}/low_res`) };
    report(t, await fast.forward(args), loadTensor(`${GENERAL}/out`), "general out");
    // A second size after the first: the weights packed for one layout are re-packed for the other.
    const n = 1, h = 16, w = 24;
    const x = { shape: [n, 3, h, w], data: Float32Array.from({ length: n * 3 * h * w }, (_, i) => Math.sin(i * 0.7)) };
    const lowRes = { shape: [n, 3, 8, 8], data: Float32Array.from({ length: n * 3 * 64 }, (_, i) => Math.cos(i * 0.3)) };
    const other = { x, timesteps: [321], tokens: tokens.slice(0, 1), mask: mask.slice(0, 1), lowRes };
    report(t, await fast.forward(other), await portable.forward(other), "general 16×24 onednn vs portable");
    report(t, await fast.forward(args), loadTensor(`${GENERAL}/out`), "general out again after the other size");
  } finally {
    fast.dispose();
    portable.dispose();
  }
});

test("precision: 'auto' is bf16 only where it is the faster precision; unknown precisions are refused", async () => {
  const file = fixture("checkpoints/base.pt");
  const model = await loadModel(file, { config: fixtureConfig("base") });
  try {
    assert.equal(model.precision, info.onednn && info.bf16Preferred ? "bf16" : "fp32");
  } finally {
    model.dispose();
  }
  await assert.rejects(loadModel(file, { precision: "int8" }), /precision "int8" is not one of "auto", "fp32", "bf16"/);
  await assert.rejects(loadPortable(file, { precision: "bf16" }), /precision "bf16" is not available: GLIDE_KERNELS=portable is set/);
  if (!info.onednn) await assert.rejects(loadModel(file, { precision: "bf16" }), /no oneDNN backend/);
});

test("the portable kernels say once, on the first model load, that they are the slow path", () => {
  const script = `
    import { loadModel } from "glide-studio";
    const file = ${JSON.stringify(fixture("checkpoints/base.pt"))};
    const config = ${JSON.stringify(fixtureConfig("base"))};
    (await loadModel(file, { config })).dispose();
    (await loadModel(file, { config })).dispose();`;
  const run = (env) => spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, env: { ...process.env, ...env }, encoding: "utf8" });
  const portable = run({ GLIDE_KERNELS: "portable" });
  assert.equal(portable.status, 0, portable.stderr);
  assert.equal(portable.stderr.match(/portable fp32 kernels — the slow path/g)?.length, 1, portable.stderr);
  if (info.onednn) {
    const fast = run({ GLIDE_KERNELS: "" });
    assert.equal(fast.status, 0, fast.stderr);
    assert.doesNotMatch(fast.stderr, /slow path/);
  }
});
