// Fuzzing at CI budget: every fuzz target (checkpoint reader, workflow loaders, image decoders, the
// upload route) for a few seconds from a fixed seed, after replaying the failing inputs kept in
// test/fuzz/regressions/. Properties checked per case (see test/fuzz/child.mjs): the input loads or fails
// with a clear Error, within the time bound, without allocating more than the target's bound for the
// input's size, and without executing anything. Longer runs: `npm run fuzz` (FUZZ_SECONDS, FUZZ_SEED).
import test from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { TARGETS, fuzzTarget, regressionInputs, replay } from "./fuzz/harness.mjs";

const seconds = Number(process.env.FUZZ_CI_SECONDS ?? 3);
const seed = Number(process.env.FUZZ_SEED ?? 20240611);

for (const name of TARGETS) {
  test(`fuzz ${name}: kept regressions replay cleanly`, { timeout: 120000 }, async () => {
    const kept = regressionInputs(name);
    const results = await replay(name, kept);
    for (const [i, r] of results.entries()) {
      const label = path.basename(r.file);
      assert.equal(r.problem, undefined, `${name} regression ${label}: ${r.problem}`);
      if (kept[i].expect) assert.equal(r.outcome, kept[i].expect, `${name} regression ${label} should ${kept[i].expect === "ok" ? "load" : "be refused"}: ${r.error?.message}`);
    }
    console.log(`${name}: ${results.length} kept inputs replayed (slowest ${Math.max(0, ...results.map((r) => r.ms ?? 0)).toFixed(0)} ms)`);
  });

  test(`fuzz ${name}: ${seconds} s of mutated inputs from seed ${seed}`, { timeout: 120000 }, async () => {
    const s = await fuzzTarget(name, { seconds, seed });
    console.log(
      `${name}: ${s.cases} cases in ${s.seconds.toFixed(1)} s (${s.ok} loaded, ${s.errors} refused); largest allocation ` +
        `${(s.maxAlloc / 2 ** 20).toFixed(1)} MiB, slowest case ${s.slowestMs.toFixed(0)} ms, worker RSS ${(s.rssStart / 2 ** 20).toFixed(0)} → ${(s.rssEnd / 2 ** 20).toFixed(0)} MiB`,
    );
    assert.deepEqual(s.failures.map((f) => f.problem), [], `${name}: reproduce with FUZZ_TARGETS=${name} FUZZ_SEED=${seed} npm run fuzz`);
    assert.ok(s.cases >= 20, `only ${s.cases} cases ran`);
    assert.ok(s.errors > 0 && s.ok > 0, "the mutations produce both loadable and refused inputs");
  });
}
