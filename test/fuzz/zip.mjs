// Zip archives for the checkpoint fuzzer: a minimal writer (stored or deflated members, as torch.save
// lays them out), a reader for well-formed seeds, and mutations of the header fields (local headers,
// central directory, end records, zip64 records) set to boundary values.
import zlib from "node:zlib";
import { pickBoundary, writeUint } from "./mutate.mjs";

/** Builds a zip of `members` ({name, data, deflate?}); `align` pads local extras so data starts 64-byte aligned. */
export function buildZip(members, { align = true } = {}) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name, "utf8");
    const data = m.deflate ? zlib.deflateRawSync(m.data) : m.data;
    const crc = zlib.crc32(m.data) >>> 0;
    // torch.save pads the local extra field so each storage starts at a multiple of 64.
    const base = offset + 30 + name.length;
    const extraLen = align && !m.deflate ? (64 - ((base + 4) % 64)) % 64 + 4 : 0;
    const extra = Buffer.alloc(extraLen);
    if (extraLen) {
      extra.writeUInt16LE(0x4746, 0); // torch's "FB" padding record
      extra.writeUInt16LE(extraLen - 4, 2);
    }
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(m.deflate ? 8 : 0, 8);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(data.length, 18);
    lh.writeUInt32LE(m.data.length, 22);
    lh.writeUInt16LE(name.length, 26);
    lh.writeUInt16LE(extraLen, 28);
    locals.push(lh, name, extra, data);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(m.deflate ? 8 : 0, 10);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(data.length, 20);
    ch.writeUInt32LE(m.data.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(offset, 42);
    centrals.push(ch, name);
    offset += 30 + name.length + extraLen + data.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(members.length, 8);
  eocd.writeUInt16LE(members.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

/** Reads the members of a well-formed zip (stored or deflated; zip64 sizes/offsets honoured). */
export function readZip(buf) {
  const eocdAt = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocdAt < 0) throw new Error("no end of central directory");
  let count = buf.readUInt16LE(eocdAt + 10);
  let cdOffset = buf.readUInt32LE(eocdAt + 16);
  const loc = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x06, 0x07]), eocdAt);
  if (loc >= 0 && loc + 20 === eocdAt) {
    const z = Number(buf.readBigUInt64LE(loc + 8));
    count = Number(buf.readBigUInt64LE(z + 32));
    cdOffset = Number(buf.readBigUInt64LE(z + 48));
  }
  const members = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    const method = buf.readUInt16LE(p + 10);
    let csize = buf.readUInt32LE(p + 20);
    let usize = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    let local = buf.readUInt32LE(p + 42);
    const name = buf.toString("utf8", p + 46, p + 46 + nameLen);
    // zip64 extended information: the fields saturated in the fixed header, in order.
    let e = p + 46 + nameLen;
    while (e + 4 <= p + 46 + nameLen + extraLen) {
      const id = buf.readUInt16LE(e);
      const len = buf.readUInt16LE(e + 2);
      if (id === 1) {
        let q = e + 4;
        if (usize === 0xffffffff) (usize = Number(buf.readBigUInt64LE(q))), (q += 8);
        if (csize === 0xffffffff) (csize = Number(buf.readBigUInt64LE(q))), (q += 8);
        if (local === 0xffffffff) local = Number(buf.readBigUInt64LE(q));
      }
      e += 4 + len;
    }
    const dataAt = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(dataAt, dataAt + csize);
    members.push({ name, data: method === 8 ? zlib.inflateRawSync(raw) : Buffer.from(raw), deflate: method === 8, usize });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return members;
}

// Field layouts (offset from the signature, width in bytes) of every zip record.
const RECORDS = [
  { sig: 0x04034b50, fields: [[4, 2], [6, 2], [8, 2], [14, 4], [18, 4], [22, 4], [26, 2], [28, 2]] },
  { sig: 0x02014b50, fields: [[6, 2], [8, 2], [10, 2], [16, 4], [20, 4], [24, 4], [28, 2], [30, 2], [32, 2], [34, 2], [42, 4]] },
  { sig: 0x06054b50, fields: [[4, 2], [6, 2], [8, 2], [10, 2], [12, 4], [16, 4], [20, 2]] },
  { sig: 0x06064b50, fields: [[4, 8], [16, 4], [20, 4], [24, 8], [32, 8], [40, 8], [48, 8]] },
  { sig: 0x07064b50, fields: [[4, 4], [8, 8], [16, 4]] },
];

/** Every header field of every zip record found in `buf`: [{pos, bytes, record}]. */
export function zipFields(buf) {
  const out = [];
  for (const { sig, fields } of RECORDS) {
    const needle = Buffer.alloc(4);
    needle.writeUInt32LE(sig);
    for (let at = buf.indexOf(needle); at >= 0; at = buf.indexOf(needle, at + 1)) {
      for (const [off, bytes] of fields) if (at + off + bytes <= buf.length) out.push({ pos: at + off, bytes, record: sig });
    }
  }
  return out;
}

/** Sets one to three zip header fields to boundary values (sizes, offsets, counts, name lengths, methods). */
export function mutateZipFields(buf, rng) {
  const fields = zipFields(buf);
  if (!fields.length) return buf;
  const out = Buffer.from(buf);
  for (let k = rng.range(1, 3); k > 0; k--) {
    const f = rng.pick(fields);
    writeUint(out, f.pos, f.bytes, pickBoundary(rng, f.bytes, buf.length));
  }
  return out;
}
