// Checkpoint indexing and tensor reading: the fixture checkpoints (official torch.save zips) and small
// hand-made files for the cases the fixtures lack (strided views, bfloat16, other archive prefixes).
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { readCheckpointIndex, readTensorData, readTensorBytes } from "glide-studio";
import { fixture } from "./helpers/npy.mjs";
import { stateDictPickle, writeTorchZip, tempDir, f32, u16 } from "./checkpoint-craft.mjs";

const ckpt = (name) => fixture(`checkpoints/${name}.pt`);

test("every fixture checkpoint indexes with the tensor counts and element totals of the manifest", async () => {
  const expected = {
    base: [261, 1411694], base_fp16: [261, 1411694], base_inpaint: [261, 1412846], upsample: [277, 874150],
    upsample_inpaint: [277, 875302], clip_image_enc: [38, 24784], clip_text_enc: [35, 526840],
  };
  for (const [name, [count, elements]] of Object.entries(expected)) {
    const index = await readCheckpointIndex(ckpt(name));
    assert.equal(index.format, "pytorch");
    assert.equal(index.tensors.size, count, name);
    let total = 0;
    for (const e of index.tensors.values()) total += e.shape.reduce((a, b) => a * b, 1);
    assert.equal(total, elements, name);
  }
});

test("base.pt entries: shapes, contiguous strides, offsets inside the file", async () => {
  const index = await readCheckpointIndex(ckpt("base"));
  const e = (n) => index.tensors.get(n);
  assert.deepEqual(e("input_blocks.0.0.weight").shape, [32, 3, 3, 3]);
  assert.deepEqual(e("input_blocks.0.0.weight").strides, [27, 9, 3, 1]);
  assert.deepEqual(e("middle_block.1.qkv.weight").shape, [192, 64, 1]);
  assert.deepEqual(e("token_embedding.weight").shape, [50257, 8]);
  assert.deepEqual(e("out.2.weight").shape, [6, 32, 3, 3]);
  const { size } = fs.statSync(index.file);
  for (const t of index.tensors.values()) {
    assert.equal(t.dtype, "float32", t.name);
    assert.ok(t.offset + t.shape.reduce((a, b) => a * b, 4) <= size, t.name);
    assert.ok(t.storageBytes >= t.shape.reduce((a, b) => a * b, 4), t.name);
  }
});

// convert_to_fp16 halves convs in the UNet torso and the text transformer's Linears, transformer_proj and
// token_embedding; norms, time_embed, emb_layers, the out head and the position/padding tables stay float32.
const FP16_RULE = [
  /^(input_blocks|middle_block|output_blocks)\..*\.(in_layers\.2|out_layers\.3|skip_connection|qkv|encoder_kv|proj_out|op|conv)\.(weight|bias)$/,
  /^input_blocks\.0\.0\.(weight|bias)$/,
  /^transformer\.resblocks\.\d+\.(attn\.c_qkv|attn\.c_proj|mlp\.c_fc|mlp\.c_proj)\.(weight|bias)$/,
  /^transformer_proj\.(weight|bias)$/,
  /^token_embedding\.weight$/,
];

test("base_fp16.pt: mixed dtypes exactly as convert_to_fp16 leaves them, values = base.pt rounded to fp16", async () => {
  const full = await readCheckpointIndex(ckpt("base"));
  const half = await readCheckpointIndex(ckpt("base_fp16"));
  assert.deepEqual([...half.tensors.keys()], [...full.tensors.keys()]);
  let f16 = 0;
  let worst = 0;
  for (const [name, e] of half.tensors) {
    const wantHalf = FP16_RULE.some((r) => r.test(name));
    assert.equal(e.dtype, wantHalf ? "float16" : "float32", name);
    if (wantHalf) f16++;
    const a = (await readTensorData(full, name)).data;
    const b = await readTensorData(half, name);
    assert.deepEqual(b.shape, full.tensors.get(name).shape);
    for (let i = 0; i < a.length; i++) {
      // fp16 round-to-nearest: relative error ≤ 2^-11 for normals, absolute ≤ 2^-25 for subnormals.
      const err = Math.abs(a[i] - b.data[i]);
      const bound = wantHalf ? Math.abs(a[i]) * 2 ** -11 + 2 ** -25 : 0;
      if (err > bound) assert.fail(`${name}[${i}]: base ${a[i]} vs fp16 ${b.data[i]}`);
      if (wantHalf && a[i] !== 0) worst = Math.max(worst, err / Math.abs(a[i]));
    }
  }
  assert.equal(f16, 137); // HalfStorage tensors in the file (124 stay FloatStorage)
  assert.ok(worst > 1e-5, "the fp16 file really is rounded"); // not an accidental float32 copy
});

test("fixture weights follow the README's initialisation statistics (the right bytes are read)", async () => {
  const index = await readCheckpointIndex(ckpt("upsample"));
  const gains = [];
  let convStdRatio = [];
  for (const [name, e] of index.tensors) {
    const { data } = await readTensorData(index, name);
    if (/(norm|in_layers\.0|out_layers\.0|ln_\d|final_ln|out\.0)\.weight$/.test(name)) gains.push(...data);
    if (e.shape.length === 4 && data.length >= 4096) {
      const fanIn = data.length / e.shape[0];
      let s = 0;
      for (const v of data) s += v * v;
      convStdRatio.push(Math.sqrt(s / data.length) * Math.sqrt(fanIn));
    }
  }
  const mean = gains.reduce((a, b) => a + b, 0) / gains.length;
  const std = Math.sqrt(gains.reduce((a, b) => a + (b - mean) ** 2, 0) / gains.length);
  assert.ok(Math.abs(mean - 1) < 0.02, `norm gains mean ${mean}`); // 1 + 0.1·N(0,1)
  assert.ok(Math.abs(std - 0.1) < 0.02, `norm gains std ${std}`);
  for (const r of convStdRatio) assert.ok(Math.abs(r - 1) < 0.1, `conv weight std·sqrt(fan_in) = ${r}`); // N(0,1)/sqrt(fan_in)
});

test("hand-made zip: any archive prefix, storage offsets, strided views, float16 and bfloat16 decoding", async () => {
  const dir = tempDir("craft");
  const file = path.join(dir, "views.pt");
  // half: 1, -2, 0.5, 65504 (max), 2^-24 (smallest subnormal), -0 ; bfloat16: 1, -3.5, 2^-128 (subnormal)
  const halfWords = [0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x8000];
  const bf16Words = [0x3f80, 0xc060, 0x0020];
  const pickle = stateDictPickle([
    { name: "w", type: "FloatStorage", key: "0", numel: 6, shape: [2, 3], strides: [3, 1] },
    { name: "w.T", type: "FloatStorage", key: "0", numel: 6, shape: [3, 2], strides: [1, 3] },
    { name: "row1", type: "FloatStorage", key: "0", numel: 6, offset: 3, shape: [3], strides: [1] },
    { name: "h", type: "HalfStorage", key: "1", numel: 6, shape: [6], strides: [1] },
    { name: "b", type: "BFloat16Storage", key: "2", numel: 3, shape: [3], strides: [1] },
  ]);
  await writeTorchZip(file, {
    prefix: "my model v2",
    pickle,
    storages: { 0: f32([1, 2, 3, 4, 5, 6]), 1: u16(halfWords), 2: u16(bf16Words) },
  });
  const index = await readCheckpointIndex(file);
  const read = async (n) => Array.from((await readTensorData(index, n)).data);
  assert.deepEqual(await read("w"), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(await read("w.T"), [1, 4, 2, 5, 3, 6]);
  assert.deepEqual(await read("row1"), [4, 5, 6]);
  assert.equal(index.tensors.get("row1").offset, index.tensors.get("w").offset + 12);
  assert.equal(index.tensors.get("row1").storageBytes, 12);
  assert.deepEqual(await read("h"), [1, -2, 0.5, 65504, 2 ** -24, -0]);
  assert.ok(Object.is((await read("h"))[5], -0));
  assert.deepEqual(await read("b"), [1, -3.5, 2 ** -128]);
  assert.equal(index.tensors.get("b").dtype, "bfloat16");
  // Raw bytes keep the source dtype (f16 stays f16) and strided views come out contiguous.
  assert.deepEqual(Buffer.from(await readTensorBytes(index, "h")), u16(halfWords));
  assert.deepEqual(Buffer.from(await readTensorBytes(index, "w.T")), f32([1, 4, 2, 5, 3, 6]));
  await assert.rejects(readTensorData(index, "nope"), (err) => err.message.includes(file) && err.message.includes("tensor nope"));
});

test("zip64 archives index the same as plain ones", async () => {
  const dir = tempDir("zip64");
  const pickle = stateDictPickle([{ name: "w", type: "FloatStorage", key: "0", numel: 4, shape: [2, 2], strides: [2, 1] }]);
  const plain = await writeTorchZip(path.join(dir, "plain.pt"), { pickle, storages: { 0: f32([1, 2, 3, 4]) } });
  const z64 = await writeTorchZip(path.join(dir, "z64.pt"), { pickle, storages: { 0: f32([1, 2, 3, 4]) }, zip64: true });
  const a = await readCheckpointIndex(plain);
  const b = await readCheckpointIndex(z64);
  const zip64Eocd = Buffer.from([0x50, 0x4b, 0x06, 0x06]);
  assert.ok(fs.readFileSync(z64).includes(zip64Eocd), "the archive really uses zip64 records");
  assert.deepEqual(b.tensors.get("w"), a.tensors.get("w"));
  assert.deepEqual(Array.from((await readTensorData(b, "w")).data), [1, 2, 3, 4]);
});
