// The native step kernel against a float32 JS transcription of the reference's p_sample / ddim_sample
// (with the notebooks' CFG model_fn and inpainting denoised_fn) on random inputs.
import test from "node:test";
import assert from "node:assert/strict";
import { native, createSchedule, randomNormal } from "glide-studio";
import { assertClose } from "./helpers/compare.mjs";
import { referenceStep, coefAt } from "./sampling_reference.mjs";

async function randomArgs({ kind, guided, inpaint, grad, t, eta = 0, seed }) {
  const rows = 4, C = 3, P = 8 * 8;
  const s = createSchedule("squaredcos_cap_v2", 1000, "27");
  const n = rows * C * P;
  const draw = async (stream, count) => (await randomNormal(seed, [count], stream)).data;
  const x = await draw(1, n);
  const modelOut = await draw(2, 2 * n);
  const maskBits = await draw(3, rows * P);
  const args = {
    kind, eta, rows, channels: C, plane: P, x, modelOut, clipDenoised: true,
    noise: await draw(4, n), coef: coefAt(s, t),
  };
  if (guided) args.guidanceScale = 3;
  if (inpaint) {
    args.inpaintMask = maskBits.map((v) => (v > 0 ? 1 : 0));
    args.inpaintImage = (await draw(5, n)).map((v, i) => Math.tanh(v) * args.inpaintMask[Math.floor(i / (C * P)) * P + (i % P)]);
  }
  if (grad) args.grad = (await draw(6, n)).map((v) => v * 0.1);
  return args;
}

const CASES = [
  { name: "ddpm unguided", kind: "ddpm", t: 20 },
  { name: "ddpm final step (no noise term)", kind: "ddpm", t: 0 },
  { name: "ddpm + CFG", kind: "ddpm", guided: true, t: 13 },
  { name: "ddpm + CFG + inpainting", kind: "ddpm", guided: true, inpaint: true, t: 5 },
  { name: "ddpm + gradient guidance", kind: "ddpm", grad: true, t: 9 },
  { name: "ddim η=0 + CFG", kind: "ddim", guided: true, t: 26 },
  { name: "ddim η=0.7", kind: "ddim", eta: 0.7, t: 11 },
  { name: "ddim η=1 + inpainting + gradient (condition_score)", kind: "ddim", eta: 1, inpaint: true, grad: true, t: 3 },
  { name: "ddim final step", kind: "ddim", eta: 0.5, t: 0 },
];

for (const [i, c] of CASES.entries()) {
  test(`step kernel: ${c.name}`, async () => {
    const args = await randomArgs({ ...c, seed: 100 + i });
    const ours = await native.samplerStep(args);
    const ref = referenceStep(args);
    const shape = [args.rows, 3, 8, 8];
    // float32 op by op; the native side may fuse multiply-adds, so allow a few ulps.
    assertClose({ shape, data: ours.x }, { shape, data: ref.x }, { rtol: 1e-6, label: `${c.name} x_next` });
    assertClose({ shape, data: ours.pred }, { shape, data: ref.pred }, { rtol: 1e-6, label: `${c.name} pred_xstart` });
  });
}

test("step kernel: argument errors are TypeErrors naming the argument", async () => {
  const args = await randomArgs({ kind: "ddpm", t: 5, seed: 1 });
  assert.throws(() => native.samplerStep({ ...args, x: args.x.subarray(1) }), /x has 767 elements, expected 768/);
  assert.throws(() => native.samplerStep({ ...args, kind: "euler" }), /kind must be "ddpm" or "ddim"/);
  assert.throws(() => native.samplerStep({ ...args, rows: 3, x: args.x.subarray(0, 576), modelOut: args.modelOut.subarray(0, 1152), noise: args.noise.subarray(0, 576), guidanceScale: 2 }), /2B rows/);
  await assert.rejects(() => native.samplerStep({ ...args, noise: undefined }), /needs noise/);
});
