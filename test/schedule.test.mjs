// Diffusion schedules and respacing against the reference float64 arrays (test/fixtures/glide/schedule).
import test from "node:test";
import assert from "node:assert/strict";
import { createSchedule, spaceTimesteps, betaSchedule } from "glide-studio";
import { loadNpy, loadInts } from "./helpers/npy.mjs";

const MODELS = { base: "squaredcos_cap_v2", upsample: "linear" };
const RESPACINGS = ["100", "27", "fast27", "ddim50", "ddim25", "10", "10,5,3"];
const ARRAYS = {
  betas: "betas",
  alphas_cumprod: "alphasCumprod",
  alphas_cumprod_prev: "alphasCumprodPrev",
  posterior_variance: "posteriorVariance",
  posterior_log_variance_clipped: "posteriorLogVarianceClipped",
  posterior_mean_coef1: "posteriorMeanCoef1",
  posterior_mean_coef2: "posteriorMeanCoef2",
  sqrt_recip_alphas_cumprod: "sqrtRecipAlphasCumprod",
  sqrt_recipm1_alphas_cumprod: "sqrtRecipm1AlphasCumprod",
};

// Distance in units in the last place between two doubles of the same sign.
function ulps(a, b) {
  const bits = new BigInt64Array(new Float64Array([a, b]).buffer);
  const d = bits[0] - bits[1];
  return Number(d < 0n ? -d : d);
}

function assertUlps(actual, expected, maxUlps, label) {
  assert.equal(actual.length, expected.length, `${label}: length`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const u = ulps(actual[i], expected[i]);
    if (u > worst) { worst = u; at = i; }
  }
  assert.ok(worst <= maxUlps, `${label}: ${worst} ulps at [${at}]: ours ${actual[at]} vs ref ${expected[at]}`);
  return worst;
}

for (const [model, name] of Object.entries(MODELS)) {
  test(`${name}: original betas and alphas_cumprod are bit-exact`, () => {
    const s = createSchedule(name, 1000, "");
    assertUlps(betaSchedule(name, 1000), loadNpy(`schedule/${model}/betas`).data, 0, `${model} betas`);
    assertUlps(s.alphasCumprod, loadNpy(`schedule/${model}/alphas_cumprod`).data, 0, `${model} alphas_cumprod`);
  });

  for (const respacing of RESPACINGS) {
    test(`${name} respaced "${respacing}": timestep_map and every array`, () => {
      const dir = `schedule/${model}/r_${respacing.replaceAll(",", "-")}`;
      const s = createSchedule(name, 1000, respacing);
      assert.deepEqual(s.timestepMap, loadInts(`${dir}/timestep_map`));
      assert.deepEqual(spaceTimesteps(1000, respacing), loadInts(`${dir}/timestep_map`));
      for (const [file, key] of Object.entries(ARRAYS)) {
        // The logs come from numpy's vectorised log (within an ulp of the correctly rounded value);
        // everything else is + − × ÷ √ in the same order as the reference, so it is bit-exact.
        const max = file === "posterior_log_variance_clipped" ? 2 : 0;
        assertUlps(s[key], loadNpy(`${dir}/${file}`).data, max, `${dir}/${file}`);
      }
    });
  }
}

test("respacing strings: errors name the string, Python rounding, ddim stride", () => {
  assert.throws(() => spaceTimesteps(1000, "ddim999"), /ddim999.*exactly 999/);
  assert.throws(() => spaceTimesteps(10, "20"), /"20".*10 steps into 20/);
  assert.throws(() => spaceTimesteps(1000, "abc"), /"abc"/);
  assert.deepEqual(spaceTimesteps(10, ""), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // 5 steps over 8 → stride 7/4: 0, 1.75, 3.5, 5.25, 7 → round half to even gives 4 for 3.5
  assert.deepEqual(spaceTimesteps(8, "5"), [0, 2, 4, 5, 7]);
  assert.deepEqual(spaceTimesteps(100, "ddim10"), [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
  assert.equal(createSchedule("squaredcos_cap_v2", 4000, "50").numTimesteps, 50);
  assert.throws(() => createSchedule("cosine", 1000), /unknown noise schedule "cosine"/);
});
