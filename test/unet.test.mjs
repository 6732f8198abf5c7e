// UNet forward passes of all four fixture variants (+ the fp16 checkpoint), the base model's per-block
// trace, and a general architecture the official fixtures do not contain.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { loadModel } from "glide-studio";
import { assertClose } from "./helpers/compare.mjs";
import { fixture, loadInts, loadRows, loadTensor } from "./helpers/npy.mjs";
import { UNETS, loadFixtureModel, unetArgs } from "./helpers/model_fixtures.mjs";

/** assertClose (rel ≤ 1e-4) that also reports the error as a test diagnostic. */
function check(t, actual, expected, label) {
  const { rel, worstErr } = assertClose(actual, expected, { label });
  t.diagnostic(`${label}: rel ${rel.toExponential(2)}, max |diff| ${worstErr.toExponential(2)}`);
}

for (const { name } of UNETS) {
  test(`unet/${name}_out matches the reference`, async (t) => {
    const model = await loadFixtureModel(name);
    try {
      const out = await model.forward(unetArgs(name));
      check(t, out, loadTensor(`unet/${name}_out`), `${name} out`);
    } finally {
      model.dispose();
    }
  });
}

test("unet/base_fp16_out: the mixed float16/float32 checkpoint matches the reference", async (t) => {
  const model = await loadFixtureModel("base_fp16", "base");
  try {
    const out = await model.forward(unetArgs("base"));
    check(t, out, loadTensor("unet/base_fp16_out"), "base_fp16 out");
  } finally {
    model.dispose();
  }
});

test("a prepared TextContext gives the same output as tokens", async (t) => {
  const model = await loadFixtureModel("base_inpaint");
  try {
    const args = unetArgs("base_inpaint");
    const text = await model.prepareText({ tokens: args.tokens, mask: args.mask });
    const { tokens: _t, mask: _m, ...rest } = args;
    const out = await model.forward({ ...rest, text });
    check(t, out, loadTensor("unet/base_inpaint_out"), "base_inpaint out (TextContext)");
    text.dispose();
  } finally {
    model.dispose();
  }
});

test("trace/: every per-block intermediate of the base model matches the reference", async (t) => {
  const model = await loadFixtureModel("base");
  try {
    const traced = await model.forwardTrace(unetArgs("base", 0, 1));
    const names = fs
      .readdirSync(fixture("trace"))
      .filter((f) => f.startsWith("base_") && f.endsWith(".npy"))
      .map((f) => f.slice("base_".length, -".npy".length));
    assert.ok(names.length >= 16, `expected the full trace, found ${names.length} files`);
    for (const name of names) {
      assert.ok(traced[name], `forwardTrace has no '${name}' (has ${Object.keys(traced).join(", ")})`);
      check(t, traced[name], loadTensor(`trace/base_${name}`), `trace ${name}`);
    }
  } finally {
    model.dispose();
  }
});

// test/fixtures/general: super-res UNet with num_heads/num_heads_upsample (num_head_channels -1),
// resblock_updown false, use_scale_shift_norm false, channel_mult 1,2,3, 2 res blocks, attention at
// ds 1 and 4, xf without final LN or padding, bfloat16 weights; reference from train/glide_model.py
// (see test/tools/make_general_fixture.py).
const GENERAL = "../general";
test("a general architecture (heads from num_heads, no updown, no scale-shift, bf16) matches its reference", async (t) => {
  const config = JSON.parse(fs.readFileSync(fixture(`${GENERAL}/config.json`), "utf8"));
  const model = await loadModel(fixture(`${GENERAL}/general.pt`), { config, precision: "fp32" });
  try {
    assert.equal(model.kind, "upsample");
    assert.equal(model.config.num_head_channels, -1);
    assert.equal(model.config.num_heads_upsample, 2);
    const tokens = loadRows(`${GENERAL}/tokens`);
    const mask = loadRows(`${GENERAL}/mask`);
    const { xfProj, xfOut } = await model.encodeText({ tokens, mask });
    check(t, xfProj, loadTensor(`${GENERAL}/xf_proj`), "general xf_proj");
    check(t, xfOut, loadTensor(`${GENERAL}/xf_out`), "general xf_out");
    const out = await model.forward({
      x: loadTensor(`${GENERAL}/x`),
      timesteps: loadInts(`${GENERAL}/timesteps`),
      tokens,
      mask,
      lowRes: loadTensor(`${GENERAL}/low_res`),
    });
    assert.deepEqual(out.shape, [2, 6, 32, 32]);
    assert.ok(out.data.every(Number.isFinite), "output has non-finite values");
    check(t, out, loadTensor(`${GENERAL}/out`), "general out");
  } finally {
    model.dispose();
  }
});

test("the general model also runs at a size other than its image_size", async (t) => {
  const config = JSON.parse(fs.readFileSync(fixture(`${GENERAL}/config.json`), "utf8"));
  const model = await loadModel(fixture(`${GENERAL}/general.pt`), { config });
  try {
    const n = 1;
    const x = { shape: [n, 3, 16, 24], data: new Float32Array(n * 3 * 16 * 24).fill(0.25) };
    const lowRes = { shape: [n, 3, 8, 8], data: new Float32Array(n * 3 * 64).fill(-0.5) };
    const { tokens, mask } = model.tokenize(["a general test"]);
    const out = await model.forward({ x, timesteps: [500], tokens, mask, lowRes });
    assert.deepEqual(out.shape, [n, 6, 16, 24]);
    assert.ok(out.data.every(Number.isFinite));
  } finally {
    model.dispose();
  }
});
