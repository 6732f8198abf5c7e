// bf16 inference (oneDNN backend, AMX or AVX512-BF16): every fixture UNet's forward within 3e-2 relative of
// the float32 reference, and a bf16 sample of the fixture base model with the recorded noise next to the
// fp32 one (per-step and end-to-end errors printed). Skips with the reason where bf16 is unavailable.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { createSampler, loadModel, native, sample } from "glide-studio";
import { assertClose, relativeError } from "./helpers/compare.mjs";
import { UNETS, fixtureConfig, unetArgs } from "./helpers/model_fixtures.mjs";
import { fixture, loadInts, loadNpy, loadRows, loadTensor } from "./helpers/npy.mjs";

const info = native.runtimeInfo();
const skip = !info.onednn
  ? "this build has no oneDNN backend (libdnnl-dev was not found at build time): bf16 is unavailable"
  : !info.bf16
    ? `this CPU has no native bf16 (oneDNN runs ${info.isa}): bf16 is unavailable`
    : false;
if (skip) console.log(`# bf16 tests skipped: ${skip}`);

const BF16_RTOL = 3e-2;
const load = (name, precision, file = name) =>
  loadModel(fixture(`checkpoints/${file}.pt`), { config: fixtureConfig(name), precision });

/** assertClose that also prints the error. */
function report(t, actual, expected, label, rtol) {
  const { rel, worstErr } = assertClose(actual, expected, { rtol, label });
  t.diagnostic(`${label}: rel ${rel.toExponential(2)}, max |diff| ${worstErr.toExponential(2)}`);
  console.log(`# ${label}: relative error ${rel.toExponential(2)} (limit ${rtol})`);
  return rel;
}

for (const { name } of UNETS) {
  test(`${name}: the bf16 forward is within ${BF16_RTOL} of the reference`, { skip }, async (t) => {
    const model = await load(name, "bf16");
    try {
      assert.equal(model.precision, "bf16");
      const out = await model.forward(unetArgs(name));
      assert.ok(out.data.every(Number.isFinite), "non-finite output");
      report(t, out, loadTensor(`unet/${name}_out`), `bf16 ${name} out`, BF16_RTOL);
    } finally {
      model.dispose();
    }
  });
}

test("general architecture: the bf16 forward is within 3e-2 of the reference", { skip }, async (t) => {
  const dir = "../general";
  const config = JSON.parse(fs.readFileSync(fixture(`${dir}/config.json`), "utf8"));
  const model = await loadModel(fixture(`${dir}/general.pt`), { config, precision: "bf16" });
  try {
    const out = await model.forward({
      x: loadTensor(`${dir}/x`), timesteps: loadInts(`${dir}/timesteps`), tokens: loadRows(`${dir}/tokens`),
      mask: loadRows(`${dir}/mask`), lowRes: loadTensor(`${dir}/low_res`),
    });
    report(t, out, loadTensor(`${dir}/out`), "bf16 general out", BF16_RTOL);
  } finally {
    model.dispose();
  }
});

test("bf16 text encoder outputs are within 3e-2 of the reference", { skip }, async (t) => {
  const model = await load("base", "bf16");
  try {
    const tokens = loadRows("text_emb/base_tokens");
    const mask = loadRows("text_emb/base_mask");
    const { xfProj, xfOut } = await model.encodeText({ tokens, mask });
    report(t, xfProj, loadTensor("text_emb/base_xf_proj"), "bf16 base xf_proj", BF16_RTOL);
    report(t, xfOut, loadTensor("text_emb/base_xf_out"), "bf16 base xf_out", BF16_RTOL);
  } finally {
    model.dispose();
  }
});

// The recorded classifier-free-guided run t2i_cfg_27 (27 steps, guidance 3) replayed with its noise.
function cfgRun() {
  const run = "t2i_cfg_27";
  const r = JSON.parse(fs.readFileSync(fixture("manifest.json"), "utf8")).runs[run];
  const dir = `sampling/${run}`;
  const rows = (file, from, to) => {
    const { shape, data, dtype } = loadNpy(`${dir}/${file}`);
    return Array.from({ length: to - from }, (_, i) =>
      Array.from(data.subarray((from + i) * shape[1], (from + i + 1) * shape[1]), (v) => (dtype === "|b1" ? v !== 0 : Number(v))));
  };
  const batch = loadNpy(`${dir}/tokens`).shape[0] / 2;
  return {
    dir,
    options: {
      prompts: { tokens: rows("tokens", 0, batch), mask: rows("mask", 0, batch) },
      negativePrompt: { tokens: rows("tokens", batch, 2 * batch), mask: rows("mask", batch, 2 * batch) },
      guidanceScale: r.guidance_scale, respacing: r.respacing, clipDenoised: r.clip_denoised,
      noise: { init: loadTensor(`${dir}/noise_init`), steps: loadTensor(`${dir}/noise_steps`) },
    },
  };
}

test("a bf16 sample of the fixture base model with replayed noise, next to fp32", { skip }, async (t) => {
  const { dir, options } = cfgRun();
  const reference = loadTensor(`${dir}/samples`);
  const xt = loadTensor(`${dir}/x_t`);
  const [K, ...shape] = xt.shape;
  const per = xt.data.length / K;
  const at = (j) => ({ shape, data: xt.data.subarray(j * per, (j + 1) * per) });
  const results = {};
  for (const precision of ["fp32", "bf16"]) {
    const model = await load("base", precision);
    try {
      // Per step from the reference x_t[j-1]: the error one bf16 step adds.
      const sampler = await createSampler(model, options);
      let worstStep = 0;
      try {
        for (let j = 0; j < K; j++) {
          const out = await sampler.step(j, j === 0 ? options.noise.init : at(j - 1));
          worstStep = Math.max(worstStep, relativeError(out.x.data, at(j).data).rel);
        }
      } finally {
        sampler.dispose();
      }
      const { samples } = await sample(model, options);
      results[precision] = { worstStep, endToEnd: assertClose(samples, reference, { rtol: precision === "fp32" ? 1e-3 : 0.25, elementTol: 2, label: `${precision} samples` }).rel };
    } finally {
      model.dispose();
    }
  }
  for (const [precision, r] of Object.entries(results)) {
    const line = `t2i_cfg_27 ${precision}: worst per-step relative error ${r.worstStep.toExponential(2)}, final samples ${r.endToEnd.toExponential(2)}`;
    t.diagnostic(line);
    console.log(`# ${line}`);
  }
  assert.ok(results.bf16.worstStep <= BF16_RTOL, `a bf16 step strays ${results.bf16.worstStep} from the reference`);
});
