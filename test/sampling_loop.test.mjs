// The sampling loop with a small deterministic stand-in model: CFG row layout, text embedded once,
// timestep order, seeded noise streams, replay, temperature, upsampler/inpainting plumbing, progress and
// cancellation. The real models are exercised by sampling_fixtures.test.mjs.
import test from "node:test";
import assert from "node:assert/strict";
import { sample, createSampler, createSchedule, randomNormal, isAbortError, SampleAbortedError } from "glide-studio";
import { referenceStep, coefAt } from "./sampling_reference.mjs";

const S = 8;
const PER_ROW = 3 * S * S;

/** A model whose output depends on x, the timestep and each row's text, recording what it is given. */
function fakeModel({ superRes = false, inpaint = false } = {}) {
  const calls = { tokenize: [], prepareText: [], forward: [], disposed: 0 };
  return {
    calls,
    kind: superRes ? (inpaint ? "upsample-inpaint" : "upsample") : inpaint ? "base-inpaint" : "base",
    config: { image_size: S, noise_schedule: superRes ? "linear" : "squaredcos_cap_v2", diffusion_steps: 1000, inpaint, super_res: superRes },
    tokenize(prompts) {
      calls.tokenize.push(prompts);
      return { tokens: prompts.map((p) => [p.length, 7, 7, 7]), mask: prompts.map((p) => [p.length > 0, false, false, false]) };
    },
    async prepareText(t) {
      calls.prepareText.push(t);
      return { batch: t.tokens.length, rowSignal: t.tokens.map((r) => r[0] / 10), dispose: () => calls.disposed++ };
    },
    async forward(a) {
      calls.forward.push(a);
      const rows = a.x.shape[0];
      const out = new Float32Array(rows * 2 * PER_ROW);
      for (let r = 0; r < rows; r++) for (let i = 0; i < PER_ROW; i++) {
        const x = a.x.data[r * PER_ROW + i];
        const extra = (a.lowRes ? a.lowRes.data[(r * PER_ROW + i) % a.lowRes.data.length] : 0) + (a.inpaintImage ? a.inpaintImage.data[r * PER_ROW + i] : 0);
        out[r * 2 * PER_ROW + i] = 0.6 * x + a.text.rowSignal[r] + a.timesteps[r] / 2000 + 0.1 * extra;
        out[r * 2 * PER_ROW + PER_ROW + i] = Math.tanh(x - 0.2 * a.text.rowSignal[r]);
      }
      return { shape: [rows, 6, S, S], data: out };
    },
  };
}

/** The loop written out with the JS reference step: what sample() must compute. */
async function referenceRun(model, { prompts, guidanceScale, respacing, seed, kind = "ddpm", eta = 0, temperature = 1 }) {
  const s = createSchedule(model.config.noise_schedule, 1000, respacing);
  const B = prompts.length, rows = guidanceScale === undefined ? B : 2 * B;
  const text = await model.prepareText(model.tokenize(guidanceScale === undefined ? prompts : [...prompts, ...prompts.map(() => "")]));
  let x = (await randomNormal(seed, [rows, 3, S, S], 0)).data.map((v) => Math.fround(v * Math.fround(temperature)));
  for (let j = 0; j < s.numTimesteps; j++) {
    const t = s.numTimesteps - 1 - j;
    const half = guidanceScale === undefined ? x : new Float32Array([...x.subarray(0, B * PER_ROW), ...x.subarray(0, B * PER_ROW)]);
    const out = await model.forward({ x: { shape: [rows, 3, S, S], data: half }, timesteps: new Array(rows).fill(s.timestepMap[t]), text });
    const noise = (await randomNormal(seed, [rows * PER_ROW], j + 1)).data;
    x = referenceStep({ kind, eta, rows, channels: 3, plane: S * S, x, modelOut: out.data, guidanceScale, clipDenoised: true, noise, coef: coefAt(s, t) }).x;
  }
  return x;
}

function maxRelDiff(a, b) {
  let m = 0, n = 0;
  for (let i = 0; i < b.length; i++) { m = Math.max(m, Math.abs(a[i] - b[i])); n = Math.max(n, Math.abs(b[i])); }
  return m / n;
}

test("guided DDPM: layout, text once, timestep order, seeded streams, result = first B rows", async () => {
  const model = fakeModel();
  const steps = [];
  const result = await sample(model, {
    prompts: ["a corgi", "a cube"], respacing: "10", guidanceScale: 3, noise: { seed: 5 },
    onStep: (p) => { steps.push({ step: p.step, total: p.total, timestep: p.timestep, shape: p.xt.shape, pred: p.pred.shape }); return true; },
  });
  assert.equal(result.seed, 5);
  assert.deepEqual(result.samples.shape, [2, 3, S, S]);
  assert.equal(model.calls.prepareText.length, 1, "text embedded once per sample");
  assert.equal(model.calls.disposed, 1, "text context disposed");
  assert.deepEqual(model.calls.prepareText[0].tokens.map((r) => r[0]), [7, 6, 0, 0], "conditional rows, then the empty prompt");
  assert.equal(model.calls.forward.length, 10);
  assert.deepEqual(model.calls.forward.map((c) => c.timesteps[0]), [999, 888, 777, 666, 555, 444, 333, 222, 111, 0]);
  for (const c of model.calls.forward) {
    assert.deepEqual(c.x.shape, [4, 3, S, S]);
    assert.deepEqual(Array.from(c.x.data.subarray(2 * PER_ROW)), Array.from(c.x.data.subarray(0, 2 * PER_ROW)), "the model sees cat([x[:B], x[:B]])");
  }
  assert.deepEqual(steps.map((s) => s.step), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(steps[0], { step: 1, total: 10, timestep: 999, shape: [2, 3, S, S], pred: [2, 3, S, S] });

  const ref = await referenceRun(fakeModel(), { prompts: ["a corgi", "a cube"], guidanceScale: 3, respacing: "10", seed: 5 });
  const rel = maxRelDiff(result.samples.data, ref.subarray(0, 2 * PER_ROW));
  assert.ok(rel < 1e-5, `sample() vs the reference loop: ${rel}`);
});

test("DDIM η>0 consumes stream j+1 at step j; temperature scales the initial draw", async () => {
  const opts = { prompts: ["x"], respacing: "ddim25", sampler: "ddim", eta: 0.5, temperature: 0.997, noise: { seed: 11n } };
  const result = await sample(fakeModel(), opts);
  const ref = await referenceRun(fakeModel(), { prompts: ["x"], respacing: "ddim25", seed: 11n, kind: "ddim", eta: 0.5, temperature: 0.997 });
  assert.ok(maxRelDiff(result.samples.data, ref) < 1e-5);
  const sampler = await createSampler(fakeModel(), opts);
  const init = await sampler.initial();
  const raw = (await randomNormal(11n, [1, 3, S, S])).data;
  assert.deepEqual(Array.from(init.data), Array.from(raw, (v) => Math.fround(v * Math.fround(0.997))));
  sampler.dispose();
});

test("seeded sampling is deterministic; another seed gives another image; a default seed is reported", async () => {
  const a = await sample(fakeModel(), { prompts: ["p"], respacing: "5", noise: { seed: 1 } });
  const b = await sample(fakeModel(), { prompts: ["p"], respacing: "5", noise: { seed: 1 } });
  const c = await sample(fakeModel(), { prompts: ["p"], respacing: "5", noise: { seed: 2 } });
  assert.deepEqual(Array.from(a.samples.data), Array.from(b.samples.data));
  assert.notDeepEqual(Array.from(a.samples.data), Array.from(c.samples.data));
  const d = await sample(fakeModel(), { prompts: ["p"], respacing: "5" });
  assert.ok(Number.isSafeInteger(d.seed));
  const e = await sample(fakeModel(), { prompts: ["p"], respacing: "5", noise: { seed: d.seed } });
  assert.deepEqual(Array.from(d.samples.data), Array.from(e.samples.data));
});

test("replayed noise: init and steps in the reference layout; shape errors name the option", async () => {
  const rows = 2, total = 5;
  const init = await randomNormal(3, [rows, 3, S, S], 0);
  const steps = { shape: [total, rows, 3, S, S], data: new Float32Array(total * rows * PER_ROW) };
  for (let j = 0; j < total; j++) steps.data.set((await randomNormal(3, [rows * PER_ROW], j + 1)).data, j * rows * PER_ROW);
  const replayed = await sample(fakeModel(), { prompts: ["p"], guidanceScale: 2, respacing: "5", noise: { init, steps } });
  const seeded = await sample(fakeModel(), { prompts: ["p"], guidanceScale: 2, respacing: "5", noise: { seed: 3 } });
  assert.deepEqual(Array.from(replayed.samples.data), Array.from(seeded.samples.data), "replaying the seeded draws reproduces the seeded run");
  assert.equal(replayed.seed, undefined);
  await assert.rejects(sample(fakeModel(), { prompts: ["p"], guidanceScale: 2, respacing: "5", noise: { init: { shape: [1, 3, S, S], data: new Float32Array(PER_ROW) } } }),
    /noise\.init must be a float32 tensor of shape \[2,3,8,8\] \(the reference layout: 2 rows/);
  await assert.rejects(sample(fakeModel(), { prompts: ["p"], guidanceScale: 2, respacing: "5", noise: { init } }), /needs noise\.steps \[5,2,3,8,8\] for ddpm/);
  // DDIM with η = 0 uses no step draws.
  const ddim = await sample(fakeModel(), { prompts: ["p"], guidanceScale: 2, respacing: "5", sampler: "ddim", noise: { init } });
  assert.deepEqual(ddim.samples.shape, [1, 3, S, S]);
});

test("cancellation: onStep returning false or an aborted signal rejects with an AbortError within one step", async () => {
  const model = fakeModel();
  const err = await sample(model, { prompts: ["p"], respacing: "10", noise: { seed: 1 }, onStep: (p) => p.step < 3 }).catch((e) => e);
  assert.ok(err instanceof SampleAbortedError && isAbortError(err), String(err));
  assert.equal(err.completedSteps, 3);
  assert.equal(model.calls.forward.length, 3);
  assert.equal(model.calls.disposed, 1, "text context freed on cancel");

  const reporter = fakeModel();
  let reported = 0;
  const finished = await sample(reporter, { prompts: ["p"], respacing: "10", onStep: () => { reported++; } });
  assert.equal(reported, 10, "a callback returning nothing only reports progress");
  assert.equal(finished.samples.shape[0], 1);

  const controller = new AbortController();
  const m2 = fakeModel();
  const err2 = await sample(m2, {
    prompts: ["p"], respacing: "10", signal: controller.signal,
    onStep: async (p) => { if (p.step === 4) controller.abort(new Error("user pressed stop")); return true; },
  }).catch((e) => e);
  assert.ok(isAbortError(err2));
  assert.equal(m2.calls.forward.length, 4);
  assert.equal(err2.cause.message, "user pressed stop");
  controller.abort();
  await assert.rejects(sample(fakeModel(), { prompts: ["p"], signal: controller.signal }), (e) => isAbortError(e) && e.completedSteps === 0);
});

test("upsampler: lowRes required, repeated per row; inpainting: known pixels written into x₀", async () => {
  const up = fakeModel({ superRes: true });
  await assert.rejects(sample(up, { prompts: ["p"] }), /upsampler; pass lowRes/);
  const lowRes = await randomNormal(9, [1, 3, 4, 4]);
  const r = await sample(up, { prompts: ["p", "q"], lowRes, guidanceScale: 1.5, respacing: "fast27", noise: { seed: 1 } });
  assert.deepEqual(r.samples.shape, [2, 3, S, S]);
  assert.equal(up.calls.forward.length, 27);
  assert.deepEqual(up.calls.forward[0].lowRes.shape, [4, 3, 4, 4]);
  await assert.rejects(sample(fakeModel(), { prompts: ["p"], lowRes }), /lowRes is for upsamplers/);

  const model = fakeModel({ inpaint: true });
  await assert.rejects(sample(model, { prompts: ["p"] }), /inpainting model; pass inpaint/);
  const image = { shape: [1, 3, S, S], data: (await randomNormal(4, [PER_ROW])).data.map(Math.tanh) };
  const mask = { shape: [1, 1, S, S], data: new Float32Array(S * S).map((_, i) => (i % 3 === 0 ? 1 : 0)) };
  const preds = [];
  await sample(model, {
    prompts: ["p"], guidanceScale: 5, respacing: "5", inpaint: { image, mask }, noise: { seed: 2 },
    onStep: (p) => { preds.push(Float32Array.from(p.pred.data)); return true; },
  });
  const given = model.calls.forward[0];
  assert.deepEqual(given.inpaintMask.shape, [2, 1, S, S]);
  for (let i = 0; i < PER_ROW; i++) {
    const m = mask.data[i % (S * S)];
    assert.equal(given.inpaintImage.data[i], Math.fround(image.data[i] * m), "the model gets image·mask");
    if (m === 1) for (const p of preds) assert.equal(p[i], Math.min(1, Math.max(-1, image.data[i])), "known pixel of x₀");
  }
  await assert.rejects(sample(model, { prompts: ["p"], inpaint: { image, mask: { shape: [1, 3, S, S], data: new Float32Array(PER_ROW) } } }), /inpaint\.mask must be \[1,1,8,8\]/);
});

test("option errors name the option", async () => {
  const m = fakeModel();
  await assert.rejects(sample(m, { prompts: [] }), /prompts must be a non-empty array/);
  await assert.rejects(sample(m, { prompts: ["p"], sampler: "euler" }), /sampler must be "ddpm" or "ddim"/);
  await assert.rejects(sample(m, { prompts: ["p"], eta: 0.5 }), /eta applies to the ddim sampler only/);
  await assert.rejects(sample(m, { prompts: ["p"], guidanceScale: NaN }), /guidanceScale must be a finite number/);
  await assert.rejects(sample(m, { prompts: ["p"], respacing: "ddim999" }), /ddim999/);
  await assert.rejects(sample(m, { prompts: ["p"], noise: { seed: -3 } }), /seed must be a non-negative/);
});
