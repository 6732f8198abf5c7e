// Acceptance: the official sampling runs of test/fixtures/glide/sampling reproduced with the fixture
// checkpoints and the recorded noise — per step (reference x_t[j−1] in, x_t[j] out, ≤ 1e-4 relative) and
// end to end (final samples ≤ 1e-3 relative) — plus seeded determinism across runs and thread counts.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { execFileSync } from "node:child_process";
import { loadModel, sample, createSampler } from "glide-studio";
import { fixture, loadNpy, loadTensor } from "./helpers/npy.mjs";
import { assertClose } from "./helpers/compare.mjs";
import { manifest, runModel, runOptions, tokenRows } from "./helpers/sampling_runs.mjs";
import { stepAllowance } from "./helpers/step-tolerance.mjs";

const RUNS = ["t2i_cfg_27", "t2i_cfg_10", "ddim", "upsample", "inpaint_base", "inpaint_upsample"];

const models = new Map();
/** Fixture model by manifest name, loaded once, with the manifest's full config. */
async function model(name) {
  if (!models.has(name)) models.set(name, await loadModel(fixture(`checkpoints/${name}.pt`), { config: manifest.configs[name], precision: "fp32" }));
  return models.get(name);
}

for (const run of RUNS) {
  test(`${run}: every step from the reference x_t[j-1] matches x_t[j] (≤ 1e-4)`, async () => {
    const dir = `sampling/${run}`;
    const sampler = await createSampler(await model(runModel(run)), runOptions(run));
    try {
      const xt = loadTensor(`${dir}/x_t`);
      const [K, ...shape] = xt.shape;
      assert.equal(sampler.total, K);
      const per = xt.data.length / K;
      const at = (t, j) => ({ shape, data: t.data.subarray(j * per, (j + 1) * per) });
      const init = await sampler.initial();
      const xT = fs.existsSync(fixture(`${dir}/x_T.npy`)) ? loadTensor(`${dir}/x_T`) : loadTensor(`${dir}/noise_init`);
      assert.deepEqual(Array.from(init.data), Array.from(xT.data), "x_T = temperature · noise_init, bit-exact");
      const pred = fs.existsSync(fixture(`${dir}/pred_xstart.npy`)) ? loadTensor(`${dir}/pred_xstart`) : undefined;
      const stepT = Array.from(loadNpy(`${dir}/step_t_original`).data, Number);
      let worst = 0;
      for (let j = 0; j < K; j++) {
        const out = await sampler.step(j, j === 0 ? xT : at(xt, j - 1));
        assert.equal(out.timestep, stepT[j], `step ${j} timestep`);
        const allow = stepAllowance(runModel(run), manifest.runs[run].respacing, j);
        const { rel } = assertClose(out.x, at(xt, j), { rtol: 1e-4, elementAtol: allow.x, label: `${run} x_t[${j}]` });
        if (pred) assertClose(out.pred, at(pred, j), { rtol: 1e-4, atol: allow.pred, label: `${run} pred_xstart[${j}]` });
        worst = Math.max(worst, rel);
      }
      console.log(`# ${run}: worst per-step relative error ${worst.toExponential(2)} over ${K} steps`);
    } finally {
      sampler.dispose();
    }
  });

  test(`${run}: sample() end to end matches the reference samples (≤ 1e-3)`, async () => {
    const { samples } = await sample(await model(runModel(run)), runOptions(run));
    const { rel } = assertClose(samples, loadTensor(`sampling/${run}/samples`), { rtol: 1e-3, label: `${run} samples` });
    console.log(`# ${run}: end-to-end relative error ${rel.toExponential(2)}`);
  });
}

test("clip_guided: the gradientGuidance hook with the recorded cond_fn gradients reproduces the run", async () => {
  // The CLIP model is issue 6's; here the recorded gradients (taken at the reference x_t[j-1]) stand in
  // for it, which checks where and how the loop applies a gradient (condition_mean at the step input).
  const dir = "sampling/clip_guided";
  const r = manifest.runs.clip_guided;
  const grads = loadTensor(`${dir}/cond_grad`);
  const gradT = Array.from(loadNpy(`${dir}/cond_grad_t`).data, Number);
  const [K, ...shape] = grads.shape;
  const per = grads.data.length / K;
  const at = (t, j) => ({ shape, data: t.data.subarray(j * per, (j + 1) * per) });
  let calls = 0;
  const gradientGuidance = {
    async gradient(x, timesteps) {
      const j = calls++;
      assert.deepEqual(x.shape, shape);
      assert.deepEqual(timesteps, [gradT[2 * j], gradT[2 * j + 1]]);
      return at(grads, j);
    },
  };
  const options = {
    prompts: { tokens: tokenRows(`${dir}/tokens`, 0, 2), mask: tokenRows(`${dir}/mask`, 0, 2) }, respacing: r.respacing,
    noise: { init: loadTensor(`${dir}/noise_init`), steps: loadTensor(`${dir}/noise_steps`) }, gradientGuidance,
  };
  const sampler = await createSampler(await model("base"), options);
  const xt = loadTensor(`${dir}/x_t`);
  const pred = loadTensor(`${dir}/pred_xstart`);
  try {
    for (let j = 0; j < K; j++) {
      const out = await sampler.step(j, j === 0 ? loadTensor(`${dir}/noise_init`) : at(xt, j - 1));
      const allow = stepAllowance("base", manifest.runs.clip_guided.respacing, j);
      assertClose(out.x, at(xt, j), { rtol: 1e-4, elementAtol: allow.x, label: `clip_guided x_t[${j}]` });
      assertClose(out.pred, at(pred, j), { rtol: 1e-4, atol: allow.pred, label: `clip_guided pred_xstart[${j}]` });
    }
  } finally {
    sampler.dispose();
  }
  calls = 0;
  const { samples } = await sample(await model("base"), options);
  assertClose(samples, loadTensor(`${dir}/samples`), { rtol: 1e-3, label: "clip_guided samples" });
});

test("t2i_cfg_10 from prompt strings and the default empty negative prompt", async () => {
  const r = manifest.runs.t2i_cfg_10;
  const { noise } = runOptions("t2i_cfg_10");
  const { samples } = await sample(await model("base"), { prompts: r.prompts, respacing: r.respacing, guidanceScale: r.guidance_scale, noise });
  assertClose(samples, loadTensor("sampling/t2i_cfg_10/samples"), { rtol: 1e-3, label: "t2i_cfg_10 samples" });
});

test("seeded sampling: identical run to run and across thread counts", async () => {
  const opts = { prompts: ["an oil painting of a corgi"], guidanceScale: 3, respacing: "4", noise: { seed: 1234 } };
  const a = await sample(await model("base"), opts);
  const b = await sample(await model("base"), opts);
  assert.deepEqual(Buffer.from(a.samples.data.buffer), Buffer.from(b.samples.data.buffer));
  const script = `
    const { loadModel, sample } = await import("glide-studio");
    const { createHash } = await import("node:crypto");
    const config = ${JSON.stringify(manifest.configs.base)};
    const m = await loadModel(${JSON.stringify(fixture("checkpoints/base.pt"))}, { config, precision: "fp32" });
    const { samples } = await sample(m, ${JSON.stringify(opts)});
    process.stdout.write(createHash("sha256").update(samples.data).digest("hex"));`;
  const hashes = ["1", "2", "3"].map((threads) =>
    execFileSync(process.execPath, ["--input-type=module", "-e", script], { env: { ...process.env, OMP_NUM_THREADS: threads }, encoding: "utf8" }));
  const here = (await import("node:crypto")).createHash("sha256").update(a.samples.data).digest("hex");
  assert.deepEqual(hashes, [here, here, here], "same seed, same bits for 1, 2 and 3 threads");
});
