// GLIDE config resolution: inference from shapes for all four fixture variants (compared with the manifest's
// official kwargs), official defaults, sidecar and option overrides, validation errors naming the tensor, and
// architectures the fixtures do not contain (checked through synthetic indexes built from expectedGlideTensors).
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {
  readCheckpointIndex, resolveGlideConfig, expectedGlideTensors, writeSafetensors, readTensorBytes, parseGlideOptions,
} from "glide-studio";
import { fixture } from "./helpers/npy.mjs";
import { tempDir } from "./checkpoint-craft.mjs";

const manifest = JSON.parse(fs.readFileSync(fixture("manifest.json"), "utf8"));
const ckpt = (name) => fixture(`checkpoints/${name}.pt`);
// What shapes cannot tell about the fixture models (the released models use 64 channels per head, 8 text heads).
const HEADS = {
  base: { num_head_channels: 16, xf_heads: 2 },
  upsample: { num_head_channels: 16, xf_heads: 1 },
};

const VARIANTS = [
  { file: "base", config: "base", kind: "base", heads: HEADS.base, inCh: 3 },
  { file: "base_fp16", config: "base", kind: "base", heads: HEADS.base, inCh: 3 },
  { file: "base_inpaint", config: "base_inpaint", kind: "base-inpaint", heads: HEADS.base, inCh: 7 },
  { file: "upsample", config: "upsample", kind: "upsample", heads: HEADS.upsample, inCh: 6 },
  { file: "upsample_inpaint", config: "upsample_inpaint", kind: "upsample-inpaint", heads: HEADS.upsample, inCh: 10 },
];

test("inferred configs of all four variants equal the manifest's official kwargs", async () => {
  for (const v of VARIANTS) {
    const { kind, config } = await resolveGlideConfig(await readCheckpointIndex(ckpt(v.file)), v.heads);
    assert.equal(kind, v.kind, v.file);
    const official = parseGlideOptions(manifest.configs[v.config], "manifest");
    assert.ok(Object.keys(official).length >= 20);
    for (const [key, value] of Object.entries(official)) assert.deepEqual(config[key], value, `${v.file}: ${key}`);
    assert.equal(config.in_channels, v.inCh);
    assert.equal(config.out_channels, 6);
    assert.equal(config.n_vocab, 50257);
  }
});

test("without options, the released models' defaults apply and the mismatch is explained", async () => {
  const index = await readCheckpointIndex(ckpt("base"));
  // Default num_head_channels 64 cannot split the fixture's 32-channel attention.
  await assert.rejects(resolveGlideConfig(index), (err) => {
    assert.match(err.message, /base\.pt: attention input_blocks\.\d+\.1 has 32 channels, not divisible by num_head_channels 64/);
    assert.match(err.message, /set it in the options \(or a sidecar .*base\.pt\.json\)/);
    return true;
  });
  const { config } = await resolveGlideConfig(index, { num_head_channels: -1, num_heads: 4, xf_heads: 8 });
  assert.equal(config.noise_schedule, "squaredcos_cap_v2");
  assert.equal(config.diffusion_steps, 1000);
  assert.equal(config.num_heads_upsample, -1);
  const up = await resolveGlideConfig(await readCheckpointIndex(ckpt("upsample")), { num_head_channels: 8, xf_heads: 4 });
  assert.equal(up.config.noise_schedule, "linear");
});

test("a sidecar <checkpoint>.json overrides the defaults, and options override the sidecar", async () => {
  const dir = tempDir("sidecar");
  const file = path.join(dir, "model.pt");
  fs.copyFileSync(ckpt("base"), file);
  fs.writeFileSync(`${file}.json`, JSON.stringify({
    num_head_channels: "16", xf_heads: 2, noise_schedule: "linear", diffusion_steps: 500,
    attention_resolutions: "16,8", channel_mult: "1,1,2", dropout: 0.1, use_fp16: true,
  }));
  const index = await readCheckpointIndex(file);
  const a = await resolveGlideConfig(index);
  assert.equal(a.config.num_head_channels, 16);
  assert.equal(a.config.noise_schedule, "linear");
  assert.equal(a.config.diffusion_steps, 500);
  const b = await resolveGlideConfig(index, { xf_heads: 4, noise_schedule: "squaredcos_cap_v2" });
  assert.equal(b.config.xf_heads, 4);
  assert.equal(b.config.noise_schedule, "squaredcos_cap_v2");
  assert.equal(b.config.diffusion_steps, 500);

  // `<stem>.json` is found too; typos in a sidecar are reported with its path.
  fs.rmSync(`${file}.json`);
  fs.writeFileSync(path.join(dir, "model.json"), JSON.stringify({ num_head_channels: 16, xf_heads: 2, num_head_chanels: 8 }));
  await assert.rejects(resolveGlideConfig(index), /model\.json: unknown model option "num_head_chanels"/);
  fs.writeFileSync(path.join(dir, "model.json"), JSON.stringify({ num_head_channels: 16, xf_heads: 2 }));
  assert.equal((await resolveGlideConfig(index)).config.xf_heads, 2);
});

test("overrides contradicting the weights name the first tensor that disagrees", async () => {
  const index = await readCheckpointIndex(ckpt("base"));
  await assert.rejects(resolveGlideConfig(index, { ...HEADS.base, use_scale_shift_norm: false }),
    /base\.pt: tensor input_blocks\.1\.0\.emb_layers\.1\.weight has shape \[64,128\] but the config expects \[32,128\]/);
  await assert.rejects(resolveGlideConfig(index, { ...HEADS.base, attention_resolutions: "16" }), (err) => {
    assert.match(err.message, /\d+ unexpected:\n +unexpected tensor input_blocks\.5\.1\.norm\.weight/);
    assert.match(err.message, /attention_resolutions=16 /);
    return true;
  });
  await assert.rejects(resolveGlideConfig(index, { ...HEADS.base, inpaint: true }),
    /tensor input_blocks\.0\.0\.weight has shape \[32,3,3,3\] but the config expects \[32,7,3,3\]/);
  await assert.rejects(resolveGlideConfig(index, { ...HEADS.base, channel_mult: "one,two" }), /option channel_mult/);
});

test("a missing tensor, a mis-shaped tensor and an extra tensor are each named", async () => {
  const dir = tempDir("shapes");
  const src = await readCheckpointIndex(ckpt("base"));
  const rewrite = async (name, edit) => {
    const file = path.join(dir, name);
    const tensors = [];
    for (const e of src.tensors.values()) {
      const t = edit({ name: e.name, dtype: e.dtype, shape: e.shape, data: () => readTensorBytes(src, e.name) });
      if (t) tensors.push(t);
    }
    if (name.startsWith("extra")) tensors.push({ name: "label_emb.weight", dtype: "float32", shape: [2], data: new Uint8Array(8) });
    await writeSafetensors(file, tensors);
    return readCheckpointIndex(file);
  };
  const reshaped = await rewrite("reshaped.safetensors", (t) => (t.name === "middle_block.1.qkv.weight" ? { ...t, shape: [192, 64] } : t));
  await assert.rejects(resolveGlideConfig(reshaped, HEADS.base),
    (err) => err.message.includes(reshaped.file) && /tensor middle_block\.1\.qkv\.weight has shape \[192,64\] but the config expects \[192,64,1\]/.test(err.message));
  const missing = await rewrite("missing.safetensors", (t) => (t.name === "output_blocks.2.1.proj_out.bias" ? null : t));
  await assert.rejects(resolveGlideConfig(missing, HEADS.base), /missing\.safetensors: missing tensor output_blocks\.2\.1\.proj_out\.bias \(expected shape \[32\]\)/);
  const extra = await rewrite("extra.safetensors", (t) => t);
  await assert.rejects(resolveGlideConfig(extra, HEADS.base), /extra\.safetensors: unexpected tensor label_emb\.weight/);
  const noAnchor = await rewrite("noconv.safetensors", (t) => (t.name.startsWith("input_blocks.0.0") ? null : t));
  await assert.rejects(resolveGlideConfig(noAnchor, HEADS.base), /noconv\.safetensors: missing tensor input_blocks\.0\.0\.weight/);
  await assert.rejects(resolveGlideConfig(await readCheckpointIndex(ckpt("clip_text_enc"))), /clip_text_enc\.pt: missing tensor time_embed\.0\.weight/);
});

// Synthetic index: every tensor the config expects, at fake offsets (inference only looks at names and shapes).
function syntheticIndex(config) {
  const tensors = new Map();
  for (const [name, shape] of expectedGlideTensors(config)) {
    tensors.set(name, { name, dtype: "float32", shape, strides: [], offset: 0, storageBytes: 0 });
  }
  return { file: "/nonexistent/synthetic.pt", format: "pytorch", tensors };
}

const RELEASED_BASE = {
  num_channels: 192, num_res_blocks: 3, channel_mult: [1, 2, 3, 4], num_heads: 1, num_head_channels: 64,
  num_heads_upsample: -1, attention_resolutions: [32, 16, 8], image_size: 64, text_ctx: 128, xf_width: 512,
  xf_layers: 16, xf_heads: 8, xf_final_ln: true, xf_padding: true, use_scale_shift_norm: true, resblock_updown: true,
  inpaint: false, super_res: false, noise_schedule: "squaredcos_cap_v2", diffusion_steps: 1000, n_vocab: 50257,
  in_channels: 3, out_channels: 6,
};

test("the released base config has 385 M parameters and round-trips through inference with no options", async () => {
  const params = [...expectedGlideTensors(RELEASED_BASE).values()].reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);
  assert.equal(Math.round(params / 1e6), 385);
  const { kind, config } = await resolveGlideConfig(syntheticIndex(RELEASED_BASE));
  assert.equal(kind, "base");
  assert.deepEqual(config, RELEASED_BASE);
  const releasedUp = { ...RELEASED_BASE, image_size: 256, num_res_blocks: 2, channel_mult: [1, 1, 2, 2, 4, 4], noise_schedule: "linear", super_res: true, in_channels: 6 };
  const up = await resolveGlideConfig(syntheticIndex(releasedUp));
  assert.equal(up.kind, "upsample");
  assert.deepEqual(up.config, releasedUp);
});

test("other architectures are inferred exactly (heads by num_heads, no resblock_updown, other widths)", async () => {
  const variants = [
    { ...RELEASED_BASE, num_channels: 64, num_res_blocks: 2, channel_mult: [1, 2, 4], image_size: 32, attention_resolutions: [8],
      num_head_channels: -1, num_heads: 4, num_heads_upsample: 2, resblock_updown: false, xf_width: 96, xf_layers: 3, xf_heads: 3,
      xf_final_ln: false, xf_padding: false, use_scale_shift_norm: false, text_ctx: 64, inpaint: true, in_channels: 7 },
    { ...RELEASED_BASE, num_channels: 32, num_res_blocks: 0, channel_mult: [2, 1, 3, 2], attention_resolutions: [64, 16],
      num_head_channels: 32, resblock_updown: true, n_vocab: 1000, super_res: true, inpaint: true, in_channels: 10, noise_schedule: "linear" },
    { ...RELEASED_BASE, num_channels: 32, num_res_blocks: 1, channel_mult: [1], image_size: 8, attention_resolutions: [8], num_head_channels: 32 },
  ];
  for (const v of variants) {
    const heads = { num_heads: v.num_heads, num_head_channels: v.num_head_channels, num_heads_upsample: v.num_heads_upsample, xf_heads: v.xf_heads };
    const { config } = await resolveGlideConfig(syntheticIndex(v), heads);
    assert.deepEqual(config, v);
  }
  // Without resblock_updown the level changes are Downsample `op` / Upsample `conv` convs.
  const t = expectedGlideTensors(variants[0]);
  assert.deepEqual(t.get("input_blocks.3.0.op.weight"), [64, 64, 3, 3]);
  assert.deepEqual(t.get("output_blocks.2.2.conv.weight"), [256, 256, 3, 3]);
  assert.ok(!t.has("padding_embedding") && !t.has("final_ln.weight"));
});
