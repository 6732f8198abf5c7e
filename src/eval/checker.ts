/**
 * Procedural caption checker for the demo models' scenes (flat shapes on flat backgrounds): finds the
 * background, the coloured objects, their shapes, sizes, positions and relations, and scores them against
 * a caption's attributes. A port of `train/checker.py` (the reference, self-tested on rendered ground
 * truth); the palette and named positions come from the evaluation file written by `train/dataset.py`.
 */

/** Colours, backgrounds and named positions of the demo dataset (the eval file's header). */
export interface DemoVocabulary {
  colours: Record<string, [number, number, number]>;
  backgrounds: Record<string, [number, number, number]>;
  /** Centre of each named position as fractions of the side (x, y), y downwards. */
  positions: Record<string, [number, number]>;
}

/** One evaluation case: a complete caption and the attributes it states. */
export interface DemoCase {
  caption: string;
  kind: "single" | "pair";
  background: string;
  objects: { shape: string; colour: string }[];
  size?: string;
  position?: string;
  relation?: string;
}

/** An object found in an image. */
export interface DetectedObject {
  colour: string;
  shape: "circle" | "square" | "triangle";
  size: "small" | "large";
  /** Centroid as fractions of the side. */
  cx: number;
  cy: number;
  /** Pixels / image pixels. */
  area: number;
}

// Thresholds shared with train/checker.py.
const MAX_DIST = 110;
const MIN_AREA = 0.02;
const SQUARE_FILL = 0.86;
const TRIANGLE_FILL = 0.64;
const LARGE_SIDE = 0.38;

function dist(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Finds the background and the objects of one RGB image.
 * @param rgb pixels as 0..255 values, [S, S, 3] row-major
 * @param size the side S
 */
export function detect(rgb: ArrayLike<number>, size: number, vocab: DemoVocabulary): { background: string; objects: DetectedObject[] } {
  const at = (y: number, x: number, c: number) => rgb[(y * size + x) * 3 + c];
  const border: number[][] = [[], [], []];
  for (let i = 0; i < size; i++) {
    for (const [y, x] of [[0, i], [size - 1, i], [i, 0], [i, size - 1]]) for (let c = 0; c < 3; c++) border[c].push(at(y, x, c));
  }
  const med = border.map(median);
  const bgNames = Object.keys(vocab.backgrounds);
  const background = bgNames.reduce((best, k) => (dist(med, vocab.backgrounds[k]) < dist(med, vocab.backgrounds[best]) ? k : best));
  const names = Object.keys(vocab.colours);
  const palette = [...names.map((n) => vocab.colours[n]), vocab.backgrounds[background]];
  // label[p] = index of the nearest palette colour within MAX_DIST, else -1 (the background is the last index)
  const label = new Int32Array(size * size);
  for (let p = 0; p < size * size; p++) {
    const px = [rgb[p * 3], rgb[p * 3 + 1], rgb[p * 3 + 2]];
    let best = 0;
    let bestD = Infinity;
    palette.forEach((col, k) => {
      const d = dist(px, col);
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    });
    label[p] = bestD < MAX_DIST ? best : -1;
  }
  const seen = new Uint8Array(size * size);
  const objects: DetectedObject[] = [];
  for (let start = 0; start < size * size; start++) {
    const ci = label[start];
    if (ci < 0 || ci >= names.length || seen[start]) continue;
    // 4-connected component of one colour
    const stack = [start];
    seen[start] = 1;
    let n = 0, sx = 0, sy = 0, x0 = size, x1 = -1, y0 = size, y1 = -1;
    while (stack.length) {
      const p = stack.pop()!;
      const y = Math.floor(p / size), x = p % size;
      n++;
      sx += x;
      sy += y;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
      for (const [ny, nx] of [[y - 1, x], [y + 1, x], [y, x - 1], [y, x + 1]]) {
        const q = ny * size + nx;
        if (ny >= 0 && ny < size && nx >= 0 && nx < size && !seen[q] && label[q] === ci) {
          seen[q] = 1;
          stack.push(q);
        }
      }
    }
    const area = n / (size * size);
    if (area < MIN_AREA) continue;
    const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
    const fill = n / (bw * bh);
    objects.push({
      colour: names[ci],
      shape: fill > SQUARE_FILL ? "square" : fill > TRIANGLE_FILL ? "circle" : "triangle",
      size: Math.max(bw, bh) / size >= LARGE_SIDE ? "large" : "small",
      cx: (sx / n + 0.5) / size,
      cy: (sy / n + 0.5) / size,
      area,
    });
  }
  objects.sort((a, b) => b.area - a.area);
  return { background, objects };
}

/** The named position nearest to a centroid. */
export function positionOf(cx: number, cy: number, vocab: DemoVocabulary): string {
  const names = Object.keys(vocab.positions);
  const d = (k: string) => (vocab.positions[k][0] - cx) ** 2 + (vocab.positions[k][1] - cy) ** 2;
  return names.reduce((best, k) => (d(k) < d(best) ? k : best));
}

/** "a RELATION b" from the dominant axis of the centroid difference. */
export function relationOf(a: DetectedObject, b: DetectedObject): string {
  const dx = b.cx - a.cx, dy = b.cy - a.cy;
  if (Math.abs(dx) >= Math.abs(dy)) return dx > 0 ? "left of" : "right of";
  return dy > 0 ? "above" : "below";
}

/** Per-attribute results; `all` = every stated attribute right and the right number of objects. */
export type CaseScore = Record<string, boolean>;

/** Scores one image (0..255 RGB, [S, S, 3]) against a case. */
export function scoreImage(rgb: ArrayLike<number>, size: number, c: DemoCase, vocab: DemoVocabulary): CaseScore {
  const d = detect(rgb, size, vocab);
  const r: CaseScore = { background: d.background === c.background };
  const objs = d.objects;
  if (c.kind === "single") {
    const o = objs[0];
    r.count = objs.length === 1;
    r.colour = !!o && o.colour === c.objects[0].colour;
    r.shape = !!o && o.shape === c.objects[0].shape;
    r.size = !!o && o.size === c.size;
    r.position = !!o && positionOf(o.cx, o.cy, vocab) === c.position;
  } else {
    const [wa, wb] = c.objects;
    const oa = objs.find((o) => o.colour === wa.colour);
    const ob = objs.find((o) => o.colour === wb.colour);
    r.count = objs.length === 2;
    r.colour = !!oa && !!ob;
    r.shape = !!oa && !!ob && oa.shape === wa.shape && ob.shape === wb.shape;
    r.relation = !!oa && !!ob && relationOf(oa, ob) === c.relation;
  }
  r.all = Object.values(r).every(Boolean);
  return r;
}

/** [B,3,S,S] floats in [−1, 1] → B images of 0..255 RGB [S,S,3] (rounded as a saved PNG would be). */
export function tensorToRgb(t: { shape: number[]; data: Float32Array }): Uint8Array[] {
  const [b, , h, w] = t.shape;
  const out: Uint8Array[] = [];
  for (let i = 0; i < b; i++) {
    const img = new Uint8Array(h * w * 3);
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < h * w; p++) {
        const v = t.data[(i * 3 + c) * h * w + p];
        img[p * 3 + c] = Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)));
      }
    }
    out.push(img);
  }
  return out;
}
