/**
 * Image resampling of channel-last tensors with separable filters, computed the way PIL does (the
 * GLIDE notebooks resize with PIL): when shrinking, the filter widens by the scale so it antialiases.
 */
import type { ImageTensor } from "./tensor.js";

/** Resampling methods. */
export const RESIZE_METHODS = ["nearest", "bilinear", "bicubic", "area", "lanczos"] as const;
/** A resampling method. */
export type ResizeMethod = (typeof RESIZE_METHODS)[number];

interface Filter {
  support: number;
  weight(x: number): number;
}

function cubic(x: number): number {
  // Keys' cubic with a = -0.5, as PIL's BICUBIC.
  const a = -0.5;
  x = Math.abs(x);
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  x *= Math.PI;
  return Math.sin(x) / x;
}

const FILTERS: Record<Exclude<ResizeMethod, "nearest">, Filter> = {
  area: { support: 0.5, weight: (x) => (x >= -0.5 && x < 0.5 ? 1 : 0) },
  bilinear: { support: 1, weight: (x) => Math.max(0, 1 - Math.abs(x)) },
  bicubic: { support: 2, weight: cubic },
  lanczos: { support: 3, weight: (x) => (x > -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

interface Taps {
  start: Int32Array;
  count: Int32Array;
  /** weights: [out, maxTaps] */
  weights: Float32Array;
  maxTaps: number;
}

/** Per output pixel: the first input pixel, the number of taps and their normalised weights. */
function taps(inSize: number, outSize: number, method: ResizeMethod): Taps {
  const scale = inSize / outSize;
  if (method === "nearest") {
    const start = new Int32Array(outSize);
    for (let o = 0; o < outSize; o++) start[o] = Math.min(inSize - 1, Math.floor((o + 0.5) * scale));
    return { start, count: new Int32Array(outSize).fill(1), weights: new Float32Array(outSize).fill(1), maxTaps: 1 };
  }
  const filter = FILTERS[method];
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * maxTaps);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    let total = 0;
    const n = Math.min(hi - lo, maxTaps);
    for (let k = 0; k < n; k++) {
      const w = filter.weight((k + lo - center + 0.5) / filterScale);
      weights[o * maxTaps + k] = w;
      total += w;
    }
    if (total !== 0) for (let k = 0; k < n; k++) weights[o * maxTaps + k] /= total;
    start[o] = lo;
    count[o] = n;
  }
  return { start, count, weights, maxTaps };
}

/** Resizes `image: [B, H, W, C]` to `[B, height, width, C]`. */
export function resizeImage(image: ImageTensor, width: number, height: number, method: ResizeMethod): ImageTensor {
  const [B, H, W, C] = image.shape;
  if (H === height && W === width) return { shape: [B, H, W, C], data: image.data.slice() };
  const tx = taps(W, width, method);
  const ty = taps(H, height, method);
  const out = new Float32Array(B * height * width * C);
  const tmp = new Float32Array(H * width * C); // horizontal pass: [H, width, C]
  for (let b = 0; b < B; b++) {
    const src = image.data.subarray(b * H * W * C, (b + 1) * H * W * C);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < C; c++) {
          let acc = 0;
          for (let k = 0; k < tx.count[x]; k++) acc += tx.weights[x * tx.maxTaps + k] * src[(y * W + tx.start[x] + k) * C + c];
          tmp[(y * width + x) * C + c] = acc;
        }
      }
    }
    const dst = out.subarray(b * height * width * C, (b + 1) * height * width * C);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < C; c++) {
          let acc = 0;
          for (let k = 0; k < ty.count[y]; k++) acc += ty.weights[y * ty.maxTaps + k] * tmp[((ty.start[y] + k) * width + x) * C + c];
          dst[(y * width + x) * C + c] = acc;
        }
      }
    }
  }
  return { shape: [B, height, width, C], data: out };
}
