/**
 * The graph's image conventions and the conversions at the model boundary.
 * IMAGE = [B, H, W, 3] floats in 0..1 (channel-last, as node tools use).
 * MASK = [B, H, W] floats in 0..1 where **1 marks the region to repaint** (ComfyUI's convention;
 * GLIDE's own inpaint mask is the opposite, 1 = keep — the Inpaint node converts).
 * The models take [B, 3, S, S] in [-1, 1] (channel-first).
 */

/** A dense float tensor (the same shape as the model's `Tensor`). */
export interface ImageTensor {
  shape: number[];
  data: Float32Array;
}

/** Checks that `t` is an IMAGE `[B, H, W, 3]`; returns its dimensions. */
export function imageDims(t: ImageTensor, what = "image"): { B: number; H: number; W: number } {
  const s = t?.shape;
  if (!Array.isArray(s) || s.length !== 4 || s[3] !== 3 || t.data.length !== s[0] * s[1] * s[2] * 3) {
    throw new Error(`${what}: expected an IMAGE [B, H, W, 3], got shape ${JSON.stringify(s)}`);
  }
  return { B: s[0], H: s[1], W: s[2] };
}

/** Checks that `t` is a MASK `[B, H, W]`; returns its dimensions. */
export function maskDims(t: ImageTensor, what = "mask"): { B: number; H: number; W: number } {
  const s = t?.shape;
  if (!Array.isArray(s) || s.length !== 3 || t.data.length !== s[0] * s[1] * s[2]) {
    throw new Error(`${what}: expected a MASK [B, H, W], got shape ${JSON.stringify(s)}`);
  }
  return { B: s[0], H: s[1], W: s[2] };
}

/** IMAGE [B, H, W, 3] in 0..1 → model layout [B, 3, H, W] in [-1, 1]. */
export function imageToModel(image: ImageTensor): ImageTensor {
  const { B, H, W } = imageDims(image);
  const out = new Float32Array(B * 3 * H * W);
  const plane = H * W;
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < plane; i++) {
      const src = (b * plane + i) * 3;
      for (let c = 0; c < 3; c++) out[(b * 3 + c) * plane + i] = image.data[src + c] * 2 - 1;
    }
  }
  return { shape: [B, 3, H, W], data: out };
}

/** Model output [B, 3, H, W] in [-1, 1] → IMAGE [B, H, W, 3] in 0..1 (clamped). */
export function modelToImage(x: ImageTensor): ImageTensor {
  const [B, C, H, W] = x.shape;
  if (x.shape.length !== 4 || C !== 3) throw new Error(`expected a model sample [B, 3, H, W], got ${JSON.stringify(x.shape)}`);
  const out = new Float32Array(B * H * W * 3);
  const plane = H * W;
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < plane; i++) {
        const v = (x.data[(b * 3 + c) * plane + i] + 1) / 2;
        out[(b * plane + i) * 3 + c] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    }
  }
  return { shape: [B, H, W, 3], data: out };
}

/**
 * Rounds an IMAGE to 8-bit levels, as GLIDE's pipeline does between stages (the upsampler was fed
 * `round((x + 1) * 127.5) / 127.5 - 1`).
 */
export function quantizeImage(image: ImageTensor): ImageTensor {
  const data = new Float32Array(image.data.length);
  for (let i = 0; i < data.length; i++) data[i] = toByte(image.data[i]) / 255;
  return { shape: [...image.shape], data };
}

/** MASK [B, H, W] (1 = repaint) → GLIDE's keep mask [B, 1, H, W] (1 = keep). */
export function maskToKeep(mask: ImageTensor): ImageTensor {
  const { B, H, W } = maskDims(mask);
  const out = new Float32Array(B * H * W);
  for (let i = 0; i < out.length; i++) out[i] = 1 - mask.data[i];
  return { shape: [B, 1, H, W], data: out };
}

/** A value in 0..1 → 0..255, rounded and clamped. */
export function toByte(v: number): number {
  const b = Math.round(v * 255);
  return b < 0 ? 0 : b > 255 ? 255 : b;
}

/** One picture of an IMAGE batch as 8-bit RGB `[H, W, 3]`. */
export function imageToRgb8(image: ImageTensor, index: number): Uint8Array {
  const { H, W } = imageDims(image);
  const n = H * W * 3;
  const out = new Uint8Array(n);
  const src = image.data.subarray(index * n, (index + 1) * n);
  for (let i = 0; i < n; i++) out[i] = toByte(src[i]);
  return out;
}

/** One picture of a model-layout batch `[B, 3, H, W]` in [-1, 1] as 8-bit RGB `[H, W, 3]` (for previews). */
export function modelToRgb8(x: ImageTensor, index = 0): { width: number; height: number; rgb: Uint8Array } {
  const [, , H, W] = x.shape;
  const plane = H * W;
  const rgb = new Uint8Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    const base = (index * 3 + c) * plane;
    for (let i = 0; i < plane; i++) rgb[i * 3 + c] = toByte((x.data[base + i] + 1) / 2);
  }
  return { width: W, height: H, rgb };
}

/** Repeats a batch-of-one tensor `n` times along the batch axis; other batches must already be `n`. */
export function repeatBatch(t: ImageTensor, n: number, what: string): ImageTensor {
  const b = t.shape[0];
  if (b === n) return t;
  if (b !== 1) throw new Error(`${what} has a batch of ${b}, expected 1 or ${n}`);
  const per = t.data.length;
  const data = new Float32Array(per * n);
  for (let i = 0; i < n; i++) data.set(t.data, i * per);
  return { shape: [n, ...t.shape.slice(1)], data };
}
