// Hostile and damaged checkpoints: forbidden callables are refused by name with nothing executed; truncated,
// corrupt and over-declared files fail with errors naming the file (and the tensor) before allocating.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { readCheckpointIndex, convertCheckpoint } from "glide-studio";
import { fixture } from "./helpers/npy.mjs";
import { Pickle, stateDictPickle, writeTorchZip, tempDir, f32 } from "./checkpoint-craft.mjs";

const dir = tempDir("security");
let n = 0;
const craft = (pickle, storages = {}) => writeTorchZip(path.join(dir, `crafted-${n++}.pt`), { pickle, storages });

async function refuses(file, ...patterns) {
  await assert.rejects(readCheckpointIndex(file), (err) => {
    assert.ok(err.message.includes(file), `error names the file: ${err.message}`);
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

test("GLOBAL os.system + REDUCE is refused by name and nothing runs", async () => {
  const marker = path.join(dir, "pwned-os");
  const pickle = new Pickle().proto(2).global("os", "system").str(`touch ${marker}`).tuple1().reduce().stop().bytes();
  await refuses(await craft(pickle), /forbidden callable "os\.system"/, /nothing was executed/);
  assert.equal(fs.existsSync(marker), false);
});

test("STACK_GLOBAL builtins.eval (protocol 4) is refused", async () => {
  const marker = path.join(dir, "pwned-eval");
  const pickle = new Pickle().proto(4).stackGlobal("builtins", "eval")
    .str(`__import__('os').system('touch ${marker}')`).tuple1().reduce().stop().bytes();
  await refuses(await craft(pickle), /forbidden callable "builtins\.eval"/);
  assert.equal(fs.existsSync(marker), false);
});

test("a forbidden callable hidden after valid tensors is refused too (posix.system, subprocess.Popen via INST)", async () => {
  const tensor = { name: "w", type: "FloatStorage", key: "0", numel: 2, shape: [2], strides: [1] };
  const good = stateDictPickle([tensor]);
  const body = good.subarray(0, good.length - 1); // drop STOP: keep the dict on the stack
  const posix = Buffer.concat([body, new Pickle().str("evil").global("posix", "system").str("id").tuple1().reduce().setItem().stop().bytes()]);
  await refuses(await craft(posix, { 0: f32([1, 2]) }), /forbidden callable "posix\.system"/);
  const inst = new Pickle().proto(2).mark().str("id").raw(0x69).buf(Buffer.from("subprocess\nPopen\n")).stop().bytes();
  await refuses(await craft(inst), /forbidden callable "subprocess\.Popen"/);
});

test("allowed names used the wrong way are refused: BUILD on a tensor, OrderedDict with arguments, odd persistent ids", async () => {
  const tensor = { name: "w", type: "FloatStorage", key: "0", numel: 2, shape: [2], strides: [1] };
  const buildOnTensor = new Pickle().proto(2).global("collections", "OrderedDict").emptyTuple().reduce()
    .str("w").tensor(tensor).emptyDict().build().setItem().stop().bytes();
  await refuses(await craft(buildOnTensor, { 0: f32([1, 2]) }), /BUILD/);
  const dictArgs = new Pickle().proto(2).global("collections", "OrderedDict").str("x").tuple1().reduce().stop().bytes();
  await refuses(await craft(dictArgs), /OrderedDict/);
  const pid = new Pickle().proto(2).str("not a storage").persid().stop().bytes();
  await refuses(await craft(pid), /persistent id/);
  const longStorage = stateDictPickle([{ ...tensor, type: "LongStorage" }]);
  await refuses(await craft(longStorage, { 0: f32([1, 2, 3, 4]) }), /torch\.LongStorage/);
});

test("a storage declaring more bytes than the archive holds is refused before any allocation", async () => {
  const huge = 2 ** 40; // 4 TiB of float32
  const pickle = stateDictPickle([{ name: "big", type: "FloatStorage", key: "0", numel: huge, shape: [2 ** 20, 2 ** 20], strides: [2 ** 20, 1] }]);
  const t0 = performance.now();
  await refuses(await craft(pickle, { 0: f32([1, 2, 3]) }), /declares 4398046511104 bytes/, /holds 12/);
  assert.ok(performance.now() - t0 < 1000);
});

test("a tensor view overrunning its storage, or a missing storage member, names the tensor / member", async () => {
  const over = stateDictPickle([{ name: "blocks.0.w", type: "FloatStorage", key: "0", numel: 3, offset: 1, shape: [3], strides: [1] }]);
  await refuses(await craft(over, { 0: f32([1, 2, 3]) }), /tensor blocks\.0\.w/, /overruns its storage/);
  const missing = stateDictPickle([{ name: "w", type: "FloatStorage", key: "7", numel: 3, shape: [3], strides: [1] }]);
  await refuses(await craft(missing, { 0: f32([1, 2, 3]) }), /archive\/data\/7 is missing/);
});

test("compressed storages are refused (tensors must be readable in place)", async () => {
  const pickle = stateDictPickle([{ name: "w", type: "FloatStorage", key: "0", numel: 256, shape: [256], strides: [1] }]);
  const file = await writeTorchZip(path.join(dir, "deflated.pt"), { pickle, storages: { 0: f32(new Array(256).fill(1)) }, compress: true });
  await refuses(file, /storage archive\/data\/0 is compressed/);
});

test("pickle lengths beyond the stream are refused without allocating", async () => {
  const pickle = new Pickle().proto(2).raw(0x58, 0xf0, 0xff, 0xff, 0xff).stop().bytes(); // BINUNICODE of ~4 GiB
  await refuses(await craft(pickle), /truncated or corrupt pickle/);
  const noStop = new Pickle().proto(2).emptyDict().bytes();
  await refuses(await craft(noStop), /no STOP/);
});

test("truncated or corrupt files are errors naming the file", async () => {
  const whole = fs.readFileSync(fixture("checkpoints/base.pt"));
  for (const cut of [whole.length - 10, Math.floor(whole.length / 2), 100]) {
    const file = path.join(dir, `truncated-${cut}.pt`);
    fs.writeFileSync(file, whole.subarray(0, cut));
    await refuses(file, /truncated|corrupt/);
  }
  const garbage = path.join(dir, "garbage.pt");
  fs.writeFileSync(garbage, Buffer.from("definitely not a checkpoint"));
  await refuses(garbage, /not a checkpoint/);
  const empty = path.join(dir, "empty.pt");
  fs.writeFileSync(empty, "");
  await refuses(empty, /empty or truncated/);
  await refuses(path.join(dir, "absent.pt"), /cannot open/);
});

test("truncated safetensors names the tensor that no longer fits; absurd header lengths are refused", async () => {
  const st = path.join(dir, "base.safetensors");
  await convertCheckpoint(fixture("checkpoints/base.pt"), st);
  const whole = fs.readFileSync(st);
  const cut = path.join(dir, "cut.safetensors");
  fs.writeFileSync(cut, whole.subarray(0, whole.length - 100));
  await refuses(cut, /truncated — tensor \S+ ends at byte/);
  const absurd = Buffer.from(whole);
  absurd.writeBigUInt64LE(2n ** 50n, 0);
  absurd[8] = 0x7b;
  const bad = path.join(dir, "absurd.safetensors");
  fs.writeFileSync(bad, absurd);
  await refuses(bad, /corrupt or truncated safetensors header/);
});
