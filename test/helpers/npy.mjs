// Reader for the .npy files in test/fixtures/glide (little-endian, C-order: <f4, <f8, <i8, |b1).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "glide");

/** Absolute path of a fixture file, e.g. fixture("checkpoints/base.pt"). */
export function fixture(rel) {
  return path.join(FIXTURES, rel);
}

/**
 * Loads `<rel>.npy` (".npy" optional) from the fixtures.
 * @returns {{shape: number[], dtype: string, data: Float32Array|Float64Array|BigInt64Array|Uint8Array}}
 */
export function loadNpy(rel) {
  const file = rel.endsWith(".npy") ? fixture(rel) : fixture(`${rel}.npy`);
  const buf = fs.readFileSync(file);
  if (buf.toString("latin1", 1, 6) !== "NUMPY") throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const header = buf.toString("latin1", headerStart, headerStart + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: Fortran order unsupported`);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)[1];
  const shape = shapeText.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  const offset = headerStart + headerLen;
  const bytes = buf.subarray(offset);
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  const kinds = { "<f4": Float32Array, "<f8": Float64Array, "<i8": BigInt64Array, "|b1": Uint8Array };
  const Kind = kinds[descr];
  if (!Kind) throw new Error(`${file}: dtype ${descr} unsupported`);
  return { shape, dtype: descr, data: new Kind(copy.buffer) };
}

/** Loads an int64 .npy as plain numbers. */
export function loadInts(rel) {
  return Array.from(loadNpy(rel).data, Number);
}

/** Loads a float .npy as a Tensor-like {shape, data: Float32Array}. */
export function loadTensor(rel) {
  const { shape, data } = loadNpy(rel);
  return { shape, data: data instanceof Float32Array ? data : Float32Array.from(data, Number) };
}

/** Loads a 2-D .npy (int64 or bool) as nested arrays of numbers / booleans. */
export function loadRows(rel) {
  const { shape, data, dtype } = loadNpy(rel);
  const [rows, cols] = shape;
  const out = [];
  for (let r = 0; r < rows; r++) {
    const row = [];
    for (let c = 0; c < cols; c++) {
      const v = data[r * cols + c];
      row.push(dtype === "|b1" ? v !== 0 : Number(v));
    }
    out.push(row);
  }
  return out;
}
