// CLIP-guided sampling with the native CLIP against the reference run `sampling/clip_guided` (the official
// clip_guided notebook's p_sample_loop): the gradient and every step from the reference x_t[j-1] (≤ 1e-4),
// the whole run (≤ 1e-3), and CLIP guidance combined with classifier-free guidance.
import assert from "node:assert/strict";
import fs from "node:fs";
import test from "node:test";
import { createSampler, loadClip, loadModel, sample } from "glide-studio";
import { assertClose } from "./helpers/compare.mjs";
import { stepAllowance } from "./helpers/step-tolerance.mjs";
import { fixture, loadInts, loadRows, loadTensor } from "./helpers/npy.mjs";

const manifest = JSON.parse(fs.readFileSync(fixture("manifest.json"), "utf8"));
const DIR = "sampling/clip_guided";
const run = manifest.runs.clip_guided;

const base = loadModel(fixture("checkpoints/base.pt"), { config: manifest.configs.base, precision: "fp32" });
const clipModel = loadClip(fixture("checkpoints/clip_image_enc.pt"), fixture("checkpoints/clip_text_enc.pt"), {
  config: manifest.configs.clip,
});

function options(clip) {
  return {
    prompts: { tokens: loadRows(`${DIR}/tokens`), mask: loadRows(`${DIR}/mask`) },
    respacing: run.respacing,
    noise: { init: loadTensor(`${DIR}/noise_init`), steps: loadTensor(`${DIR}/noise_steps`) },
    clipGuidance: { clip, prompts: run.prompts, scale: run.guidance_scale },
  };
}

function step(t, j) {
  const [, ...shape] = t.shape;
  const per = t.data.length / t.shape[0];
  return { shape, data: t.data.subarray(j * per, (j + 1) * per) };
}

test("clip_guided: CLIP tokens, gradient and every step from the reference x_t[j-1] (≤ 1e-4)", async () => {
  const clip = await clipModel;
  assert.deepEqual(clip.tokenize(run.prompts), { tokens: loadRows(`${DIR}/clip_tokens`), lens: loadInts(`${DIR}/clip_lens`) });
  const xt = loadTensor(`${DIR}/x_t`);
  const pred = loadTensor(`${DIR}/pred_xstart`);
  const grads = loadTensor(`${DIR}/cond_grad`);
  const gradT = loadInts(`${DIR}/cond_grad_t`);
  const sampler = await createSampler(await base, options(clip));
  try {
    for (let j = 0; j < sampler.total; j++) {
      const x = j === 0 ? loadTensor(`${DIR}/noise_init`) : step(xt, j - 1);
      const grad = await clip.gradient(x, gradT.slice(2 * j, 2 * j + 2), run.prompts, run.guidance_scale);
      assertClose(grad, step(grads, j), { rtol: 1e-4, label: `cond_grad[${j}]` });
      const out = await sampler.step(j, x);
      const allow = stepAllowance("base", run.respacing, j);
      assertClose(out.x, step(xt, j), { rtol: 1e-4, elementAtol: allow.x, label: `x_t[${j}]` });
      assertClose(out.pred, step(pred, j), { rtol: 1e-4, atol: allow.pred, label: `pred_xstart[${j}]` });
    }
  } finally {
    sampler.dispose();
  }
});

test("clip_guided: sample() with clipGuidance reproduces the run end to end (≤ 1e-3)", async () => {
  const { samples } = await sample(await base, options(await clipModel));
  assertClose(samples, loadTensor(`${DIR}/samples`), { rtol: 1e-3, label: "clip_guided samples" });
});

test("CLIP guidance with classifier-free guidance: only the conditional rows are steered", async () => {
  const clip = await clipModel;
  const common = { prompts: run.prompts, respacing: "4", guidanceScale: 3, noise: { seed: 7 } };
  const plain = await createSampler(await base, common);
  const steered = await createSampler(await base, { ...common, clipGuidance: { clip, prompts: [run.prompts[0]], scale: 3 } });
  const none = await createSampler(await base, { ...common, clipGuidance: { clip, prompts: run.prompts, scale: 0 } });
  try {
    const x = await plain.initial();
    const a = await plain.step(0, x);
    const b = await steered.step(0, x);
    const c = await none.step(0, x);
    const half = x.data.length / 2;
    assert.deepEqual(c.x.data, a.x.data, "scale 0 changes nothing");
    assert.deepEqual(b.x.data.subarray(half), a.x.data.subarray(half), "the unconditional rows are not steered");
    const moved = b.x.data.subarray(0, half).some((v, i) => v !== a.x.data[i]);
    assert.ok(moved, "the conditional rows are steered");
  } finally {
    plain.dispose();
    steered.dispose();
    none.dispose();
  }
  await assert.rejects(
    sample(await base, { ...common, clipGuidance: { clip, prompts: ["a", "b", "c"], scale: 3 } }),
    /clipGuidance\.prompts must be 1 or 2 strings/,
  );
});

test.after(async () => {
  (await base).dispose();
  (await clipModel).dispose();
});
