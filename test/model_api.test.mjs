// The public model API: loadModel's kind/config, argument validation with clear errors, handles,
// native load-time checks, and that a forward runs off the JS thread.
import test from "node:test";
import assert from "node:assert/strict";
import { cudaStatus, loadModel, native, readCheckpointIndex, resolveGlideConfig } from "glide-studio";
import { fixture, loadRows } from "./helpers/npy.mjs";
import { UNETS, fixtureConfig, loadFixtureModel, unetArgs } from "./helpers/model_fixtures.mjs";

for (const { name, kind } of UNETS) {
  test(`loadModel(${name}.pt) reports kind ${kind} and the fixture config`, async () => {
    const model = await loadFixtureModel(name);
    try {
      const ref = fixtureConfig(name);
      assert.equal(model.kind, kind);
      assert.equal(model.path, fixture(`checkpoints/${name}.pt`));
      const c = model.config;
      assert.equal(c.num_channels, ref.num_channels);
      assert.equal(c.num_res_blocks, ref.num_res_blocks);
      assert.deepEqual(c.channel_mult, ref.channel_mult.split(",").map(Number));
      assert.deepEqual([...c.attention_resolutions].sort(), ref.attention_resolutions.split(",").map(Number).sort());
      assert.equal(c.image_size, ref.image_size);
      assert.equal(c.num_head_channels, ref.num_head_channels);
      assert.equal(c.xf_width, ref.xf_width);
      assert.equal(c.xf_layers, ref.xf_layers);
      assert.equal(c.xf_heads, ref.xf_heads);
      assert.equal(c.text_ctx, 128);
      assert.equal(c.n_vocab, 50257);
      assert.equal(c.inpaint, ref.inpaint);
      assert.equal(c.super_res, ref.super_res);
      assert.equal(c.noise_schedule, ref.noise_schedule);
      assert.equal(c.in_channels, 3 + (ref.inpaint ? 4 : 0) + (ref.super_res ? 3 : 0));
    } finally {
      model.dispose();
    }
  });
}

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

test("loadModel refuses precisions and devices this build does not have", async () => {
  const file = fixture("checkpoints/base.pt");
  await assert.rejects(loadModel(file, { precision: "fp8" }), /precision "fp8" is not one of/);
  await assert.rejects(loadModel(file, { precision: "fp16" }), /precision "fp16" runs on CUDA only/);
  await assert.rejects(loadModel(file, { device: "tpu" }), /device "tpu" is not one of/);
  const cuda = cudaStatus();
  if (!cuda.available) await assert.rejects(loadModel(file, { device: "cuda" }), new RegExp(`device "cuda" is not available: ${escapeRegExp(cuda.reason)}`));
});

test("forward rejects bad arguments with errors naming the input", async () => {
  const base = await loadFixtureModel("base");
  const up = await loadFixtureModel("upsample");
  const inpaint = await loadFixtureModel("base_inpaint");
  try {
    const args = unetArgs("base", 0, 2);
    const bad = (over) => base.forward({ ...args, ...over });
    await assert.rejects(bad({ x: { shape: [2, 4, 32, 32], data: new Float32Array(2 * 4 * 32 * 32) } }),
      /forward: x must have shape \[N, 3, H, W\], got \[2, 4, 32, 32\]/);
    await assert.rejects(bad({ x: { shape: [2, 3, 32, 32], data: new Float32Array(10) } }), /x\.data has 10 values/);
    await assert.rejects(bad({ x: { shape: [2, 3, 30, 30], data: new Float32Array(2 * 3 * 900) } }), /divisible by 4/);
    await assert.rejects(bad({ timesteps: [0] }), /timesteps must be an array of 2 numbers/);
    await assert.rejects(bad({ timesteps: [0, 1000] }), /timesteps\[1\] = 1000 is outside the original scale \[0, 999\]/);
    await assert.rejects(bad({ tokens: args.tokens.slice(0, 1), mask: args.mask.slice(0, 1) }), /tokens has 1 rows but x has batch 2/);
    await assert.rejects(bad({ tokens: [args.tokens[0].slice(1), args.tokens[1]] }), /tokens row 0 must hold text_ctx = 128 ids/);
    await assert.rejects(bad({ tokens: [[-1, ...args.tokens[0].slice(1)], args.tokens[1]] }), /token -1 at \[0, 0\]/);
    await assert.rejects(bad({ tokens: undefined, mask: undefined }), /pass tokens and mask/);
    await assert.rejects(bad({ lowRes: args.x }), /lowRes is only used by upsampler models/);
    await assert.rejects(bad({ inpaintMask: args.x }), /only used by inpainting models/);

    const upArgs = unetArgs("upsample");
    await assert.rejects(up.forward({ ...upArgs, lowRes: undefined }), /the upsample model needs lowRes/);
    await assert.rejects(up.forward({ ...upArgs, lowRes: { shape: [1, 3, 32, 32], data: new Float32Array(3 * 1024) } }),
      /lowRes must have shape \[2, 3, h, w\]/);

    const inArgs = unetArgs("base_inpaint", 0, 2);
    await assert.rejects(inpaint.forward({ ...inArgs, inpaintMask: inArgs.inpaintImage }), /inpaintMask must have shape \[2, 1, 32, 32\]/);

    // TextContext: batch and owner are checked.
    const text = await base.prepareText({ tokens: args.tokens, mask: args.mask });
    const { tokens: _t, mask: _m, ...noTokens } = args;
    await assert.rejects(base.forward({ ...noTokens, text, tokens: args.tokens }), /either text or tokens/);
    await assert.rejects(inpaint.forward({ ...noTokens, text }), /prepared by this model/);
    const one = unetArgs("base", 0, 1);
    await assert.rejects(base.forward({ x: one.x, timesteps: one.timesteps, text }), /holds 2 prompts but x has batch 1/);
    text.dispose();
    await assert.rejects(base.forward({ ...noTokens, text }), /TextContext has been disposed/);
  } finally {
    base.dispose();
    up.dispose();
    inpaint.dispose();
  }
});

test("a disposed model refuses further calls", async () => {
  const model = await loadFixtureModel("base");
  model.dispose();
  model.dispose();
  await assert.rejects(model.forward(unetArgs("base", 0, 1)), /has been disposed/);
  await assert.rejects(model.encodeText({ tokens: loadRows("text_emb/base_tokens"), mask: loadRows("text_emb/base_mask") }),
    /has been disposed/);
});

test("native load names the file and tensor of a missing, mis-shaped or out-of-file weight", async () => {
  const file = fixture("checkpoints/base.pt");
  const index = await readCheckpointIndex(file);
  const { config } = await resolveGlideConfig(index, fixtureConfig("base"));
  const entries = () => [...index.tensors.values()].map((e) => ({ ...e, shape: [...e.shape] }));

  const missing = entries().filter((e) => e.name !== "middle_block.1.qkv.weight");
  await assert.rejects(native.modelLoad(file, missing, config), (err) => {
    assert.match(err.message, /base\.pt: tensor 'middle_block\.1\.qkv\.weight' is missing \(expected shape \[192, 64, 1\]\)/);
    return true;
  });

  const misshaped = entries();
  misshaped.find((e) => e.name === "out.2.bias").shape = [7];
  await assert.rejects(native.modelLoad(file, misshaped, config), /base\.pt: tensor 'out\.2\.bias' has shape \[7\] but the configuration expects \[6\]/);

  const outside = entries();
  Object.assign(outside.find((e) => e.name === "time_embed.0.bias"), { offset: 1e9, storageBytes: 1e9 });
  await assert.rejects(native.modelLoad(file, outside, config), /base\.pt: truncated file — tensor 'time_embed\.0\.bias'/);

  const extra = entries();
  extra.push({ ...extra[0], name: "stray.weight" });
  await assert.rejects(native.modelLoad(file, extra, config), /base\.pt: 1 tensor\(s\) are not used by the configured model \('stray\.weight'\)/);

  await assert.rejects(native.modelLoad(`${file}.does-not-exist`, entries(), config), /does-not-exist: cannot open/);
  assert.throws(() => native.modelForward({}, {}), /expected a GLIDE model handle/);
});

test("native forward checks shapes itself: bypassing the TS validation gives an error, not a crash", async () => {
  const file = fixture("checkpoints/base.pt");
  const index = await readCheckpointIndex(file);
  const { config } = await resolveGlideConfig(index, fixtureConfig("base"));
  const handle = await native.modelLoad(file, [...index.tensors.values()], config);
  try {
    const tokens = { batch: 1, tokens: new Int32Array(128).fill(50256), mask: new Uint8Array(128) };
    const x = (c, s) => ({ shape: [1, c, s, s], data: new Float32Array(c * s * s) });
    await assert.rejects(native.modelForward(handle, { x: x(4, 32), timesteps: [1], tokens }), /forward: x must have shape \[N, 3, H, W\], got \[1, 4, 32, 32\]/);
    await assert.rejects(native.modelForward(handle, { x: x(3, 32), timesteps: [1, 2], tokens }), /forward: expected 1 timesteps, got 2/);
    await assert.rejects(native.modelForward(handle, { x: x(3, 30), timesteps: [1], tokens }), /forward: concat/);
    const badToken = { ...tokens, tokens: new Int32Array(128).fill(60000), mask: new Uint8Array(128).fill(1) };
    await assert.rejects(native.modelForward(handle, { x: x(3, 32), timesteps: [1], tokens: badToken }),
      /token id 60000 at \[0, 0\] is outside the vocabulary/);
    const ok = await native.modelForward(handle, { x: x(3, 32), timesteps: [1], tokens });
    assert.deepEqual(ok.shape, [1, 6, 32, 32]);
  } finally {
    native.modelDispose(handle);
  }
});

test("forward runs off the JS thread: timers keep firing while it computes", async () => {
  const model = await loadFixtureModel("upsample");
  try {
    // A larger input than the fixture so the call lasts long enough to observe.
    const n = 2, s = 192;
    const x = { shape: [n, 3, s, s], data: new Float32Array(n * 3 * s * s).fill(0.1) };
    const lowRes = { shape: [n, 3, 48, 48], data: new Float32Array(n * 3 * 48 * 48).fill(-0.2) };
    const { tokens, mask } = model.tokenize(["a corgi", ""]);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 2);
    const started = performance.now();
    const pending = model.forward({ x, timesteps: [10, 900], tokens, mask, lowRes });
    const ticksAtReturn = ticks;
    const out = await pending;
    const elapsed = performance.now() - started;
    clearInterval(timer);
    assert.equal(ticksAtReturn, 0, "forward() must return before computing");
    assert.deepEqual(out.shape, [n, 6, s, s]);
    assert.ok(ticks >= 3, `only ${ticks} timer ticks fired during a ${elapsed.toFixed(0)} ms forward`);
  } finally {
    model.dispose();
  }
});
