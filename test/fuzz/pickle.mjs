// Pickle streams for the checkpoint fuzzer: an opcode scanner (so mutations land on opcode boundaries),
// opcode-aware mutations (delete / duplicate / move / re-code ops, boundary values in their arguments,
// inserted ops, floods of one op, renamed torch globals and storage keys) and payloads that would run
// code in a real unpickler (os.system, builtins.eval, subprocess.Popen, …), which our reader must refuse.
import { pickBoundary, writeUint } from "./mutate.mjs";

// Argument layout of each opcode: [kind, width] (kind: none, int, len, line, line2).
const OPS = new Map([
  [0x80, ["int", 1]], [0x4b, ["int", 1]], [0x71, ["int", 1]], [0x68, ["int", 1]], [0x82, ["int", 1]],
  [0x4d, ["int", 2]], [0x83, ["int", 2]],
  [0x4a, ["int", 4]], [0x72, ["int", 4]], [0x6a, ["int", 4]], [0x84, ["int", 4]],
  [0x95, ["int", 8]], [0x47, ["int", 8]],
  [0x8a, ["len", 1]], [0x8c, ["len", 1]], [0x55, ["len", 1]], [0x43, ["len", 1]],
  [0x8b, ["len", 4]], [0x58, ["len", 4]], [0x54, ["len", 4]], [0x42, ["len", 4]],
  [0x8d, ["len", 8]], [0x8e, ["len", 8]], [0x96, ["len", 8]],
  [0x49, ["line"]], [0x4c, ["line"]], [0x46, ["line"]], [0x56, ["line"]], [0x70, ["line"]], [0x67, ["line"]],
  [0x50, ["line"]], [0x53, ["line"]],
  [0x63, ["line2"]], [0x69, ["line2"]],
]);
const NO_ARG = [
  0x2e, 0x28, 0x30, 0x31, 0x32, 0x4e, 0x88, 0x89, 0x29, 0x85, 0x86, 0x87, 0x74, 0x5d, 0x6c, 0x7d, 0x64, 0x8f, 0x90,
  0x91, 0x61, 0x65, 0x73, 0x75, 0x94, 0x93, 0x6f, 0x52, 0x81, 0x92, 0x62, 0x51, 0x97, 0x98,
];
for (const op of NO_ARG) OPS.set(op, ["none"]);
const ALL_OPS = [...OPS.keys()];

/** Splits a pickle into opcodes: [{pos, end, op, kind, argPos, argWidth}]; stops at an unknown or truncated op. */
export function scanPickle(buf) {
  const ops = [];
  let pos = 0;
  while (pos < buf.length) {
    const op = buf[pos];
    const spec = OPS.get(op);
    if (!spec) break;
    const [kind, width] = spec;
    let end = pos + 1;
    if (kind === "int") end += width;
    else if (kind === "len") {
      if (end + width > buf.length) break;
      const n = width === 1 ? buf[end] : width === 4 ? buf.readUInt32LE(end) : Number(buf.readBigUInt64LE(end));
      end += width + n;
    } else if (kind === "line" || kind === "line2") {
      for (let k = kind === "line" ? 1 : 2; k > 0; k--) {
        const nl = buf.indexOf(0x0a, end);
        if (nl < 0) return ops;
        end = nl + 1;
      }
    }
    if (end > buf.length) break;
    ops.push({ pos, end, op, kind, argPos: pos + 1, argWidth: width ?? 0 });
    pos = end;
    if (op === 0x2e) break;
  }
  return ops;
}

const str8 = (s) => {
  const b = Buffer.from(s, "utf8");
  return Buffer.concat([Buffer.from([0x8c, b.length]), b]);
};
const str32 = (s) => {
  const b = Buffer.from(s, "utf8");
  const len = Buffer.alloc(4);
  len.writeUInt32LE(b.length);
  return Buffer.concat([Buffer.from([0x58]), len, b]);
};
const global = (m, n) => Buffer.from(`c${m}\n${n}\n`, "latin1");

/** Callables a malicious pickle would name: a real unpickler imports and calls them. */
export const FORBIDDEN_GLOBALS = [
  ["os", "system"], ["posix", "system"], ["nt", "system"], ["builtins", "eval"], ["builtins", "exec"],
  ["__builtin__", "eval"], ["builtins", "getattr"], ["builtins", "__import__"], ["subprocess", "Popen"],
  ["subprocess", "check_output"], ["runpy", "_run_code"], ["torch", "load"], ["torch.serialization", "load"],
  ["numpy.core.multiarray", "_reconstruct"], ["webbrowser", "open"], ["shutil", "rmtree"], ["pickle", "loads"],
  ["torch._utils", "_rebuild_device_tensor_from_numpy"], ["builtins", "setattr"], ["functools", "partial"],
];

/**
 * A payload that would run `cmd` (or another forbidden call) in Python's unpickler, in one of the
 * shapes attackers use: GLOBAL+REDUCE, STACK_GLOBAL+REDUCE, INST, OBJ, NEWOBJ, an allowed name called in
 * a way that is not allowed, or the extension registry.
 */
export function forbiddenPayload(rng, cmd) {
  const [m, n] = rng.pick(FORBIDDEN_GLOBALS);
  const arg = str32(cmd);
  switch (rng.int(8)) {
    case 0: return Buffer.concat([global(m, n), Buffer.from([0x28]), arg, Buffer.from([0x74, 0x52])]);
    case 1: return Buffer.concat([str8(m), str8(n), Buffer.from([0x93, 0x28]), arg, Buffer.from([0x74, 0x52])]);
    case 2: return Buffer.concat([Buffer.from([0x28]), arg, Buffer.from(`i${m}\n${n}\n`, "latin1")]);
    case 3: return Buffer.concat([Buffer.from([0x28]), global(m, n), arg, Buffer.from([0x6f])]);
    case 4: return Buffer.concat([global(m, n), Buffer.from([0x28]), arg, Buffer.from([0x74, 0x81])]);
    // Allow-listed names used as callables in ways that are not: a storage class called, an
    // OrderedDict built with contents, BUILD on a non-dict.
    case 5: return Buffer.concat([global("torch", "FloatStorage"), Buffer.from([0x28]), arg, Buffer.from([0x74, 0x52])]);
    case 6: return Buffer.concat([global(m, n), Buffer.from([0x7d, 0x62])]);
    default: return Buffer.from([0x82, rng.int(256)]);
  }
}

/** A random single opcode with a plausible or boundary argument. */
function randomOp(rng, inputSize) {
  const op = rng.pick(ALL_OPS);
  const [kind, width] = OPS.get(op);
  if (kind === "none") return Buffer.from([op]);
  if (kind === "int") {
    const b = Buffer.alloc(1 + width);
    b[0] = op;
    writeUint(b, 1, width, rng.chance(0.5) ? BigInt(rng.int(8)) : pickBoundary(rng, width, inputSize));
    return b;
  }
  if (kind === "len") {
    const honest = rng.chance(0.6);
    const n = honest ? rng.size(64) : 0;
    const b = Buffer.alloc(1 + width + n, 0x41);
    b[0] = op;
    writeUint(b, 1, width, honest ? BigInt(n) : pickBoundary(rng, width, inputSize));
    return b;
  }
  const line = () => rng.pick(["0", "1", "00", "01", "-1", "99999999999999999999", "1e308", "nan", "x", "", "storage"]);
  if (kind === "line") return Buffer.from(`${String.fromCharCode(op)}${line()}\n`, "latin1");
  const [m, n] = rng.chance(0.5) ? rng.pick(FORBIDDEN_GLOBALS) : rng.pick(ALLOWED_NAMES);
  return Buffer.from(`${String.fromCharCode(op)}${m}\n${n}\n`, "latin1");
}

const ALLOWED_NAMES = [
  ["collections", "OrderedDict"], ["torch._utils", "_rebuild_tensor_v2"], ["torch._utils", "_rebuild_tensor"],
  ["torch._utils", "_rebuild_parameter"], ["torch", "FloatStorage"], ["torch", "HalfStorage"], ["torch", "BFloat16Storage"],
  ["torch", "LongStorage"], ["torch", "DoubleStorage"], ["torch", "UntypedStorage"], ["torch", "NoSuchStorage"],
];

// Strings torch pickles carry (storage types, keys, locations) and what to swap them for.
const STRING_SWAPS = [
  "storage", "FloatStorage", "HalfStorage", "BFloat16Storage", "DoubleStorage", "LongStorage", "cpu", "cuda:0",
  "0", "1", "99", "../../etc/passwd", "a/b", "", "data", ".", "_metadata", "weight", "\u0000", "x".repeat(300),
];

/** Ops that one byte each can repeat: a flood of them stresses the VM's stack, memo and mark limits. */
const FLOOD_OPS = [[0x28], [0x32], [0x5d], [0x7d], [0x29], [0x4e], [0x94], [0x88, 0x94], [0x28, 0x5d], [0x4e, 0x85]];

/**
 * Mutates a pickle. `meta.forbidden` is set when a forbidden call was inserted before STOP (such a
 * pickle must never load); `meta.flood` when a large run of ops was inserted (the caller may deflate it).
 */
export function mutatePickle(buf, rng, meta) {
  const ops = scanPickle(buf);
  if (ops.length < 2) return buf;
  const stopAt = ops.findIndex((o) => o.op === 0x2e);
  const lastBody = stopAt > 0 ? stopAt : ops.length;
  const at = (o) => buf.subarray(o.pos, o.end);
  const boundary = () => ops[rng.int(lastBody)].pos; // an opcode start before STOP
  const insert = (pos, bytes) => Buffer.concat([buf.subarray(0, pos), bytes, buf.subarray(pos)]);
  switch (rng.int(10)) {
    case 0: {
      const o = rng.pick(ops);
      return Buffer.concat([buf.subarray(0, o.pos), buf.subarray(o.end)]);
    }
    case 1:
      return insert(boundary(), at(rng.pick(ops)));
    case 2: {
      const o = rng.pick(ops);
      const rest = Buffer.concat([buf.subarray(0, o.pos), buf.subarray(o.end)]);
      const to = rng.int(rest.length + 1);
      return Buffer.concat([rest.subarray(0, to), at(o), rest.subarray(to)]);
    }
    case 3: {
      const out = Buffer.from(buf);
      out[rng.pick(ops).pos] = rng.pick(ALL_OPS);
      return out;
    }
    case 4: {
      const withArgs = ops.filter((o) => o.kind === "int" || o.kind === "len");
      if (!withArgs.length) return buf;
      const o = rng.pick(withArgs);
      const out = Buffer.from(buf);
      writeUint(out, o.argPos, o.argWidth, pickBoundary(rng, o.argWidth, buf.length));
      return out;
    }
    case 5: {
      let bytes = Buffer.alloc(0);
      for (let k = rng.range(1, 4); k > 0; k--) bytes = Buffer.concat([bytes, randomOp(rng, buf.length)]);
      return insert(boundary(), bytes);
    }
    case 6: {
      const unit = Buffer.from(rng.pick(FLOOD_OPS));
      const n = rng.size(4_000_000);
      meta.flood = n;
      return insert(boundary(), Buffer.alloc(n * unit.length).fill(unit));
    }
    case 7: {
      meta.forbidden = true;
      return insert(boundary(), forbiddenPayload(rng, `touch ${meta.sentinel ?? "/nonexistent"}`));
    }
    case 8: {
      const strings = ops.filter((o) => o.op === 0x8c || o.op === 0x58 || o.op === 0x63);
      if (!strings.length) return buf;
      const o = rng.pick(strings);
      const s = rng.pick(STRING_SWAPS);
      const repl = o.op === 0x63 ? global(rng.pick(["torch", "collections", "torch._utils", "os"]), s) : rng.chance(0.5) ? str32(s) : str8(s.slice(0, 255));
      return Buffer.concat([buf.subarray(0, o.pos), repl, buf.subarray(o.end)]);
    }
    default: {
      // Small integers (shapes, strides, offsets, numels) set to boundary values.
      const ints = ops.filter((o) => o.op === 0x4b || o.op === 0x4d || o.op === 0x4a || o.op === 0x8a);
      if (!ints.length) return buf;
      const o = rng.pick(ints);
      const v = rng.pick([0n, 1n, 2n ** 31n - 1n, 2n ** 32n - 1n, 2n ** 53n, 2n ** 63n - 1n, 2n ** 64n - 1n, BigInt(rng.int(1 << 20))]);
      const b = Buffer.alloc(10);
      b[0] = 0x8a;
      b[1] = 8;
      b.writeBigUInt64LE(v, 2);
      return Buffer.concat([buf.subarray(0, o.pos), b, buf.subarray(o.end)]);
    }
  }
}
