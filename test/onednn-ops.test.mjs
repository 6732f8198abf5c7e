// Each op of the oneDNN backend against the portable reference kernels on random inputs, at shapes the
// fixture models do not reach: channel tails, odd and wide attention heads, long text prefixes, strided
// and 1×1 convolutions, a large GroupNorm offset. fp32 must agree to float32 rounding; bf16 within its
// 8-bit mantissa. Skips with the reason on a build without oneDNN (or bf16 where the CPU lacks it).
import test from "node:test";
import assert from "node:assert/strict";
import { native } from "glide-studio";

const info = native.runtimeInfo();
const skip = info.onednn ? false : "this build has no oneDNN backend (libdnnl-dev was not found at build time)";
const skipBf16 = skip || (info.bf16 ? false : `this CPU has no native bf16 (oneDNN runs ${info.isa})`);
if (skip) console.log(`# oneDNN op tests skipped: ${skip}`);

const CASES = [
  ["conv2d 3×3", "conv2d", { n: 2, c: 48, h: 9, w: 7, o: 40, k: 3 }],
  ["conv2d 3×3 stride 2", "conv2d", { n: 1, c: 32, h: 16, w: 12, o: 32, k: 3, stride: 2, pad: 1 }],
  ["conv2d 1×1 (Conv1d over text)", "conv2d", { n: 2, c: 24, h: 77, w: 1, o: 64, k: 1 }],
  ["conv2d from 3 channels", "conv2d", { n: 1, c: 3, h: 20, w: 20, o: 32, k: 3 }],
  ["linear", "linear", { m: 5, k: 40, o: 72 }],
  ["group_norm", "group_norm", { n: 2, c: 64, h: 5, w: 7 }],
  ["group_norm + SiLU + scale-shift", "group_norm", { n: 2, c: 96, h: 8, w: 8, silu: true, scaleShift: true }],
  // bf16 cannot store 300 ± 0.5 (its spacing there is 2): fp32 only, and the portable reference folds the
  // mean into one multiply-add (x·a + b with |x·a| ≈ 1000), so it is itself only good to ~1e-4 here.
  ["group_norm with a large offset", "group_norm", { n: 1, c: 32, h: 16, w: 16, offset: 300 }, { fp32Only: true, rtol: 1e-4 }],
  ["attention, text prefix", "attention", { n: 2, heads: 3, d: 16, len: 50, t: 20 }],
  ["attention, odd head width", "attention", { n: 1, heads: 2, d: 7, len: 19, t: 5 }],
  ["attention, wide heads", "attention", { n: 1, heads: 1, d: 80, len: 33 }],
  ["attention, tokens first (text transformer)", "attention", { n: 2, heads: 4, d: 12, len: 24, tokensFirst: true }],
  ["add", "add", { n: 2, c: 40, h: 3, w: 5 }],
  ["add, broadcast over space", "add", { n: 2, c: 40, h: 3, w: 5, broadcast: true }],
  ["concat channels", "concat", { n: 2, c: 24, c2: 40, h: 3, w: 4 }],
  ["upsample_nearest2x", "upsample_nearest2x", { n: 1, c: 40, h: 3, w: 5 }],
  ["avg_pool2x2", "avg_pool2x2", { n: 2, c: 40, h: 6, w: 4 }],
  ["silu", "silu", { n: 1, c: 24, h: 5, w: 5 }],
];

for (const [label, op, params, { fp32Only = false, rtol = 1e-5 } = {}] of CASES) {
  test(`${label}: oneDNN fp32 = portable (≤ ${rtol})`, { skip }, async (t) => {
    const r = await native.onednnOpCheck(op, params, "fp32");
    t.diagnostic(`rel ${r.rel.toExponential(2)}, max |diff| ${r.maxAbs.toExponential(2)}`);
    assert.ok(r.rel <= rtol, `${label}: relative error ${r.rel}`);
  });
  if (fp32Only) continue;
  test(`${label}: oneDNN bf16 ≈ portable (≤ 1.5e-2)`, { skip: skipBf16 }, async (t) => {
    const r = await native.onednnOpCheck(op, params, "bf16");
    t.diagnostic(`rel ${r.rel.toExponential(2)}, max |diff| ${r.maxAbs.toExponential(2)}`);
    assert.ok(r.rel <= 1.5e-2, `${label}: relative error ${r.rel}`);
  });
}

test("onednnOpCheck names an unknown op", { skip }, async () => {
  await assert.rejects(native.onednnOpCheck("nope", { n: 1, c: 1, h: 1, w: 1 }, "fp32"), /unknown op 'nope'/);
});
