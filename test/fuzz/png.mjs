// PNG files for the image and workflow fuzzers: chunk splitting and reassembly (CRCs recomputed, or
// left stale on purpose), and chunk-aware mutations: IHDR fields at boundary values, lying chunk
// lengths, dropped / duplicated / reordered chunks, IDAT replaced by a decompression bomb, a truncated
// or wrongly sized stream, and `tEXt` payloads rewritten by a caller-supplied text mutator.
import zlib from "node:zlib";
import { pickBoundary, writeUint } from "./mutate.mjs";

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Splits a PNG into chunks [{type, data}] (lenient: stops at the first chunk that does not fit). */
export function splitPng(buf) {
  const chunks = [];
  let pos = 8;
  while (pos + 12 <= buf.length) {
    const len = buf.readUInt32BE(pos);
    if (pos + 12 + len > buf.length) break;
    chunks.push({ type: buf.toString("latin1", pos + 4, pos + 8), data: buf.subarray(pos + 8, pos + 8 + len) });
    pos += 12 + len;
  }
  return chunks;
}

/** One chunk's bytes; `crc` false leaves a wrong CRC. */
export function pngChunk(type, data, crc = true) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const sum = Buffer.alloc(4);
  sum.writeUInt32BE(crc ? zlib.crc32(Buffer.concat([head.subarray(4), data])) >>> 0 : 0xdeadbeef);
  return Buffer.concat([head, data, sum]);
}

/** Reassembles chunks into a PNG. */
export function joinPng(chunks, crc = true) {
  return Buffer.concat([SIGNATURE, ...chunks.map((c) => pngChunk(c.type, c.data, crc))]);
}

/** A tEXt chunk. */
export function textChunk(keyword, text) {
  return { type: "tEXt", data: Buffer.concat([Buffer.from(keyword, "latin1"), Buffer.from([0]), Buffer.from(text, "latin1")]) };
}

const bombs = new Map();
/** zlib data inflating to `n` zero bytes (cached: making a 64 MB bomb takes a while). */
export function zlibBomb(n) {
  if (!bombs.has(n)) bombs.set(n, zlib.deflateSync(Buffer.alloc(n), { level: 9 }));
  return bombs.get(n);
}

const IHDR_FIELDS = [[0, 4], [4, 4], [8, 1], [9, 1], [10, 1], [11, 1], [12, 1]];
const ODD_CHUNKS = ["PLTE", "tRNS", "IDAT", "IEND", "iTXt", "zTXt", "gAMA", "sBIT", "aBCD", "ABCD", "acTL", "fdAT"];

/**
 * Mutates a PNG at the chunk level. `textMutate(text)` rewrites a `tEXt` value (e.g. the embedded
 * workflow JSON); `byteMutate(buf)` is the format-blind fallback.
 */
export function mutatePng(buf, rng, { textMutate, byteMutate }) {
  const chunks = splitPng(buf).map((c) => ({ ...c }));
  if (chunks.length === 0) return byteMutate(buf);
  let crc = !rng.chance(0.05);
  const pickType = (t) => chunks.filter((c) => c.type === t);
  switch (rng.int(10)) {
    case 0:
    case 1: {
      const ihdr = pickType("IHDR")[0];
      if (!ihdr || ihdr.data.length < 13) return byteMutate(buf);
      ihdr.data = Buffer.from(ihdr.data);
      const [off, bytes] = rng.pick(IHDR_FIELDS);
      const v = bytes === 4 && rng.chance(0.5) ? BigInt(rng.pick([0, 1, 4095, 4096, 4097, 8192, 30000, 65535, 65536])) : pickBoundary(rng, bytes, buf.length);
      writeUint(ihdr.data, off, bytes, v, false);
      break;
    }
    case 2: {
      // A chunk whose declared length lies (written raw, after reassembly).
      const out = joinPng(chunks, crc);
      const starts = [];
      for (let pos = 8, i = 0; i < chunks.length; i++) starts.push(pos), (pos += 12 + chunks[i].data.length);
      writeUint(out, rng.pick(starts), 4, pickBoundary(rng, 4, buf.length), false);
      return out;
    }
    case 3:
      chunks.splice(rng.int(chunks.length), 1);
      break;
    case 4: {
      const c = rng.pick(chunks);
      chunks.splice(rng.int(chunks.length + 1), 0, { ...c });
      break;
    }
    case 5: {
      const idats = pickType("IDAT");
      const kind = rng.int(5);
      let data;
      if (kind === 0) data = zlibBomb(rng.pick([1 << 20, 16 << 20, 64 << 20]));
      else if (kind === 1) data = Buffer.concat(idats.map((c) => c.data)).subarray(0, rng.int(64));
      else if (kind === 2) data = rng.bytes(rng.size(4096));
      else if (kind === 3) data = zlib.deflateSync(Buffer.alloc(rng.size(1 << 16), rng.int(256)));
      else data = zlib.deflateSync(rng.bytes(rng.size(1 << 14)));
      const first = chunks.findIndex((c) => c.type === "IDAT");
      const rest = chunks.filter((c) => c.type !== "IDAT");
      rest.splice(first < 0 ? Math.max(1, rest.length - 1) : first, 0, { type: "IDAT", data });
      chunks.length = 0;
      chunks.push(...rest);
      break;
    }
    case 6: {
      const texts = pickType("tEXt");
      if (!texts.length || !textMutate) return byteMutate(buf);
      const c = rng.pick(texts);
      const nul = c.data.indexOf(0);
      const key = nul < 0 ? "" : c.data.toString("latin1", 0, nul);
      const value = c.data.toString("latin1", nul + 1);
      const next = textChunk(rng.chance(0.9) ? key : rng.pick(["prompt", "workflow", "", "Workflow", "x".repeat(80)]), textMutate(value));
      c.data = next.data;
      break;
    }
    case 7: {
      const type = rng.pick(ODD_CHUNKS);
      chunks.splice(rng.range(1, chunks.length), 0, { type, data: rng.bytes(rng.size(type === "PLTE" ? 800 : 64)) });
      break;
    }
    case 8: {
      // The image data split into many tiny IDATs (decoders must concatenate them).
      const all = Buffer.concat(pickType("IDAT").map((c) => c.data));
      const size = Math.max(rng.range(1, 16), Math.ceil(all.length / 4000));
      const parts = [];
      for (let i = 0; i < all.length; i += size) parts.push({ type: "IDAT", data: all.subarray(i, i + size) });
      const first = chunks.findIndex((c) => c.type === "IDAT");
      if (first < 0) return byteMutate(buf);
      const rest = chunks.filter((c) => c.type !== "IDAT");
      return joinPng([...rest.slice(0, first), ...parts, ...rest.slice(first)], crc);
    }
    default:
      crc = false;
  }
  return joinPng(chunks, crc);
}
