/**
 * Reading one tensor's values from a checkpoint by offset (for the TypeScript side: conversion, small
 * tensors, tests). The native loader reads the same entries itself without going through JS.
 */
import fs from "node:fs/promises";
import {
  DTYPE_BYTES,
  isContiguous,
  shapeNumel,
  storageExtent,
  type CheckpointIndex,
  type TensorEntry,
} from "./types.js";

function entryOf(index: CheckpointIndex, name: string): TensorEntry {
  const e = index.tensors.get(name);
  if (!e) throw new Error(`${index.file}: tensor ${name} is not in the checkpoint`);
  return e;
}

/**
 * The tensor's elements in row-major order, as raw little-endian bytes of its own dtype (f16 stays f16).
 * Strided tensors are gathered into contiguous order.
 */
export async function readTensorBytes(index: CheckpointIndex, name: string): Promise<Uint8Array> {
  const e = entryOf(index, name);
  const item = DTYPE_BYTES[e.dtype];
  const span = storageExtent(e.shape, e.strides) * item;
  if (span > e.storageBytes) {
    throw new Error(`${index.file}: tensor ${name} spans ${span} bytes but its storage holds ${e.storageBytes}`);
  }
  const raw = Buffer.alloc(span);
  const fh = await fs.open(index.file, "r");
  try {
    let got = 0;
    while (got < span) {
      const { bytesRead } = await fh.read(raw, got, span - got, e.offset + got);
      if (bytesRead === 0) {
        throw new Error(`${index.file}: truncated — tensor ${name} needs bytes ${e.offset}..${e.offset + span} but the file ends at ${e.offset + got}`);
      }
      got += bytesRead;
    }
  } finally {
    await fh.close();
  }
  const out = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  return isContiguous(e.shape, e.strides) ? out : gather(out, e.shape, e.strides, item);
}

/** Copies a strided view (element strides) into a contiguous row-major buffer. */
function gather(src: Uint8Array, shape: number[], strides: number[], item: number): Uint8Array {
  const n = shapeNumel(shape);
  const dst = new Uint8Array(n * item);
  const idx = new Array<number>(shape.length).fill(0);
  let srcElem = 0;
  for (let i = 0; i < n; i++) {
    dst.set(src.subarray(srcElem * item, srcElem * item + item), i * item);
    // Odometer increment over the shape, tracking the source element offset.
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d]++;
      srcElem += strides[d];
      if (idx[d] < shape[d]) break;
      srcElem -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
  return dst;
}

/** Converts IEEE half-precision bits to a float. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // subnormal
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Decodes little-endian bytes of `dtype` into float32 values. */
export function bytesToFloat32(bytes: Uint8Array, dtype: TensorEntry["dtype"]): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength / DTYPE_BYTES[dtype];
  const out = new Float32Array(n);
  if (dtype === "float32") {
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
  } else if (dtype === "float16") {
    for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
  } else {
    // bfloat16 is the top half of a float32.
    const u32 = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) u32[i] = view.getUint16(2 * i, true) << 16;
  }
  return out;
}

/** Reads one tensor as float32 (f16/bf16 converted), row-major. Errors name the file and the tensor. */
export async function readTensorData(
  index: CheckpointIndex,
  name: string,
): Promise<{ shape: number[]; data: Float32Array }> {
  const e = entryOf(index, name);
  return { shape: [...e.shape], data: bytesToFloat32(await readTensorBytes(index, name), e.dtype) };
}
