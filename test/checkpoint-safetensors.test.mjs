// safetensors: conversion from the official PyTorch format keeps names, order, shapes, dtypes and bytes; the
// written file follows the format (u64 header length, JSON, 8-byte aligned data); the convert command works.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {
  readCheckpointIndex, readTensorBytes, readTensorData, convertCheckpoint, writeSafetensors, readSafetensorsIndex,
  resolveGlideConfig,
} from "glide-studio";
import convertCommand from "../dist/cli/commands/convert.js";
import { fixture } from "./helpers/npy.mjs";
import { tempDir } from "./checkpoint-craft.mjs";

const dir = tempDir("safetensors");

test("base_fp16.pt → .safetensors keeps every tensor's name, order, shape, dtype and bytes", async () => {
  const src = await readCheckpointIndex(fixture("checkpoints/base_fp16.pt"));
  const out = path.join(dir, "base_fp16.safetensors");
  assert.deepEqual(await convertCheckpoint(src.file, out), { tensors: 261 });
  const dst = await readCheckpointIndex(out);
  assert.equal(dst.format, "safetensors");
  assert.deepEqual([...dst.tensors.keys()], [...src.tensors.keys()]);
  let bytes = 0;
  const dtypes = { float16: 0, float32: 0 };
  for (const [name, e] of src.tensors) {
    const d = dst.tensors.get(name);
    assert.equal(d.dtype, e.dtype, name);
    assert.deepEqual(d.shape, e.shape, name);
    assert.equal(d.offset % 8, 0, `${name} is 8-byte aligned`);
    const a = await readTensorBytes(src, name);
    assert.deepEqual(Buffer.from(await readTensorBytes(dst, name)), Buffer.from(a), name);
    bytes += a.length;
    dtypes[e.dtype]++;
  }
  assert.deepEqual(dtypes, { float16: 137, float32: 124 });
  // Header: u64 length, JSON with __metadata__, data right after; no byte wasted or duplicated.
  const file = fs.readFileSync(out);
  const headerLen = Number(file.readBigUInt64LE(0));
  const header = JSON.parse(file.subarray(8, 8 + headerLen).toString("utf8"));
  assert.equal(header.__metadata__.format, "pt");
  assert.deepEqual(header["token_embedding.weight"].dtype, "F16");
  assert.equal(file.length, 8 + headerLen + bytes);
  // The converted file resolves to the same GLIDE config as the original.
  const opts = { num_head_channels: 16, xf_heads: 2 };
  assert.deepEqual((await resolveGlideConfig(dst, opts)).config, (await resolveGlideConfig(src, opts)).config);
});

test("writeSafetensors with in-memory and lazy tensors, bfloat16, metadata, empty tensors", async () => {
  const out = path.join(dir, "small.safetensors");
  let produced = 0;
  await writeSafetensors(out, [
    { name: "a", dtype: "float32", shape: [2, 2], data: new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer) },
    { name: "b", dtype: "bfloat16", shape: [3], data: async () => (produced++, new Uint8Array(new Uint16Array([0x3f80, 0xc000, 0x4040]).buffer)) },
    { name: "empty", dtype: "float16", shape: [0, 4], data: new Uint8Array(0) },
  ], { note: "hello" });
  assert.equal(produced, 1);
  const index = await readSafetensorsIndex(out);
  assert.deepEqual(index.metadata, { note: "hello" });
  assert.deepEqual(Array.from((await readTensorData(index, "a")).data), [1, 2, 3, 4]);
  assert.deepEqual(Array.from((await readTensorData(index, "b")).data), [1, -2, 3]);
  assert.deepEqual((await readTensorData(index, "empty")).shape, [0, 4]);
  // A wrong byte count fails and leaves neither the target nor a temporary file behind.
  const bad = path.join(dir, "bad.safetensors");
  await assert.rejects(writeSafetensors(bad, [{ name: "x", dtype: "float32", shape: [3], data: new Uint8Array(8) }]),
    /bad\.safetensors: tensor x \(shape \[3\], float32\) needs 12 bytes, got 8/);
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes("bad")), []);
});

test("the convert command: usage errors, a conversion, failures reported with the file", async () => {
  const logs = [];
  const orig = { log: console.log, error: console.error };
  console.log = (...a) => logs.push(a.join(" "));
  console.error = (...a) => logs.push(a.join(" "));
  try {
    assert.equal(convertCommand.name, "convert");
    assert.equal(await convertCommand.run([]), 2);
    assert.equal(await convertCommand.run(["a.pt", "b.safetensors", "--frobnicate"]), 2);
    const out = path.join(dir, "cli.safetensors");
    assert.equal(await convertCommand.run([fixture("checkpoints/upsample.pt"), out]), 0);
    assert.equal((await readCheckpointIndex(out)).tensors.size, 277);
    const missing = path.join(dir, "nope.pt");
    assert.equal(await convertCommand.run([missing, path.join(dir, "x.safetensors")]), 1);
    assert.ok(logs.some((l) => l.includes(missing)));
  } finally {
    Object.assign(console, orig);
  }
});
