// Per-element allowances for comparing one sampling step with the reference.
//
// A step predicts x₀ = sqrt(1/ᾱ_t)·x − sqrt(1/ᾱ_t − 1)·ε. The network's ε differs from the reference's by
// float32 rounding (different summation order: ~1e-6 relative, up to ~1e-5 absolute for |ε| ≲ 5),
// and that difference reaches x₀ multiplied by sqrt(1/ᾱ_t − 1) — about 2·10⁴ at t = 999 of the cosine
// schedule — and x_{t−1} further multiplied by posterior_mean_coef1[t]. So an element that is not
// clamped can legitimately differ by ~1e-2 at the first step. These allowances are that rounding times
// the step's gain. x_t keeps the 1e-4 whole-tensor criterion and gets the allowance per element only;
// the x₀ prediction, whose few unclamped first-step elements carry the whole gain, gets it in both.
import path from "node:path";
import { loadNpy } from "./npy.mjs";

/** Bound on the network's float32 ε rounding difference we accept (absolute). */
const EPS_ROUNDING = 2e-5;

/**
 * @param {string} model the run's model from manifest.json ("base", "upsample_inpaint", "base + clip", …)
 * @param {string} respacing the run's respacing string
 * @param {number} j the step (0 = first, at the largest t)
 * @returns {{x: number, pred: number}} absolute per-element allowances for x_t[j] and pred_xstart[j]
 */
export function stepAllowance(model, respacing, j) {
  const dir = path.join("schedule", model.startsWith("upsample") ? "upsample" : "base", `r_${respacing.replaceAll(",", "-")}`);
  const gain = loadNpy(path.join(dir, "sqrt_recipm1_alphas_cumprod")).data;
  const coef1 = loadNpy(path.join(dir, "posterior_mean_coef1")).data;
  const t = gain.length - 1 - j;
  return { pred: EPS_ROUNDING * gain[t], x: EPS_ROUNDING * gain[t] * coef1[t] };
}
