// The fuzz worker process: runs one target's cases sent by the harness (test/fuzz/harness.mjs) and
// checks each outcome against the properties every target shares, plus the target's own `check`:
//   - the input loads, or fails with an Error whose message is the program's, not the JavaScript
//     engine's ("Cannot read properties of undefined", "Maximum call stack size exceeded", …);
//   - no single allocation larger than the target's bound for that input size (typed arrays,
//     ArrayBuffers and Buffers are counted when requested, so a refused absurd size counts too);
//   - peak resident memory during the case within the target's bound;
//   - nothing is executed: child_process, eval and Function are trip-wired, and the sentinel file a
//     malicious pickle would `touch` must never appear.
// A hang or a crash of this process is detected by the harness, which kills and restarts it.
import { createRequire, syncBuiltinESMExports } from "node:module";
import fs from "node:fs";

const require = createRequire(import.meta.url);

// --- allocation accounting -------------------------------------------------------------------------
const alloc = { active: false, max: 0 };
const note = (bytes) => {
  if (alloc.active && Number.isFinite(bytes) && bytes > alloc.max) alloc.max = bytes;
};
for (const C of [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array]) {
  globalThis[C.name] = new Proxy(C, {
    construct(target, args, newTarget) {
      const a = args[0];
      if (typeof a === "number") note(a * C.BYTES_PER_ELEMENT);
      else if (a && typeof a === "object" && !(a instanceof ArrayBuffer) && typeof a.length === "number") note(a.length * C.BYTES_PER_ELEMENT);
      return Reflect.construct(target, args, newTarget);
    },
  });
}
const RealArrayBuffer = ArrayBuffer;
globalThis.ArrayBuffer = new Proxy(RealArrayBuffer, {
  construct(target, args, newTarget) {
    note(Number(args[0]));
    return Reflect.construct(target, args, newTarget);
  },
});
for (const fn of ["alloc", "allocUnsafe", "allocUnsafeSlow"]) {
  const real = Buffer[fn];
  Buffer[fn] = function (size, ...rest) {
    note(Number(size));
    return real.call(this, size, ...rest);
  };
}
const realConcat = Buffer.concat;
Buffer.concat = function (list, total) {
  note(total ?? list.reduce((a, b) => a + b.length, 0));
  return realConcat.call(this, list, total);
};

// --- trip-wires: nothing a parser does may start a process or evaluate code ------------------------
// Armed only while a case runs (libraries may build functions while they load).
const tripped = [];
const trip = (what) => {
  tripped.push(what);
  throw new Error(`fuzz trip-wire: ${what.replace(/\(.*/s, "")} is forbidden here`);
};
const cp = require("node:child_process");
for (const fn of ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"]) {
  const real = cp[fn];
  cp[fn] = function (...args) {
    if (alloc.active) trip(`child_process.${fn}(${String(args[0]).slice(0, 80)})`);
    return real.apply(this, args);
  };
}
syncBuiltinESMExports();
const realEval = globalThis.eval;
globalThis.eval = (code) => {
  if (alloc.active) trip(`eval(${String(code).slice(0, 80)})`);
  return realEval(code);
};
globalThis.Function = new Proxy(Function, {
  apply(t, self, args) {
    if (alloc.active) trip(`Function(${String(args.at(-1)).slice(0, 80)})`);
    return Reflect.apply(t, self, args);
  },
  construct(t, args, newTarget) {
    if (alloc.active) trip(`new Function(${String(args.at(-1)).slice(0, 80)})`);
    return Reflect.construct(t, args, newTarget);
  },
});

// --- memory ------------------------------------------------------------------------------------------
const canResetPeak = (() => {
  try {
    fs.writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
})();
function statusKb(field) {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) * 1024 : process.memoryUsage().rss;
}

/** Messages that come from the JavaScript engine or Node, not from our code: a bug, not a clear error. */
export const ENGINE_MESSAGES = [
  /Cannot read propert(y|ies) of/, /Cannot set propert(y|ies) of/, /is not a function/, /is not iterable/,
  /is not a constructor/, /Maximum call stack size exceeded/, /Invalid (typed )?array length/, /Array buffer allocation failed/,
  /Cannot convert .* to/, /Cannot create property/, /Cannot use 'in' operator/, /Reduce of empty array/,
  /out of bounds/, /ERR_OUT_OF_RANGE/, /ERR_BUFFER_OUT_OF_BOUNDS/, /ERR_INVALID_ARG_TYPE/, /The "\w+" argument must be/,
  /Invalid string length/, /undefined is not/, /null is not/,
];

let target;
let ctx;

async function runCase(m) {
  const input = Buffer.from(m.input.buffer, m.input.byteOffset, m.input.byteLength);
  const meta = m.meta ?? {};
  tripped.length = 0;
  const before = process.memoryUsage().rss;
  if (canResetPeak) fs.writeFileSync("/proc/self/clear_refs", "5");
  alloc.max = 0;
  alloc.active = true;
  const t0 = performance.now();
  let result;
  try {
    result = await target.run(input, meta, ctx);
  } catch (err) {
    result = { outcome: "error", error: err };
  } finally {
    alloc.active = false;
  }
  const ms = performance.now() - t0;
  const peak = canResetPeak ? statusKb("VmHWM") : process.memoryUsage().rss;
  const problems = [];
  // Every error met (the case's own, and those of later stages that do not fail the case) must be clear.
  for (const e of [result.outcome === "error" ? result.error : undefined, ...(result.otherErrors ?? [])]) {
    if (e === undefined) continue;
    if (!(e instanceof Error)) problems.push(`threw a non-Error: ${String(e).slice(0, 200)}`);
    else if (ENGINE_MESSAGES.some((re) => re.test(e.message))) problems.push(`unclear error ${e.name}: ${e.message.slice(0, 300)}`);
  }
  const own = target.check?.(result, meta, input, ctx);
  if (own) problems.push(own);
  const allocLimit = target.limits.alloc(input.length);
  if (alloc.max > allocLimit) problems.push(`allocated ${alloc.max} bytes at once for a ${input.length}-byte input (bound ${allocLimit})`);
  const rssLimit = target.limits.rss(input.length);
  if (peak - before > rssLimit) problems.push(`resident memory grew by ${((peak - before) / 2 ** 20).toFixed(0)} MiB (bound ${(rssLimit / 2 ** 20).toFixed(0)} MiB)`);
  if (tripped.length) problems.push(`executed: ${tripped.join("; ")}`);
  if (meta.sentinel && fs.existsSync(meta.sentinel)) problems.push(`executed: the sentinel ${meta.sentinel} was created`);
  const e = result.error;
  return {
    id: m.id,
    outcome: result.outcome,
    stage: result.stage,
    error: e ? { name: e.name, message: String(e.message ?? e).slice(0, 500) } : undefined,
    problem: problems.join(" | ") || undefined,
    ms,
    alloc: alloc.max,
    rssGrowth: Math.max(0, peak - before),
    rss: process.memoryUsage().rss,
  };
}

process.on("message", async (m) => {
  if (m.type === "init") {
    target = await import(`./targets/${m.target}.mjs`);
    ctx = { ...m.ctx };
    await target.setup?.(ctx);
    process.send({ type: "ready", rss: process.memoryUsage().rss });
  } else if (m.type === "case") {
    process.send({ type: "result", ...(await runCase(m)) });
  } else if (m.type === "stats") {
    globalThis.gc?.();
    process.send({ type: "stats", rss: process.memoryUsage().rss });
  } else if (m.type === "exit") {
    await target?.teardown?.(ctx);
    process.exit(0);
  }
});
