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
  return { rel: Math.sqrt(diff2) / Math.max(Math.sqrt(ref2), 1e-30), worst, worstErr, maxAbsRef };
}

/**
 * Asserts ‖a−e‖/‖e‖ ≤ rtol and every |a_i−e_i| ≤ elementTol·max|e| (elementTol defaults to 10·rtol).
 * @param {{shape:number[], data:ArrayLike<number>}} actual
 * @param {{shape:number[], data:ArrayLike<number>}} expected
 */
export function assertClose(actual, expected, { rtol = 1e-4, elementTol = rtol * 10, label = "tensor" } = {}) {
  assert.deepEqual(actual.shape, expected.shape, `${label}: shape ${JSON.stringify(actual.shape)} != reference ${JSON.stringify(expected.shape)}`);
  const { rel, worst, worstErr, maxAbsRef } = relativeError(actual.data, expected.data);
  const where = `worst element at [${unravel(worst, expected.shape)}]: ours ${actual.data[worst]} vs ref ${expected.data[worst]} (|diff| ${worstErr.toExponential(3)}, max|ref| ${maxAbsRef.toExponential(3)})`;
  assert.ok(rel <= rtol, `${label}: relative error ${rel.toExponential(3)} > ${rtol}; ${where}`);
  assert.ok(worstErr <= elementTol * maxAbsRef, `${label}: element error ${worstErr.toExponential(3)} > ${elementTol}·max|ref|; ${where}`);
  return { rel, worstErr };
}
