#!/usr/bin/env node
// `npm run fuzz`: every fuzz target (or those in FUZZ_TARGETS) for FUZZ_SECONDS each (default 60), from
// FUZZ_SEED (default: random, printed so a run can be repeated), at most FUZZ_ITERATIONS cases each.
// Failing inputs are written to FUZZ_CRASH_DIR (default test/artifacts/fuzz-crashers); the exit code is
// non-zero when any property broke. The table printed at the end is the one docs/reliability.md keeps.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { TARGETS, fuzzTarget, regressionInputs, replay } from "./harness.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const env = process.env;
const seconds = Number(env.FUZZ_SECONDS ?? 60);
const iterations = env.FUZZ_ITERATIONS ? Number(env.FUZZ_ITERATIONS) : Infinity;
const seed = env.FUZZ_SEED ? Number(env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const targets = env.FUZZ_TARGETS ? env.FUZZ_TARGETS.split(",").map((s) => s.trim()) : TARGETS;
const crashDir = env.FUZZ_CRASH_DIR ?? path.resolve(here, "../artifacts/fuzz-crashers");

for (const t of targets) if (!TARGETS.includes(t)) throw new Error(`unknown fuzz target ${t}; known: ${TARGETS.join(", ")}`);
console.log(`fuzzing ${targets.join(", ")} for ${seconds} s each, seed ${seed} (repeat with FUZZ_SEED=${seed}); crashers → ${crashDir}`);

const rows = [];
let broken = 0;
for (const name of targets) {
  const kept = regressionInputs(name);
  const replayed = await replay(name, kept);
  const regressed = replayed.filter((r) => r.problem);
  for (const r of regressed) console.log(`  ${name}: regression ${path.basename(r.file)}: ${r.problem}`);
  const s = await fuzzTarget(name, { seconds, iterations, seed, crashDir, log: console.log });
  broken += s.failureCount + regressed.length;
  rows.push({ s, kept: kept.length, regressed: regressed.length });
  console.log(
    `${name}: ${s.cases} cases in ${s.seconds.toFixed(1)} s (${s.ok} loaded, ${s.errors} refused with an error), ` +
      `${s.failureCount} failing (${s.distinctProblems} distinct); largest allocation ${(s.maxAlloc / 2 ** 20).toFixed(1)} MiB, ` +
      `largest per-case RSS growth ${(s.peakCaseRss / 2 ** 20).toFixed(0)} MiB, slowest case ${s.slowestMs.toFixed(0)} ms, ` +
      `worker RSS ${(s.rssStart / 2 ** 20).toFixed(0)} → ${(s.rssEnd / 2 ** 20).toFixed(0)} MiB; ${kept.length} regressions replayed; ` +
      `stages reached ${JSON.stringify(s.stages)}${s.forbidden ? `; ${s.forbidden} pickles calling forbidden callables, all refused` : ""}`,
  );
}

console.log("\n| target | cases | seconds | loaded | refused | failing | largest alloc (MiB) | slowest (ms) | regressions |");
console.log("|---|---|---|---|---|---|---|---|---|");
for (const { s, kept, regressed } of rows) {
  console.log(`| ${s.target} | ${s.cases} | ${s.seconds.toFixed(0)} | ${s.ok} | ${s.errors} | ${s.failureCount} | ${(s.maxAlloc / 2 ** 20).toFixed(1)} | ${s.slowestMs.toFixed(0)} | ${kept - regressed}/${kept} pass |`);
}
console.log(`seed ${seed}`);
process.exitCode = broken > 0 ? 1 : 0;
