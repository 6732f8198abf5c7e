// Builders for small hand-made checkpoints used by the checkpoint tests: pickle opcodes and torch-style zips
// (stored, uncompressed members, as torch.save writes them).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import yazl from "yazl";

/** Pickle byte builder: each method appends one opcode (protocol 2 unless noted). */
export class Pickle {
  parts = [];
  raw(...bytes) { this.parts.push(Buffer.from(bytes)); return this; }
  proto(n = 2) { return this.raw(0x80, n); }
  global(module, name) { this.parts.push(Buffer.from(`c${module}\n${name}\n`, "latin1")); return this; }
  /** Protocol 4 STACK_GLOBAL from two SHORT_BINUNICODE strings. */
  stackGlobal(module, name) { return this.shortStr(module).shortStr(name).raw(0x93); }
  shortStr(s) { const b = Buffer.from(s, "utf8"); return this.raw(0x8c, b.length).buf(b); }
  str(s) { const b = Buffer.from(s, "utf8"); const len = Buffer.alloc(4); len.writeUInt32LE(b.length); return this.raw(0x58).buf(len).buf(b); }
  int(n) {
    if (n >= 0 && n < 256) return this.raw(0x4b, n);
    if (n >= -(2 ** 31) && n < 2 ** 31) { const b = Buffer.alloc(4); b.writeInt32LE(n); return this.raw(0x4a).buf(b); }
    const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(n)); return this.raw(0x8a, 8).buf(b); // LONG1
  }
  buf(b) { this.parts.push(b); return this; }
  mark() { return this.raw(0x28); }
  tuple() { return this.raw(0x74); }
  tuple1() { return this.raw(0x85); }
  emptyTuple() { return this.raw(0x29); }
  emptyDict() { return this.raw(0x7d); }
  setItem() { return this.raw(0x73); }
  reduce() { return this.raw(0x52); }
  build() { return this.raw(0x62); }
  persid() { return this.raw(0x51); }
  false() { return this.raw(0x89); }
  stop() { return this.raw(0x2e); }
  ints(list) { this.mark(); for (const n of list) this.int(n); return this.tuple(); }
  /** A `_rebuild_tensor_v2` call for a tensor view of storage `key` (type e.g. "FloatStorage"). */
  tensor({ type, key, numel, offset = 0, shape, strides }) {
    this.global("torch._utils", "_rebuild_tensor_v2").mark();
    this.mark().str("storage").global("torch", type).str(key).str("cpu").int(numel).tuple().persid();
    this.int(offset).ints(shape).ints(strides).false();
    this.global("collections", "OrderedDict").emptyTuple().reduce();
    return this.tuple().reduce();
  }
  bytes() { return Buffer.concat(this.parts); }
}

/** A pickled OrderedDict state dict of `tensors` (each as for `Pickle.tensor` plus `name`). */
export function stateDictPickle(tensors) {
  const p = new Pickle().proto(2).global("collections", "OrderedDict").emptyTuple().reduce();
  for (const t of tensors) p.str(t.name).tensor(t).setItem();
  return p.stop().bytes();
}

/**
 * Writes a torch-style zip: `<prefix>/data.pkl`, `<prefix>/data/<key>` members, `<prefix>/version`.
 * `compress` deflates the storages (torch never does); `zip64` forces zip64 records throughout.
 */
export async function writeTorchZip(file, { prefix = "archive", pickle, storages = {}, compress = false, zip64 = false }) {
  const zip = new yazl.ZipFile();
  const opts = { compress: false, forceZip64Format: zip64 };
  zip.addBuffer(pickle, `${prefix}/data.pkl`, opts);
  for (const [key, bytes] of Object.entries(storages)) zip.addBuffer(Buffer.from(bytes), `${prefix}/data/${key}`, { ...opts, compress });
  zip.addBuffer(Buffer.from("3\n"), `${prefix}/version`, opts);
  zip.end({ forceZip64Format: zip64 });
  await new Promise((resolve, reject) => {
    zip.outputStream.pipe(fs.createWriteStream(file)).on("close", resolve).on("error", reject);
  });
  return file;
}

/** A fresh temporary directory, removed when the process exits. */
export function tempDir(label) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `glide-ckpt-${label}-`));
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Float32 little-endian bytes of `values`. */
export function f32(values) { return Buffer.from(new Float32Array(values).buffer); }
/** Raw 16-bit words (for hand-encoded half / bfloat16 values). */
export function u16(words) { return Buffer.from(new Uint16Array(words).buffer); }
