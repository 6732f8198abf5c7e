// Tensor comparison against reference data: relative L2 error plus a per-element bound, reporting
// the worst element's multi-index so a failing parity test says where it diverged.
import assert from "node:assert/strict";

function unravel(index, shape) {
  const idx = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(index % shape[d]);
    index = Math.floor(index / shape[d]);
  }
  return idx;
}

/**
 * Relative error statistics of `actual` against `expected`.
 * rel = ‖a−e‖/‖e‖; worst element = argmax |a−e| / (max|e|·rtol + atol-free scale).
 */
export function relativeError(actual, expected) {
  let diff2 = 0;
  let ref2 = 0;
  let maxAbsRef = 0;
  for (let i = 0; i < expected.length; i++) maxAbsRef = Math.max(maxAbsRef, Math.abs(expected[i]));
  let worst = -1;
  let worstErr = -1;
  for (let i = 0; i < expected.length; i++) {
    const d = actual[i] - expected[i];
    diff2 += d * d;
    ref2 += expected[i] * expected[i];
    const e = Number.isNaN(d) ? Infinity : Math.abs(d);
    if (e > worstErr) {
      worstErr = e;
      worst = i;
    }
  }
  const refNorm = Math.sqrt(ref2);
  return { rel: Math.sqrt(diff2) / Math.max(refNorm, 1e-30), refNorm, worst, worstErr, maxAbsRef };
}

/**
 * Asserts ‖a−e‖ ≤ rtol·‖e‖ + atol·√n and every |a_i−e_i| ≤ elementTol·max|e| + atol + elementAtol
 * (elementTol defaults to 10·rtol). `atol` (both bounds) and `elementAtol` (the per-element bound only)
 * default to 0; they are absolute allowances for ill-conditioned comparisons (see step-tolerance.mjs).
 * @param {{shape:number[], data:ArrayLike<number>}} actual
 * @param {{shape:number[], data:ArrayLike<number>}} expected
 */
export function assertClose(actual, expected, { rtol = 1e-4, elementTol = rtol * 10, atol = 0, elementAtol = 0, label = "tensor" } = {}) {
  assert.deepEqual(actual.shape, expected.shape, `${label}: shape ${JSON.stringify(actual.shape)} != reference ${JSON.stringify(expected.shape)}`);
  const { rel, refNorm, worst, worstErr, maxAbsRef } = relativeError(actual.data, expected.data);
  const where = `worst element at [${unravel(worst, expected.shape)}]: ours ${actual.data[worst]} vs ref ${expected.data[worst]} (|diff| ${worstErr.toExponential(3)}, max|ref| ${maxAbsRef.toExponential(3)})`;
  const relBound = rtol + (atol * Math.sqrt(expected.data.length)) / Math.max(refNorm, 1e-30);
  assert.ok(rel <= relBound, `${label}: relative error ${rel.toExponential(3)} > ${relBound.toExponential(3)}; ${where}`);
  const bound = elementTol * maxAbsRef + atol + elementAtol;
  assert.ok(worstErr <= bound, `${label}: element error ${worstErr.toExponential(3)} > ${bound.toExponential(3)}; ${where}`);
  return { rel, worstErr };
}
