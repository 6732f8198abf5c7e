// Safetensors files for the checkpoint fuzzer: split into (header JSON, data), header-aware mutations
// (dtypes, shapes and data_offsets set to boundary or ill-typed values, entries dropped, duplicated or
// renamed, `__metadata__` replaced, the length prefix lied about) and reassembly.
import { pickBoundary, writeUint } from "./mutate.mjs";

/** Splits a well-formed file: {header (parsed JSON), data (bytes after the header)}. */
export function splitSafetensors(buf) {
  const n = Number(buf.readBigUInt64LE(0));
  return { header: JSON.parse(buf.toString("utf8", 8, 8 + n)), data: buf.subarray(8 + n) };
}

/** Reassembles a file from a header (object, or raw JSON bytes) and data bytes. */
export function joinSafetensors(header, data) {
  const json = Buffer.isBuffer(header) ? header : Buffer.from(JSON.stringify(header), "utf8");
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

const ODD_NUMBERS = [0, 1, -1, 1.5, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 1e308, -0, "3", null, true, [2], {}];
const DTYPES = ["F32", "F16", "BF16", "F64", "I64", "U8", "BOOL", "F8_E4M3", "", "f32", null, 4, ["F32"]];
const NAMES = ["__proto__", "constructor", "toString", "", "x".repeat(5000), "a\u0000b", "input_blocks.0.0.weight", "__metadata__"];

/** One structural change of a safetensors header (`h` is modified in place); returns it. */
function mutateHeader(h, rng, dataLength) {
  const names = Object.keys(h).filter((k) => k !== "__metadata__");
  const name = names.length ? rng.pick(names) : undefined;
  const raw = name ? h[name] : undefined;
  // Earlier edits may have replaced the entry by a non-object.
  const entry = raw && typeof raw === "object" && !Array.isArray(raw) ? raw : undefined;
  switch (rng.int(10)) {
    case 0:
      if (entry) entry.dtype = rng.pick(DTYPES);
      break;
    case 9:
      // A module index far out of range (input_blocks.99999999…): config inference counts from names.
      if (name && /\d/.test(name)) {
        h[name.replace(/\d+/, String(rng.pick([2 ** 31 - 1, 1e6, 99999999, 2 ** 53])))] = raw;
        if (rng.chance(0.5)) delete h[name];
      }
      break;
    case 1:
      if (entry && Array.isArray(entry.shape)) {
        if (entry.shape.length && rng.chance(0.7)) entry.shape[rng.int(entry.shape.length)] = rng.pick(ODD_NUMBERS);
        else if (rng.chance(0.5)) entry.shape.push(rng.pick([0, 1, 2, 2 ** 31]));
        else entry.shape.pop();
      } else if (entry) entry.shape = rng.pick([[], [2 ** 40, 2 ** 40], "3", null]);
      break;
    case 2:
      if (entry && Array.isArray(entry.data_offsets)) {
        const i = rng.int(2);
        entry.data_offsets[i] = rng.chance(0.6) ? Number(pickBoundary(rng, 8, dataLength)) % 2 ** 53 : rng.pick(ODD_NUMBERS);
        if (rng.chance(0.2)) entry.data_offsets.reverse();
        if (rng.chance(0.1)) entry.data_offsets.push(0);
      }
      break;
    case 3:
      if (name) delete h[name];
      break;
    case 4:
      if (entry) h[rng.pick(NAMES) + (rng.chance(0.5) ? "" : String(rng.int(100)))] = structuredClone(entry);
      break;
    case 5:
      h.__metadata__ = rng.pick([null, 5, "text", [1, 2], { format: "pt" }, { nested: { deep: [1] } }, { x: "y".repeat(100000) }]);
      break;
    case 6:
      // A tensor declaring far more elements than the file holds, with offsets that agree with its shape.
      h[`huge.${rng.int(1000)}`] = { dtype: "F32", shape: [rng.pick([2 ** 20, 2 ** 31, 2 ** 40]), 8], data_offsets: [0, dataLength] };
      break;
    case 7:
      if (name) h[name] = rng.pick([null, 0, "x", [], { dtype: "F32" }, { shape: [1], data_offsets: [0, 4] }]);
      break;
    default:
      // Two tensors over the same bytes.
      if (entry && names.length > 1) h[rng.pick(names)] = structuredClone(entry);
  }
  return h;
}

/**
 * Mutates a safetensors file: header-aware changes (re-serialised), the length prefix set to a boundary
 * value, the JSON text or the data section edited as bytes.
 */
export function mutateSafetensors(buf, rng, byteMutate) {
  let parts;
  try {
    parts = splitSafetensors(buf);
  } catch {
    return byteMutate(buf);
  }
  const r = rng.int(10);
  if (r < 6) {
    let h = parts.header;
    for (let k = rng.range(1, 3); k > 0; k--) h = mutateHeader(h, rng, parts.data.length);
    return joinSafetensors(h, parts.data);
  }
  if (r < 7) {
    const out = Buffer.from(buf);
    writeUint(out, 0, 8, pickBoundary(rng, 8, buf.length));
    return out;
  }
  if (r < 9) {
    const text = Buffer.from(JSON.stringify(parts.header), "utf8");
    return joinSafetensors(byteMutate(text), parts.data);
  }
  const cut = rng.int(parts.data.length + 1);
  return joinSafetensors(parts.header, parts.data.subarray(0, cut));
}
