// Format-blind byte mutations (bit flips, byte insert/delete, chunk splices, integer fields set to
// boundary values, truncation), stacked a few at a time. Structure-aware mutators live next to this
// file, one per format, and fall back on these.

/** Boundary values for an unsigned integer field of `bytes` bytes (plus a few tied to the input size). */
export function boundaryValues(bytes, inputSize = 0) {
  const max = 2n ** BigInt(8 * bytes) - 1n;
  const half = 2n ** BigInt(8 * bytes - 1);
  const vals = [0n, 1n, 2n, 0x7fn, 0x80n, 0xffn, max, max - 1n, half - 1n, half, half + 1n];
  if (bytes >= 2) vals.push(0x7fffn, 0x8000n, 0xffffn, 0x10000n);
  if (bytes >= 4) vals.push(0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n);
  if (bytes >= 8) vals.push(2n ** 53n - 1n, 2n ** 53n, 2n ** 63n - 1n);
  const n = BigInt(inputSize);
  vals.push(n, n + 1n, n - 1n, n * 2n, n * 1000n);
  return vals.filter((v) => v >= 0n && v <= max);
}

/** Writes `value` (bigint) as an unsigned `bytes`-byte integer at `pos` (little or big endian). */
export function writeUint(buf, pos, bytes, value, littleEndian = true) {
  let v = BigInt.asUintN(8 * bytes, value);
  for (let i = 0; i < bytes; i++) {
    buf[littleEndian ? pos + i : pos + bytes - 1 - i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** A boundary value for a field of `bytes` bytes. */
export function pickBoundary(rng, bytes, inputSize) {
  const vals = boundaryValues(bytes, inputSize);
  return rng.chance(0.8) ? rng.pick(vals) : BigInt(rng.u32()) & (2n ** BigInt(8 * bytes) - 1n);
}

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x0a, 0x28, 0x2e, 0x7b, 0x22];

/** The single mutations; each takes (buf, rng, others) and returns a new Buffer. */
export const byteMutators = {
  flipBits(buf, rng) {
    if (!buf.length) return buf;
    const out = Buffer.from(buf);
    for (let k = rng.range(1, 8); k > 0; k--) out[rng.int(out.length)] ^= 1 << rng.int(8);
    return out;
  },
  setBytes(buf, rng) {
    if (!buf.length) return buf;
    const out = Buffer.from(buf);
    for (let k = rng.range(1, 4); k > 0; k--) out[rng.int(out.length)] = rng.chance(0.5) ? rng.pick(INTERESTING_BYTES) : rng.int(256);
    return out;
  },
  insertBytes(buf, rng) {
    const at = rng.int(buf.length + 1);
    const n = rng.size(256);
    const ins = rng.chance(0.5) ? rng.bytes(n) : Buffer.alloc(n, rng.pick(INTERESTING_BYTES));
    return Buffer.concat([buf.subarray(0, at), ins, buf.subarray(at)]);
  },
  deleteBytes(buf, rng) {
    if (!buf.length) return buf;
    const at = rng.int(buf.length);
    const n = Math.min(buf.length - at, rng.size(256));
    return Buffer.concat([buf.subarray(0, at), buf.subarray(at + n)]);
  },
  duplicateRange(buf, rng) {
    if (!buf.length) return buf;
    const from = rng.int(buf.length);
    const n = Math.min(buf.length - from, rng.size(1024));
    const to = rng.int(buf.length + 1);
    return Buffer.concat([buf.subarray(0, to), buf.subarray(from, from + n), buf.subarray(to)]);
  },
  boundaryInt(buf, rng) {
    const bytes = rng.pick([1, 2, 4, 8]);
    if (buf.length < bytes) return buf;
    const out = Buffer.from(buf);
    writeUint(out, rng.int(buf.length - bytes + 1), bytes, pickBoundary(rng, bytes, buf.length), rng.chance(0.5));
    return out;
  },
  truncate(buf, rng) {
    return buf.subarray(0, rng.int(buf.length + 1));
  },
  splice(buf, rng, others) {
    const other = others?.length ? rng.pick(others) : buf;
    const a = rng.int(buf.length + 1);
    const b = rng.int(other.length + 1);
    return Buffer.concat([buf.subarray(0, a), other.subarray(b)]);
  },
};

const NAMES = Object.keys(byteMutators);

/** Applies 1 … `max` random byte mutations; `others` are inputs to splice from. Returns the mutated bytes. */
export function mutateBytes(buf, rng, others = [], max = 4) {
  let out = buf;
  for (let k = rng.range(1, max); k > 0; k--) out = byteMutators[rng.pick(NAMES)](out, rng, others);
  return out;
}
