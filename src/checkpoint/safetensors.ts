/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
 * (`{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}`), then the tensor bytes,
 * contiguous and little-endian, offsets relative to byte 8 + N.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { contiguousStrides, DTYPE_BYTES, shapeNumel, type CheckpointIndex, type TensorEntry, type WeightDType } from "./types.js";

/** Largest JSON header we accept (the format's own reference implementation caps it at 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

const TO_ST: Record<WeightDType, string> = { float32: "F32", float16: "F16", bfloat16: "BF16" };
const FROM_ST: Record<string, WeightDType> = { F32: "float32", F16: "float16", BF16: "bfloat16" };

/** Reads the tensor index of a `.safetensors` file; errors name the file and the tensor. */
export async function readSafetensorsIndex(file: string): Promise<CheckpointIndex & { metadata: Record<string, string> }> {
  const fh = await fs.open(file, "r");
  try {
    const { size } = await fh.stat();
    if (size < 8) throw new Error(`${file}: truncated safetensors file (${size} bytes)`);
    const lenBuf = Buffer.alloc(8);
    await fh.read(lenBuf, 0, 8, 0);
    const headerLen = Number(lenBuf.readBigUInt64LE(0));
    if (headerLen > MAX_HEADER_BYTES || 8 + headerLen > size) {
      throw new Error(`${file}: corrupt or truncated safetensors header (declares ${headerLen} bytes, file has ${size})`);
    }
    const headerBuf = Buffer.alloc(headerLen);
    await fh.read(headerBuf, 0, headerLen, 8);
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(headerBuf.toString("utf8"));
    } catch (err) {
      throw new Error(`${file}: corrupt safetensors header (${(err as Error).message})`);
    }
    if (typeof header !== "object" || header === null || Array.isArray(header)) {
      throw new Error(`${file}: corrupt safetensors header (not a JSON object)`);
    }
    const dataStart = 8 + headerLen;
    const tensors = new Map<string, TensorEntry>();
    let metadata: Record<string, string> = {};
    for (const [name, raw] of Object.entries(header)) {
      if (name === "__metadata__") {
        metadata = (raw ?? {}) as Record<string, string>;
        continue;
      }
      const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      const dtype = FROM_ST[String(info?.dtype)];
      if (!dtype) throw new Error(`${file}: tensor ${name} has dtype ${String(info?.dtype)}; only F32, F16 and BF16 are supported`);
      const shape = info.shape;
      const offs = info.data_offsets;
      const isInt = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
      if (!Array.isArray(shape) || !shape.every(isInt) || !Array.isArray(offs) || offs.length !== 2 || !offs.every(isInt)) {
        throw new Error(`${file}: tensor ${name} has a malformed header entry`);
      }
      const [begin, end] = offs as number[];
      const bytes = shapeNumel(shape) * DTYPE_BYTES[dtype];
      if (end < begin || end - begin !== bytes) {
        throw new Error(`${file}: tensor ${name} (shape [${shape}], ${dtype}) needs ${bytes} bytes but its data_offsets span ${end - begin}`);
      }
      if (dataStart + end > size) {
        throw new Error(`${file}: truncated — tensor ${name} ends at byte ${dataStart + end} but the file has ${size}`);
      }
      tensors.set(name, {
        name,
        dtype,
        shape: shape as number[],
        strides: contiguousStrides(shape as number[]),
        offset: dataStart + begin,
        storageBytes: bytes,
      });
    }
    return { file, format: "safetensors", tensors, metadata };
  } finally {
    await fh.close();
  }
}

/** One tensor to write: its bytes (contiguous, little-endian, in `dtype`) given directly or produced on demand. */
export interface SafetensorsInput {
  name: string;
  dtype: WeightDType;
  shape: number[];
  /** The bytes, or a function producing them when the writer reaches this tensor (so only one is in memory). */
  data: Uint8Array | (() => Promise<Uint8Array>);
}

/**
 * Writes `tensors` to `file` in the safetensors format, tensor by tensor (at most one tensor's bytes are held
 * at a time when `data` is a function). Writes to a temporary file renamed into place at the end, so a failed
 * write never leaves a truncated `file` behind.
 */
export async function writeSafetensors(
  file: string,
  tensors: SafetensorsInput[],
  metadata?: Record<string, string>,
): Promise<void> {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let cursor = 0;
  const seen = new Set<string>();
  for (const t of tensors) {
    if (seen.has(t.name)) throw new Error(`${file}: tensor ${t.name} is listed twice`);
    seen.add(t.name);
    const bytes = shapeNumel(t.shape) * DTYPE_BYTES[t.dtype];
    header[t.name] = { dtype: TO_ST[t.dtype], shape: t.shape, data_offsets: [cursor, cursor + bytes] };
    cursor += bytes;
  }
  // Pad the JSON with spaces so tensor data starts 8-byte aligned (as the reference writer does).
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBuf = Buffer.from(json, "utf8");
  const lenBuf = Buffer.alloc(8);
  lenBuf.writeBigUInt64LE(BigInt(headerBuf.length));

  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fh = await fs.open(tmp, "w");
  try {
    await fh.write(lenBuf);
    await fh.write(headerBuf);
    for (const t of tensors) {
      const want = shapeNumel(t.shape) * DTYPE_BYTES[t.dtype];
      const data = typeof t.data === "function" ? await t.data() : t.data;
      if (data.byteLength !== want) {
        throw new Error(`${file}: tensor ${t.name} (shape [${t.shape}], ${t.dtype}) needs ${want} bytes, got ${data.byteLength}`);
      }
      await fh.write(data);
    }
    await fh.close();
    await fs.rename(tmp, file);
  } catch (err) {
    await fh.close().catch(() => undefined);
    await fs.rm(tmp, { force: true });
    throw err;
  }
}
