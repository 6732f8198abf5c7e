// Float32 JS transcription of the reference's p_sample / ddim_sample step (with the notebooks' CFG
// model_fn and inpainting denoised_fn), every operation rounded like the reference's float32 tensors.
// Shared by the sampling tests; takes the same arguments as native.samplerStep.
const f = Math.fround;

export function referenceStep(a) {
  const { rows, channels: C, plane: P, x, modelOut, coef } = a;
  const k = Object.fromEntries(Object.entries(coef).map(([n, v]) => [n, typeof v === "number" ? f(v) : v]));
  const perRow = C * P;
  const eps = new Float32Array(rows * perRow);
  const half = rows / 2;
  for (let r = 0; r < rows; r++) for (let i = 0; i < perRow; i++) {
    if (a.guidanceScale === undefined) { eps[r * perRow + i] = modelOut[r * 2 * perRow + i]; continue; }
    const b = r % half;
    const c = modelOut[b * 2 * perRow + i], u = modelOut[(b + half) * 2 * perRow + i];
    eps[r * perRow + i] = f(u + f(f(a.guidanceScale) * f(c - u)));
  }
  const sigma = a.kind === "ddim"
    ? f(f(f(a.eta ?? 0) * f(Math.sqrt(f(f(1 - k.alphasCumprodPrev) / f(1 - k.alphasCumprod))))) * f(Math.sqrt(f(1 - f(k.alphasCumprod / k.alphasCumprodPrev)))))
    : 0;
  const xNext = new Float32Array(rows * perRow), pred = new Float32Array(rows * perRow);
  for (let r = 0; r < rows; r++) for (let i = 0; i < perRow; i++) {
    const j = r * perRow + i, p = i % P;
    const xv = x[j];
    let e = eps[j];
    let x0 = f(f(k.sqrtRecipAlphasCumprod * xv) - f(k.sqrtRecipm1AlphasCumprod * e));
    if (a.inpaintImage) {
      const m = a.inpaintMask[r * P + p];
      x0 = f(f(x0 * f(1 - m)) + f(a.inpaintImage[j] * m));
    }
    if (a.clipDenoised) x0 = Math.min(Math.max(x0, -1), 1);
    if (a.kind === "ddpm") {
      const v = modelOut[r * 2 * perRow + perRow + i];
      const frac = f(f(v + 1) / 2);
      const logVar = f(f(frac * k.logBeta) + f(f(1 - frac) * k.posteriorLogVarianceClipped));
      let mean = f(f(k.posteriorMeanCoef1 * x0) + f(k.posteriorMeanCoef2 * xv));
      if (a.grad) mean = f(mean + f(f(Math.exp(logVar)) * a.grad[j]));
      xNext[j] = k.finalStep ? mean : f(mean + f(f(Math.exp(f(0.5 * logVar))) * a.noise[j]));
    } else {
      if (a.grad) {
        e = f(f(f(k.sqrtRecipAlphasCumprod * xv) - x0) / k.sqrtRecipm1AlphasCumprod);
        e = f(e - f(f(Math.sqrt(f(1 - k.alphasCumprod))) * a.grad[j]));
        x0 = f(f(k.sqrtRecipAlphasCumprod * xv) - f(k.sqrtRecipm1AlphasCumprod * e));
      }
      e = f(f(f(k.sqrtRecipAlphasCumprod * xv) - x0) / k.sqrtRecipm1AlphasCumprod);
      const mean = f(f(x0 * f(Math.sqrt(k.alphasCumprodPrev))) + f(f(Math.sqrt(f(f(1 - k.alphasCumprodPrev) - f(sigma * sigma)))) * e));
      xNext[j] = k.finalStep || sigma === 0 ? mean : f(mean + f(sigma * a.noise[j]));
    }
    pred[j] = x0;
  }
  return { x: xNext, pred };
}

export function coefAt(s, t) {
  return {
    sqrtRecipAlphasCumprod: s.sqrtRecipAlphasCumprod[t], sqrtRecipm1AlphasCumprod: s.sqrtRecipm1AlphasCumprod[t],
    posteriorMeanCoef1: s.posteriorMeanCoef1[t], posteriorMeanCoef2: s.posteriorMeanCoef2[t],
    posteriorLogVarianceClipped: s.posteriorLogVarianceClipped[t], logBeta: s.logBetas[t],
    alphasCumprod: s.alphasCumprod[t], alphasCumprodPrev: s.alphasCumprodPrev[t], finalStep: t === 0,
  };
}
