// JPEG files for the image fuzzers: marker segments split out, and segment-aware mutations: frame
// header (SOF) sizes, component counts and sampling factors at boundary values, table segments (DQT,
// DHT) with lying counts, segment lengths that lie, dropped / duplicated segments, truncated scans.
import { pickBoundary, writeUint } from "./mutate.mjs";

/** Segments of a JPEG: [{marker, pos, end, lengthPos?}]; the entropy-coded data after SOS belongs to it. */
export function splitJpeg(buf) {
  const segs = [];
  let pos = 2;
  while (pos + 4 <= buf.length && buf[pos] === 0xff) {
    const marker = buf[pos + 1];
    if (marker === 0xd9) {
      segs.push({ marker, pos, end: pos + 2 });
      break;
    }
    const len = buf.readUInt16BE(pos + 2);
    let end = pos + 2 + len;
    if (marker === 0xda) {
      // Scan data runs to the next marker that is neither a stuffed 0xFF00 nor a restart marker.
      let p = end;
      while (p + 1 < buf.length && !(buf[p] === 0xff && buf[p + 1] !== 0 && (buf[p + 1] < 0xd0 || buf[p + 1] > 0xd7))) p++;
      end = p;
    }
    if (end > buf.length) break;
    segs.push({ marker, pos, end, lengthPos: pos + 2 });
    pos = end;
  }
  return segs;
}

// Fields of the frame header after the length: precision(1) height(2) width(2) components(1), then per
// component id(1) sampling(1) table(1).
const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2]);

/** Mutates a JPEG at the segment level; `byteMutate(buf)` is the format-blind fallback. */
export function mutateJpeg(buf, rng, { byteMutate }) {
  const segs = splitJpeg(buf);
  if (segs.length === 0) return byteMutate(buf);
  const out = Buffer.from(buf);
  switch (rng.int(6)) {
    case 0:
    case 1: {
      const sof = segs.find((s) => SOF_MARKERS.has(s.marker));
      if (!sof) return byteMutate(buf);
      const p = sof.pos + 4;
      const field = rng.int(5);
      if (field === 0) out[p] = rng.pick([0, 1, 8, 12, 16, 255]);
      else if (field === 1 || field === 2) {
        const v = rng.chance(0.6) ? BigInt(rng.pick([0, 1, 4095, 4096, 4097, 8192, 16384, 30000, 65535])) : pickBoundary(rng, 2, buf.length);
        writeUint(out, p + (field === 1 ? 1 : 3), 2, v, false);
      } else if (field === 3) out[p + 5] = rng.pick([0, 1, 2, 3, 4, 5, 255]);
      else {
        const n = Math.max(1, Math.min(out[p + 5], 4));
        const c = p + 6 + 3 * rng.int(n);
        if (c + 2 < sof.end) out[c + rng.int(3)] = rng.pick([0x00, 0x11, 0x22, 0x44, 0xff, 0x0f, 0xf0, rng.int(256)]);
      }
      return out;
    }
    case 2: {
      const s = rng.pick(segs.filter((x) => x.lengthPos !== undefined));
      if (!s) return byteMutate(buf);
      writeUint(out, s.lengthPos, 2, pickBoundary(rng, 2, buf.length), false);
      return out;
    }
    case 3: {
      const s = rng.pick(segs);
      return rng.chance(0.5)
        ? Buffer.concat([buf.subarray(0, s.pos), buf.subarray(s.end)])
        : Buffer.concat([buf.subarray(0, s.end), buf.subarray(s.pos, s.end), buf.subarray(s.end)]);
    }
    case 4: {
      // Table segments: bytes after the length (table ids, Huffman code counts, quantisers).
      const tables = segs.filter((s) => s.marker === 0xc4 || s.marker === 0xdb || s.marker === 0xdd || s.marker === 0xda);
      if (!tables.length) return byteMutate(buf);
      const s = rng.pick(tables);
      const body = s.lengthPos + 2;
      const limit = s.marker === 0xda ? Math.min(s.end, body + 12) : s.end;
      if (limit <= body) return byteMutate(buf);
      out[rng.range(body, limit - 1)] = rng.pick([0, 1, 0x10, 0x11, 0x3f, 0xff, rng.int(256)]);
      return out;
    }
    default: {
      // A scan cut short (a partially uploaded file).
      const sos = segs.find((s) => s.marker === 0xda);
      if (!sos) return byteMutate(buf);
      return buf.subarray(0, rng.range(sos.pos, sos.end));
    }
  }
}
